using System.Text.Json;
using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal.Providers.OpenAI;

/// <summary>
/// The same-format fast path: the client's body goes upstream with only <c>model</c> (and the stream usage option)
/// rewritten, and the upstream's JSON comes back as bytes, scanned for usage and errors but never re-serialized.
/// </summary>
internal sealed class OpenAIRelayAttempt(OpenAIAdapter adapter, Channel channel, ChatRelayRequest request) : RelayAttempt
{
    private HttpResponseMessage? _response;
    private Stream? _body;
    private OpenAIEventStream? _events;
    private byte[]? _json;
    private int _status;
    private bool _firstPending;
    private bool _firstRead;

    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        var stream = request.Stream;
        var body = RelayBody.Build(request, channel.Model.Name, adapter.RequestStreamUsage);
        using (var message = adapter.CreateRequest(channel, body, stream))
        {
            _response = await adapter.SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        }

        _status = (int)_response.StatusCode;
        if (!stream)
        {
            await ReadResponseAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        _body = await adapter.OpenEventStreamAsync(_response, channel, cancellationToken).ConfigureAwait(false);
        _events = new OpenAIEventStream(_body, _status, channel);
        _firstPending = await NextAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task PumpAsync(IChatRelayWriter writer, CancellationToken cancellationToken)
    {
        if (_json is not null)
        {
            await writer.WriteBodyAsync(_json, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The events that have arrived go to the client together, in one write and flush: an upstream that sends a
        // burst costs one write, not one per event. The next read starts before anything is written; the moment it has
        // to wait for the upstream, what was gathered is written while it waits, so no event ever waits for a later one.
        using var batch = new RelayEventBatch();
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var more = _firstPending;
        while (more)
        {
            batch.Add(_events!.Data.Span);
            if (batch.IsFull)
            {
                // The upstream keeps sending: what was gathered goes now, so a batch's memory and its wait stay bounded.
                await batch.WriteAsync(writer, cancellationToken).ConfigureAwait(false);
            }

            ValueTask<bool> next;
            try
            {
                if (TryNext())
                {
                    continue;
                }

                if (_events.Ended)
                {
                    break; // [DONE] came with the batch.
                }

                next = NextAsync(reading.Token);
                if (next.IsCompleted)
                {
                    more = next.GetAwaiter().GetResult(); // More had arrived after all: it joins the batch.
                    continue;
                }
            }
            catch
            {
                // A broken event ends the stream; the events before it still reach the client first.
                await batch.WriteAsync(writer, cancellationToken).ConfigureAwait(false);
                throw;
            }

            var pending = next.AsTask();
            await WriteWhileReadingAsync(batch, writer, pending, reading, cancellationToken).ConfigureAwait(false);
            more = await pending.ConfigureAwait(false);
        }

        batch.Add(RelayEvents.Done.Span);
        await batch.WriteAsync(writer, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_events is not null)
        {
            await _events.DisposeAsync().ConfigureAwait(false);
        }

        if (_body is not null)
        {
            await _body.DisposeAsync().ConfigureAwait(false);
        }

        _response?.Dispose();
    }

    /// <summary>Writes the batch while <paramref name="read"/> waits for the upstream; a failed write stops the read before it returns.</summary>
    private static async Task WriteWhileReadingAsync(RelayEventBatch batch, IChatRelayWriter writer, Task<bool> read, CancellationTokenSource reading, CancellationToken cancellationToken)
    {
        try
        {
            await batch.WriteAsync(writer, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The client is gone: the read must be over before the attempt disposes the reader under it.
            await reading.CancelAsync().ConfigureAwait(false);
            try
            {
                await read.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled, or failed meanwhile: the write's failure is what ends the response.
            }

            throw;
        }
    }

    private async Task ReadResponseAsync(CancellationToken cancellationToken)
    {
        var json = await UpstreamBody.ReadAsync(_response!, cancellationToken).ConfigureAwait(false);
        var scan = Scan(json, "a response");
        if (scan.HasError && scan.Choices == 0)
        {
            throw OpenAIAdapter.ErrorFromBody(ErrorOf(json), _status, channel, retryAfter: null);
        }

        TakeUsage(scan);
        _json = json;
    }

    /// <summary>Reads chunks up to the next one for the client, waiting for the upstream; false at the end of the stream.</summary>
    private async ValueTask<bool> NextAsync(CancellationToken cancellationToken)
    {
        while (await _events!.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Accept())
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Reads chunks up to the next one for the client among those that have arrived; false when none is at hand.</summary>
    private bool TryNext()
    {
        while (_events!.TryRead())
        {
            if (Accept())
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Applies the stream's rules to the current chunk and takes its usage; true when it goes to the client.</summary>
    /// <remarks>
    /// The first chunk is read in full, so an upstream that sends something else than chunks fails before the commit and
    /// the request fails over. After it, a plain chunk (<see cref="ChunkScan.IsPlain"/>: a piece of text, with nothing the
    /// gateway reads) is relayed without reading its JSON; every other one is read in full (<see cref="ChunkScan.MustRead"/>).
    /// </remarks>
    private bool Accept()
    {
        var data = _events!.Data.Span;
        var scan = ChunkScan.MustRead(data, first: !_firstRead) ? Scan(data, "an event") : default;
        _firstRead = true;
        _events.Check(scan.HasError ? ErrorOf(data) : null, scan.Finished);
        TakeUsage(scan);
        return ForCaller(scan.Choices, scan.HasUsage, request.IncludeUsage);
    }

    private ChunkScan Scan(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return ChunkScan.Read(json);
        }
        catch (JsonException ex)
        {
            throw OpenAIAdapter.NotJsonObject(what, ex, _status);
        }
    }

    /// <summary>The top-level <c>error</c> member of a scanned JSON object that has one.</summary>
    private static JsonElement ErrorOf(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetProperty("error").Clone();
    }
}
