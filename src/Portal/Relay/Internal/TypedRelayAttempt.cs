using System.Text.Json;
using Portal.Contracts;
using Portal.Contracts.Internal;
using Portal.Providers;

namespace Portal.Relay.Internal;

/// <summary>A relay attempt through an adapter's typed API: for platforms whose format is not OpenAI's.</summary>
internal sealed class TypedRelayAttempt(IProviderAdapter adapter, Channel channel, ChatCompletionRequest request, bool stream, bool callerWantsUsage) : RelayAttempt
{
    private ChatCompletionResponse? _response;
    private IAsyncEnumerator<ChatCompletionChunk>? _chunks;
    private bool _hasFirst;

    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (!stream)
        {
            _response = await adapter.ChatCompletionAsync(channel, request, cancellationToken).ConfigureAwait(false);
            Tokens = Stats.TokenCounts.From(_response.Usage);
            return;
        }

        _chunks = adapter.StreamChatCompletionAsync(channel, request, cancellationToken).GetAsyncEnumerator(cancellationToken);
        (_hasFirst, var usage) = await FirstForCallerAsync(_chunks, callerWantsUsage).ConfigureAwait(false);
        Tokens = Stats.TokenCounts.From(usage);
    }

    /// <summary>
    /// Moves to the first chunk that goes to the caller, past usage-only chunks it did not ask for (whose usage is returned),
    /// so that an attempt commits only once something reaches the caller, as the byte relay does.
    /// </summary>
    /// <returns>Whether there is such a chunk (false: the stream ended), and the usage of the chunks skipped.</returns>
    internal static async ValueTask<(bool HasFirst, Usage? Usage)> FirstForCallerAsync(IAsyncEnumerator<ChatCompletionChunk> chunks, bool callerWantsUsage)
    {
        Usage? usage = null;
        while (await chunks.MoveNextAsync().ConfigureAwait(false))
        {
            var chunk = chunks.Current;
            if (ForCaller(chunk.Choices.Count, chunk.Usage is not null, callerWantsUsage))
            {
                return (true, usage);
            }

            usage = chunk.Usage ?? usage;
        }

        return (false, usage);
    }

    public override async Task PumpAsync(IChatRelayWriter writer, CancellationToken cancellationToken)
    {
        if (_response is not null)
        {
            await writer.WriteBodyAsync(JsonSerializer.SerializeToUtf8Bytes(_response, WireJson.Context.ChatCompletionResponse), cancellationToken).ConfigureAwait(false);
            return;
        }

        var more = _hasFirst;
        while (more)
        {
            var chunk = _chunks!.Current;
            if (chunk.Usage is { } usage)
            {
                Tokens = Stats.TokenCounts.From(usage);
            }

            if (ForCaller(chunk.Choices.Count, chunk.Usage is not null, callerWantsUsage))
            {
                await writer.WriteEventAsync(JsonSerializer.SerializeToUtf8Bytes(chunk, WireJson.Context.ChatCompletionChunk), cancellationToken).ConfigureAwait(false);
            }

            more = await _chunks.MoveNextAsync().ConfigureAwait(false);
        }

        await writer.WriteEventAsync(RelayEvents.Done, cancellationToken).ConfigureAwait(false);
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

/// <summary>Event payloads the relay writes itself.</summary>
internal static class RelayEvents
{
    public static readonly ReadOnlyMemory<byte> Done = "[DONE]"u8.ToArray();
}
