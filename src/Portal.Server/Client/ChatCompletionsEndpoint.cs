using Microsoft.Extensions.Options;
using Portal.Relay;
using Portal.Server.Errors;
using Portal.Server.Hosting;

namespace Portal.Server.Client;

/// <summary><c>POST /v1/chat/completions</c>: the client's bytes in, the upstream's bytes out, through the engine's relay.</summary>
internal static class ChatCompletionsEndpoint
{
    /// <summary>The response header carrying <see cref="ChatRelayRequest.RequestId"/>.</summary>
    public const string RequestIdHeader = "X-Request-Id";

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

        // On every answer, error or not: the id of this request's stat rows (admin stats filter by it). Set when the
        // response starts, since an error answer clears the headers first.
        context.Response.OnStarting(static state =>
        {
            var (response, id) = ((HttpResponse, string))state;
            response.Headers[RequestIdHeader] = id;
            return Task.CompletedTask;
        }, (context.Response, request.RequestId));

        var writer = new HttpChatRelayWriter(context);
        try
        {
            var caller = new PortalRequestContext { RequestId = request.RequestId, Protocol = InboundProtocols.OpenAIChat, Caller = Auth.AuthMiddleware.CallerName(context) };
            var result = await gateway.RelayChatCompletionAsync(request, writer, caller, context.RequestAborted);
            log?.Result = result;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || writer.Failed)
        {
            // The client left: nothing more to write.
            if (log is not null)
            {
                log.Outcome = "client_closed";
                log.Status = RequestLoggingMiddleware.ClientClosedRequest;
            }
        }
        catch (PortalException ex)
        {
            log?.Outcome = ApiError.From(ex).Code;
            var answer = ex.Code == PortalErrorCode.ModelNotFound
                ? new PortalException(ex.Code, ex.Message + " " + await ModelsEndpoint.SuggestAsync(request.Model, repository, context.RequestAborted), ex.StatusCode, ex.RetryAfter, ex)
                : ex;
            await WriteErrorAsync(context, writer, answer);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, HttpChatRelayWriter writer, PortalException exception)
    {
        var response = context.Response;
        if (!response.HasStarted)
        {
            // Nothing went out yet (a non-streaming answer not yet written): a proper error status is still possible.
            response.Clear();
            await ApiErrors.WriteAsync(context, exception);
            return;
        }

        if (!writer.Streaming)
        {
            context.Abort();
            return;
        }

        // The stream broke midway: end it with an error event and no [DONE], so the client knows it is incomplete.
        try
        {
            await writer.WriteEventAsync(ApiErrors.BodyBytes(exception), context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left meanwhile.
        }
    }
}
