using System.Text.Json;
using Microsoft.Extensions.Options;
using Portal.Contracts;
using Portal.Server.Hosting;

namespace Portal.Server.Client;

/// <summary>The OpenAI-compatible client API under <c>/v1</c>.</summary>
internal static class ClientApi
{
    /// <summary>Maps <c>POST /v1/chat/completions</c>, <c>POST /v1/messages</c>, <c>POST /v1/messages/count_tokens</c>, <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>.</summary>
    public static IEndpointRouteBuilder MapClientApi(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1").WithTags("Client API");

        v1.MapPost("/chat/completions", static (HttpContext context, PortalGateway gateway, IPortalRepository repository, IOptions<LimitsOptions> limits) =>
                ChatCompletionsEndpoint.HandleAsync(context, gateway, repository, limits))
            .WithName("CreateChatCompletion")
            .WithSummary("Creates a chat completion")
            .WithDescription("OpenAI Chat Completions: routed to a channel of the model named by 'model' (a name or alias), with failover. "
                + "With \"stream\": true the answer is a stream of server-sent events ending with data: [DONE], or with an error event when it breaks midway.")
            .Accepts<ChatCompletionRequest>("application/json", "*/*") // documents the body; any content type is read as JSON
            .Produces<ChatCompletionResponse>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status502BadGateway)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .Produces<ErrorResponse>(StatusCodes.Status504GatewayTimeout);

        v1.MapPost("/messages", static (HttpContext context, PortalGateway gateway, IPortalRepository repository, IOptions<LimitsOptions> limits) =>
                MessagesEndpoint.HandleAsync(context, gateway, repository, limits))
            .WithName("CreateMessage")
            .WithSummary("Creates a message (Anthropic Messages API)")
            .WithDescription("Anthropic Messages: routed to a channel of the model named by 'model' (a name or alias), with failover. "
                + "Anthropic platforms get the client's bytes with only 'model' rewritten and the anthropic-version and anthropic-beta headers; "
                + "other platforms get the request converted. Errors come in Anthropic's shape. Authenticates with x-api-key or Authorization: Bearer.")
            .Accepts<JsonElement>("application/json", "*/*")
            .Produces<JsonElement>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<JsonElement>(StatusCodes.Status400BadRequest)
            .Produces<JsonElement>(StatusCodes.Status401Unauthorized)
            .Produces<JsonElement>(StatusCodes.Status404NotFound)
            .Produces<JsonElement>(StatusCodes.Status429TooManyRequests)
            .Produces<JsonElement>(StatusCodes.Status502BadGateway)
            .Produces<JsonElement>(StatusCodes.Status503ServiceUnavailable);

        v1.MapPost("/messages/count_tokens", static (HttpContext context, PortalGateway gateway, IOptions<LimitsOptions> limits) =>
                MessagesEndpoint.CountTokensAsync(context, gateway, limits))
            .WithName("CountMessageTokens")
            .WithSummary("Counts the input tokens of a message request (Anthropic Messages API)")
            .WithDescription("Exact through an Anthropic platform's count_tokens when the model has one; otherwise estimated locally. "
                + "The X-Portal-Token-Count response header says which: exact or estimate.")
            .Accepts<JsonElement>("application/json", "*/*")
            .Produces<JsonElement>()
            .Produces<JsonElement>(StatusCodes.Status400BadRequest)
            .Produces<JsonElement>(StatusCodes.Status404NotFound);

        v1.MapGet("/models", static (HttpContext context, IPortalRepository repository, CancellationToken cancellationToken) =>
                ModelsEndpoint.ListAsync(context, repository, cancellationToken))
            .WithName("ListModels")
            .WithSummary("Lists the models clients may ask for")
            .WithDescription("Every name and alias of an enabled model on an enabled platform, once each. "
                + "With an anthropic-version header, in Anthropic's list shape (type, display_name, created_at, has_more, first_id, last_id; limit, after_id, before_id).")
            .Produces<ModelList>()
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);

        v1.MapGet("/models/{**id}", static (HttpContext context, string id, IPortalRepository repository, CancellationToken cancellationToken) =>
                ModelsEndpoint.GetAsync(context, id, repository, cancellationToken))
            .WithName("RetrieveModel")
            .WithSummary("Returns one model by name or alias")
            .Produces<ModelCard>()
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return endpoints;
    }
}
