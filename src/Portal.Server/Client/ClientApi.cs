using Microsoft.Extensions.Options;
using Portal.Contracts;
using Portal.Server.Hosting;

namespace Portal.Server.Client;

/// <summary>The OpenAI-compatible client API under <c>/v1</c>.</summary>
internal static class ClientApi
{
    /// <summary>Maps <c>POST /v1/chat/completions</c>, <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>.</summary>
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

        v1.MapGet("/models", static (IPortalRepository repository, CancellationToken cancellationToken) =>
                ModelsEndpoint.ListAsync(repository, cancellationToken))
            .WithName("ListModels")
            .WithSummary("Lists the models clients may ask for")
            .WithDescription("Every name and alias of an enabled model on an enabled platform, once each.")
            .Produces<ModelList>()
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized);

        v1.MapGet("/models/{**id}", static (string id, IPortalRepository repository, CancellationToken cancellationToken) =>
                ModelsEndpoint.GetAsync(id, repository, cancellationToken))
            .WithName("RetrieveModel")
            .WithSummary("Returns one model by name or alias")
            .Produces<ModelCard>()
            .Produces<ErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<ErrorResponse>(StatusCodes.Status404NotFound);

        return endpoints;
    }
}
