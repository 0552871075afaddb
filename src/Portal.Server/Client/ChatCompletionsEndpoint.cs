using Microsoft.Extensions.Options;
using Portal.Relay;
using Portal.Server.Errors;
using Portal.Server.Hosting;

namespace Portal.Server.Client;

/// <summary><c>POST /v1/chat/completions</c>: the client's bytes in, the upstream's bytes out, through the engine's relay.</summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, PortalGateway gateway, IPortalRepository repository, IOptions<LimitsOptions> limits)
    {
        var log = context.Features.Get<RequestLogFeature>();
        using var body = await RequestBody.ReadAsync(context, limits.Value.MaxRequestBodyBytes);
        if (body is null)
        {
            return;
        }

        ChatRelayRequest request;
        try
        {
            request = ChatRelayRequest.Parse(body.Memory);
        }
        catch (PortalException ex)
        {
            await ApiErrors.WriteAsync(context, ex);
            return;
        }

        if (log is not null)
        {
            log.Model = request.Model;
            log.Stream = request.Stream;
            log.Request = request;
        }

        await RelayAnswer.RunAsync(context, request, repository, RelayAnswer.OpenAIStreamError,
            (writer, caller) => gateway.RelayChatCompletionAsync(request, writer, caller, context.RequestAborted), InboundProtocols.OpenAIChat);
    }
}
