using System.Buffers;
using Portal.Contracts;
using Portal.Providers;
using Portal.Providers.Anthropic;
using Portal.Stats;

namespace Portal.Relay.Internal;

/// <summary>One upstream attempt of an Anthropic Messages request: opened with failover, then pumped to the client once committed.</summary>
internal abstract class MessagesAttempt : IAsyncDisposable
{
    /// <summary>The tokens used, once the upstream reported usage.</summary>
    public TokenCounts Tokens { get; protected set; }

    /// <summary>Calls the upstream and waits until the answer can be committed to: the whole body, or the first event of a stream. Failures here fail over.</summary>
    public abstract Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>Writes the answer to the client (after the writer was started). Upstream failures here end the response.</summary>
    public abstract Task PumpAsync(IFramedRelayWriter writer, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// A Messages request served by a platform of another format: the request converted to the chat contract
/// (<see cref="AnthropicInbound.ToChat"/>) goes through the platform's adapter, and the answer is converted back into
/// Anthropic's message or event stream.
/// </summary>
internal sealed class ConvertedMessagesAttempt(IProviderAdapter adapter, Channel channel, ChatCompletionRequest request, bool stream, string clientModel) : MessagesAttempt
{
    private byte[]? _json;
    private IAsyncEnumerator<ChatCompletionChunk>? _chunks;
    private bool _hasFirst;

    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (!stream)
        {
            var response = await adapter.ChatCompletionAsync(channel, request, cancellationToken).ConfigureAwait(false);
            Tokens = TokenCounts.From(response.Usage);
            _json = AnthropicInbound.FromChatResponse(response, clientModel);
            return;
        }

        _chunks = adapter.StreamChatCompletionAsync(channel, request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        _hasFirst = await _chunks.MoveNextAsync().ConfigureAwait(false);
    }

    public override async Task PumpAsync(IFramedRelayWriter writer, CancellationToken cancellationToken)
    {
        if (_json is not null)
        {
            await writer.WriteBodyAsync(_json, cancellationToken).ConfigureAwait(false);
            return;
        }

        var encoder = new AnthropicEventEncoder(clientModel);
        var events = new ArrayBufferWriter<byte>(1024);
        var more = _hasFirst;
        while (more)
        {
            var chunk = _chunks!.Current;
            if (chunk.Usage is { } usage)
            {
                Tokens = TokenCounts.From(usage);
            }

            encoder.Add(chunk, events);
            if (events.WrittenCount > 0)
            {
                await writer.WriteEventsAsync(events.WrittenMemory, cancellationToken).ConfigureAwait(false);
                events.ResetWrittenCount();
            }

            more = await _chunks.MoveNextAsync().ConfigureAwait(false);
        }

        encoder.Complete(events);
        await writer.WriteEventsAsync(events.WrittenMemory, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_chunks is not null)
        {
            try
            {
                await _chunks.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The attempt's outcome is already decided; a failing cleanup must not replace it.
            }
        }
    }
}
