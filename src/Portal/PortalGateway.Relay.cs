using System.Text.Json;
using Portal.Contracts;
using Portal.Relay;

namespace Portal;

/// <content>The relay path: a request kept as bytes, answered as bytes.</content>
public sealed partial class PortalGateway
{
    /// <summary>
    /// Serves a chat completion request given as the client's JSON bytes, writing the response (JSON or server-sent
    /// events) to <paramref name="writer"/>, with the same routing, failover, health and stats as
    /// <see cref="ChatCompletionAsync"/>.
    /// </summary>
    /// <remarks>
    /// When the chosen platform speaks OpenAI, the body is forwarded with only <c>model</c> rewritten (and, for a
    /// stream, <c>stream_options.include_usage</c> turned on so stats get tokens; the usage chunk is then not relayed to
    /// a client that did not ask for it), and the upstream's JSON is relayed without being re-serialized. Other formats
    /// go through their adapter.
    /// </remarks>
    /// <param name="request">The request, from <see cref="ChatRelayRequest.Parse"/>.</param>
    /// <param name="writer">Receives the response once an attempt succeeded.</param>
    /// <param name="cancellationToken">Cancels the request (the client left): the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>What served the request, once the whole response has been written.</returns>
    /// <exception cref="PortalException">
    /// The request could not be served. When the writer was already started (a stream that broke midway), the caller
    /// should end the response with an error event instead of a status.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ChatRelayResult> RelayChatCompletionAsync(ChatRelayRequest request, IChatRelayWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writer);
        ChatCompletionRequest typed;
        try
        {
            typed = JsonSerializer.Deserialize(request.Body.Span, PortalJsonContext.Default.ChatCompletionRequest)
                ?? throw new PortalException(PortalErrorCode.InvalidRequest, "The request body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new PortalException(PortalErrorCode.InvalidRequest, $"The request body does not match the chat completion request schema (at {ex.Path}).", innerException: ex);
        }

        if (!request.Stream)
        {
            var response = await ChatCompletionAsync(typed, cancellationToken).ConfigureAwait(false);
            await writer.StartAsync(stream: false, cancellationToken).ConfigureAwait(false);
            await writer.WriteBodyAsync(JsonSerializer.SerializeToUtf8Bytes(response, PortalJsonContext.Default.ChatCompletionResponse), cancellationToken).ConfigureAwait(false);
            return new ChatRelayResult(0, 0, 0, 1, response.Usage?.PromptTokens, response.Usage?.CompletionTokens);
        }

        var started = false;
        await foreach (var chunk in StreamChatCompletionAsync(typed, cancellationToken).ConfigureAwait(false))
        {
            if (!started)
            {
                await writer.StartAsync(stream: true, cancellationToken).ConfigureAwait(false);
                started = true;
            }

            await writer.WriteEventAsync(JsonSerializer.SerializeToUtf8Bytes(chunk, PortalJsonContext.Default.ChatCompletionChunk), cancellationToken).ConfigureAwait(false);
        }

        if (!started)
        {
            await writer.StartAsync(stream: true, cancellationToken).ConfigureAwait(false);
        }

        await writer.WriteEventAsync("[DONE]"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        return new ChatRelayResult(0, 0, 0, 1, null, null);
    }
}
