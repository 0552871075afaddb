using System.Text.Json;
using Microsoft.Extensions.Options;
using Portal.Relay;
using Portal.Server.Errors;
using Portal.Server.Hosting;

namespace Portal.Server.Client;

/// <summary><c>POST /v1/messages</c> and <c>POST /v1/messages/count_tokens</c>: Anthropic's Messages API, relayed to Anthropic platforms and converted for the others.</summary>
internal static class MessagesEndpoint
{
    /// <summary>Says whether a token count was made by an Anthropic platform (<c>exact</c>) or estimated by Portal (<c>estimate</c>).</summary>
    public const string CountHeader = "X-Portal-Token-Count";

    public static async Task HandleAsync(HttpContext context, PortalGateway gateway, IPortalRepository repository, IOptions<LimitsOptions> limits)
    {
        var log = context.Features.Get<RequestLogFeature>();
        using var body = await RequestBody.ReadAsync(context, limits.Value.MaxRequestBodyBytes);
        if (body is null)
        {
            return;
        }

        MessagesRelayRequest request;
        try
        {
            request = MessagesRelayRequest.Parse(body.Memory);
        }
        catch (PortalException ex)
        {
            await ApiErrors.WriteAsync(context, ex);
            return;
        }

        request.AnthropicVersion = Header(context, MessagesHeaders.Version);
        request.AnthropicBeta = Header(context, MessagesHeaders.Beta);
        if (log is not null)
        {
            log.Model = request.Model;
            log.Stream = request.Stream;
            log.Request = request;
        }

        await RelayAnswer.RunAsync(context, request, repository, AnthropicShape.ErrorEvent,
            (writer, caller) => gateway.RelayMessagesAsync(request, writer, caller, context.RequestAborted), InboundProtocols.AnthropicMessages);
    }

    public static async Task CountTokensAsync(HttpContext context, PortalGateway gateway, IOptions<LimitsOptions> limits)
    {
        using var body = await RequestBody.ReadAsync(context, limits.Value.MaxRequestBodyBytes);
        if (body is null)
        {
            return;
        }

        try
        {
            var request = MessagesRelayRequest.ParseTokenCount(body.Memory);
            request.AnthropicVersion = Header(context, MessagesHeaders.Version);
            request.AnthropicBeta = Header(context, MessagesHeaders.Beta);
            var count = await gateway.CountMessageTokensAsync(request, context.RequestAborted);
            context.Response.Headers[CountHeader] = count.Exact ? "exact" : "estimate";
            context.Response.ContentType = "application/json";
            await using var json = new Utf8JsonWriter(context.Response.BodyWriter);
            json.WriteStartObject();
            json.WriteNumber("input_tokens"u8, count.InputTokens);
            json.WriteEndObject();
        }
        catch (PortalException ex)
        {
            await ApiErrors.WriteAsync(context, ex);
        }
    }

    /// <summary>A client header's single value, or <see langword="null"/> when absent; several values are joined with commas, as HTTP allows.</summary>
    private static string? Header(HttpContext context, string name)
    {
        var values = context.Request.Headers[name];
        return values.Count == 0 ? null : values.ToString();
    }
}
