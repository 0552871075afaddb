using System.Buffers;
using System.Text.Json;
using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal.Providers.Anthropic;

/// <summary>
/// The same-format path for Anthropic Messages clients: the client's body goes upstream with only <c>model</c>
/// rewritten, and the upstream's answer comes back as it is: a non-streaming body byte for byte, a stream event by event
/// (each event's data untouched, re-framed as <c>event: {type}\ndata: {data}\n\n</c>).
/// </summary>
/// <remarks>
/// Only the events the gateway needs are parsed: <c>message_start</c> and <c>message_delta</c> for usage,
/// <c>error</c> (which fails the attempt: before the first event is relayed it fails over, after it the gateway ends
/// the stream with its own scrubbed error event). Text and tool deltas pass without being read. A stream must start
/// with <c>message_start</c> (pings before it are dropped) and end with <c>message_stop</c>.
/// </remarks>
internal sealed class AnthropicRelayAttempt(AnthropicAdapter adapter, Channel channel, MessagesRelayRequest request) : MessagesAttempt
{
    private static ReadOnlySpan<byte> EventPrefix => "event: "u8;

    private static ReadOnlySpan<byte> DataPrefix => "\ndata: "u8;

    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    private HttpResponseMessage? _response;
    private Stream? _body;
    private SseReader? _events;
    private byte[]? _json;
    private int _status;
    private bool _stopped;
    private AnthropicOutboundUsage _usage;

    public override async Task OpenAsync(CancellationToken cancellationToken)
    {
        var stream = request.Stream;
        using (var message = adapter.CreateRequest(channel, request.BodyFor(channel.Model.Name), stream, request.AnthropicVersion, request.AnthropicBeta))
        {
            _response = await adapter.SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        }

        _status = (int)_response.StatusCode;
        if (!stream)
        {
            var json = await UpstreamBody.ReadAsync(_response, cancellationToken).ConfigureAwait(false);
            AnthropicAdapter.ThrowIfError(json, _status, channel);
            TakeUsage(json);
            _json = json;
            return;
        }

        _body = await adapter.OpenEventStreamAsync(_response, channel, cancellationToken).ConfigureAwait(false);
        _events = new SseReader(_body);
        do
        {
            if (!await _events.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                throw AnthropicAdapter.EndedEarly(_status);
            }
        }
        while (_events.EventType == "ping");

        if (_events.EventType != "message_start")
        {
            Accept(); // An error event throws its error.
            throw new UpstreamException(UpstreamErrorKind.Protocol,
                $"Upstream stream did not start with message_start (its first event was '{ClientText(_events.EventType)}').", _status);
        }

        Accept();
    }

    public override async Task PumpAsync(IFramedRelayWriter writer, CancellationToken cancellationToken)
    {
        if (_json is not null)
        {
            await writer.WriteBodyAsync(_json, cancellationToken).ConfigureAwait(false);
            return;
        }

        // The events that have arrived go to the client together, in one write and flush; the next read waits only
        // once they are written, so no event waits for a later one.
        var batch = new ArrayBufferWriter<byte>(2048);
        var events = _events!;
        while (true)
        {
            Frame(batch, events.EventType, events.Data.Span);
            if (_stopped)
            {
                break;
            }

            bool more;
            try
            {
                more = events.TryRead() || await WriteThenReadAsync(batch, writer, events, cancellationToken).ConfigureAwait(false);
                if (more)
                {
                    Accept();
                }
            }
            catch (UpstreamException)
            {
                // A broken or error event ends the stream; the events before it still reach the client first.
                await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
                throw;
            }

            if (!more)
            {
                await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
                throw AnthropicAdapter.EndedEarly(_status);
            }
        }

        await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
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

    private static async Task<bool> WriteThenReadAsync(ArrayBufferWriter<byte> batch, IFramedRelayWriter writer, SseReader events, CancellationToken cancellationToken)
    {
        await FlushAsync(batch, writer, cancellationToken).ConfigureAwait(false);
        return await events.ReadAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask FlushAsync(ArrayBufferWriter<byte> batch, IFramedRelayWriter writer, CancellationToken cancellationToken)
    {
        if (batch.WrittenCount > 0)
        {
            await writer.WriteEventsAsync(batch.WrittenMemory, cancellationToken).ConfigureAwait(false);
            batch.ResetWrittenCount();
        }
    }

    /// <summary>Applies the stream's rules to the current event: takes usage, notes the end, throws an error event's error.</summary>
    private void Accept()
    {
        var type = _events!.EventType;
        switch (type)
        {
            case "message_start" or "message_delta":
                TakeUsage(_events.Data.Span);
                break;
            case "message_stop":
                _stopped = true;
                break;
            case "error":
                throw ErrorEvent(_events.Data.Span);
        }
    }

    private UpstreamException ErrorEvent(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var inner) ? inner : root;
            return AnthropicErrors.FromError(error, status: null, channel.ApiKey.Value, retryAfter: null);
        }
        catch (JsonException ex)
        {
            return new UpstreamException(UpstreamErrorKind.Protocol, "Upstream sent an error event that is not valid JSON.", _status, innerException: ex);
        }
    }

    /// <summary>Takes the usage of a message or of a <c>message_start</c>/<c>message_delta</c> event.</summary>
    private void TakeUsage(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            var message = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var inner) ? inner : root;
            if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = _usage.With(usage);
                Tokens = _usage.Tokens;
            }
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrorKind.Protocol,
                $"Upstream sent {(request.Stream ? "an event" : "a response")} that is not valid JSON (at byte {ex.BytePositionInLine ?? 0} of line {(ex.LineNumber ?? 0) + 1}).", _status, innerException: ex);
        }
    }

    /// <summary>Writes one event, <c>event: {type}\ndata: {data}\n\n</c>; data of several lines gets a <c>data:</c> field per line, as it came.</summary>
    private static void Frame(ArrayBufferWriter<byte> batch, string? type, ReadOnlySpan<byte> data)
    {
        Write(batch, EventPrefix);
        var name = batch.GetSpan(System.Text.Encoding.UTF8.GetMaxByteCount((type ?? "message").Length));
        batch.Advance(System.Text.Encoding.UTF8.GetBytes(type ?? "message", name));
        while (true)
        {
            Write(batch, DataPrefix);
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Write(batch, data);
                break;
            }

            Write(batch, data[..newline]);
            data = data[(newline + 1)..];
        }

        Write(batch, EventEnd);
    }

    private static void Write(ArrayBufferWriter<byte> batch, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(batch.GetSpan(bytes.Length));
        batch.Advance(bytes.Length);
    }

    private static string ClientText(string? text) => text is null ? "" : text.Length <= 40 ? text : text[..40];
}
