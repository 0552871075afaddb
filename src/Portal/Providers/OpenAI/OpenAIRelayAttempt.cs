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
    private SseReader? _reader;
    private byte[]? _json;
    private int _status;
    private bool _firstPending;
    private bool _ended;
    private bool _finished;

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
        _reader = new SseReader(_body);
        _firstPending = await NextEventAsync(first: true, cancellationToken).ConfigureAwait(false);
    }

    public override async Task PumpAsync(IChatRelayWriter writer, CancellationToken cancellationToken)
    {
        if (_json is not null)
        {
            await writer.WriteBodyAsync(_json, cancellationToken).ConfigureAwait(false);
            return;
        }

        var more = _firstPending;
        while (more)
        {
            await writer.WriteEventAsync(_reader!.Data, cancellationToken).ConfigureAwait(false);
            more = await NextEventAsync(first: false, cancellationToken).ConfigureAwait(false);
        }

        await writer.WriteEventAsync(RelayEvents.Done, cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.DisposeAsync().ConfigureAwait(false);
        }

        if (_body is not null)
        {
            await _body.DisposeAsync().ConfigureAwait(false);
        }

        _response?.Dispose();
    }

    private async Task ReadResponseAsync(CancellationToken cancellationToken)
    {
        var json = await OpenAIAdapter.ReadBodyAsync(_response!, cancellationToken).ConfigureAwait(false);
        var scan = Scan(json, "a response");
        if (scan.HasError && scan.Choices == 0)
        {
            throw ErrorFrom(json);
        }

        TakeUsage(scan);
        _json = json;
    }

    /// <summary>Reads events up to the next one for the client; false at the end of the stream.</summary>
    private async Task<bool> NextEventAsync(bool first, CancellationToken cancellationToken)
    {
        while (!_ended)
        {
            var read = await OpenAIAdapter.ReadEventAsync(_reader!, first, _status, cancellationToken).ConfigureAwait(false);
            if (!read)
            {
                if (!_finished)
                {
                    throw new UpstreamException(UpstreamErrorKind.Protocol,
                        first ? "Upstream stream ended without any event." : "Upstream stream ended before [DONE] or a finish reason.", _status);
                }

                _ended = true;
                return false;
            }

            var data = _reader!.Data.Span;
            if (data.SequenceEqual("[DONE]"u8))
            {
                _ended = true;
                return false;
            }

            var scan = Scan(data, "an event");
            if (scan.HasError)
            {
                throw ErrorFrom(data);
            }

            if (string.Equals(_reader.EventType, "error", StringComparison.OrdinalIgnoreCase))
            {
                throw new UpstreamException(UpstreamErrorKind.Http, "Upstream sent an error event.", _status);
            }

            _finished |= scan.Finished;
            TakeUsage(scan);
            if (ForCaller(scan.Choices, scan.HasUsage, request.IncludeUsage))
            {
                return true;
            }
        }

        return false;
    }

    private ChunkScan Scan(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return ChunkScan.Read(json);
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrorKind.Protocol, $"Upstream sent {what} that is not a valid JSON object (at byte {ex.BytePositionInLine ?? 0}).", _status, innerException: ex);
        }
    }

    private UpstreamException ErrorFrom(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        return OpenAIAdapter.ErrorFromBody(document.RootElement.GetProperty("error"), _status, channel, retryAfter: null);
    }
}
