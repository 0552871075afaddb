using Portal.Relay;
using Portal.Relay.Internal;
using Portal.Server.Errors;
using Portal.Server.Hosting;

namespace Portal.Server.Client;

/// <summary>Runs a parsed relay request of any protocol and answers it: the request id header, the log fields, and errors as a status or, once a stream has started, as the protocol's error event.</summary>
internal static class RelayAnswer
{
    /// <summary>The response header carrying the request's id (<see cref="RequestStat.RequestId"/>).</summary>
    public const string RequestIdHeader = "X-Request-Id";

    /// <summary>OpenAI's stream error, framed: the error body as one event's data (<c>data: {…}\n\n</c>), no <c>[DONE]</c> after it.</summary>
    public static byte[] OpenAIStreamError(PortalException exception)
    {
        var body = ApiErrors.BodyBytes(exception);
        var framed = new byte["data: "u8.Length + body.Length + 2];
        "data: "u8.CopyTo(framed);
        body.CopyTo(framed, "data: "u8.Length);
        "\n\n"u8.CopyTo(framed.AsSpan(framed.Length - 2));
        return framed;
    }

    /// <summary>Relays the request through <paramref name="relay"/> and writes what the client gets when it fails.</summary>
    /// <param name="context">The HTTP request.</param>
    /// <param name="request">The parsed request (its id and model).</param>
    /// <param name="repository">For the suggestions of an unknown model's error.</param>
    /// <param name="streamError">The protocol's error event, framed.</param>
    /// <param name="relay">Calls the gateway with the writer and the caller's context.</param>
    /// <param name="protocol">The inbound protocol (<see cref="InboundProtocols"/>).</param>
    public static async Task RunAsync<TRequest>(HttpContext context, TRequest request, IPortalRepository repository, Func<PortalException, byte[]> streamError,
        Func<HttpChatRelayWriter, PortalRequestContext, Task<ChatRelayResult>> relay, string protocol)
        where TRequest : IRelayRequest
    {
        var log = context.Features.Get<RequestLogFeature>();

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
            var caller = new PortalRequestContext { RequestId = request.RequestId, Protocol = protocol, Caller = Auth.AuthMiddleware.CallerName(context) };
            var result = await relay(writer, caller);
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
            await WriteErrorAsync(context, writer, answer, streamError);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, HttpChatRelayWriter writer, PortalException exception, Func<PortalException, byte[]> streamError)
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

        // The stream broke midway: end it with an error event and no end marker, so the client knows it is incomplete.
        try
        {
            await writer.WriteEventsAsync(streamError(exception).AsMemory(), context.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client left meanwhile.
        }
    }
}
