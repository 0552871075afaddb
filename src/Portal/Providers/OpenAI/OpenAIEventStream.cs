using System.Text.Json;

namespace Portal.Providers.OpenAI;

/// <summary>
/// The rules of an OpenAI chat completion stream, for the typed adapter and the byte relay alike: how it ends, how it
/// fails, and what a lost connection is called.
/// </summary>
/// <remarks>
/// <para>
/// A stream ends with <c>data: [DONE]</c>, or at the end of the body once a chunk had a finish reason; a body that ends
/// otherwise is a protocol error ("without any event", or "before [DONE] or a finish reason"). A connection lost while
/// reading is a connection error, before the first event or in the middle of the stream. After <c>[DONE]</c> nothing
/// more is read.
/// </para>
/// <para>
/// Each caller reads an event's JSON its own way (the adapter deserializes it, the relay only scans it) and then hands
/// what it found to <see cref="Check"/>: an <c>error</c> member, or an event of type <c>error</c>, fails the stream.
/// Not thread-safe; <see cref="Data"/> is valid until the next read.
/// </para>
/// </remarks>
internal sealed class OpenAIEventStream : IAsyncDisposable
{
    private readonly SseReader _reader;
    private readonly int _status;
    private readonly Channel _channel;
    private int _events;
    private bool _finished;

    /// <summary>Reads the events of <paramref name="body"/>, which the caller keeps and disposes.</summary>
    /// <param name="body">The response body, an event stream.</param>
    /// <param name="status">The response's status, for the errors.</param>
    /// <param name="channel">The channel called, whose key is scrubbed from error messages.</param>
    public OpenAIEventStream(Stream body, int status, Channel channel)
    {
        _reader = new SseReader(body);
        _status = status;
        _channel = channel;
    }

    /// <summary>The data of the current event.</summary>
    public ReadOnlyMemory<byte> Data => _reader.Data;

    /// <summary>Whether the stream is over: <c>[DONE]</c> was read, or the body ended after a finish reason.</summary>
    public bool Ended { get; private set; }

    /// <summary>Moves to the next chunk if it has already arrived, without waiting.</summary>
    /// <returns>
    /// <see langword="false"/> when no whole event is at hand, or at the end (<see cref="Ended"/>); <see cref="ReadAsync"/>
    /// then waits for the next one, or applies the end-of-stream rules.
    /// </returns>
    /// <exception cref="UpstreamException">The body is not a valid event stream.</exception>
    public bool TryRead() => !Ended && _reader.TryRead() && Accept();

    /// <summary>Moves to the next chunk, waiting for it when it has not arrived yet.</summary>
    /// <returns><see langword="false"/> at the end of the stream.</returns>
    /// <exception cref="UpstreamException">The connection was lost, the body is not a valid event stream, or it ended too early.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (Ended)
        {
            return false;
        }

        bool read;
        try
        {
            read = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrorKind.Connection,
                _events == 0 ? "Upstream connection was lost before the first event." : "Upstream connection was lost in the middle of the stream.",
                _status, innerException: ex);
        }

        if (!read)
        {
            Ended = true;
            return _finished
                ? false
                : throw new UpstreamException(UpstreamErrorKind.Protocol,
                    _events == 0 ? "Upstream stream ended without any event." : "Upstream stream ended before [DONE] or a finish reason.", _status);
        }

        return Accept();
    }

    /// <summary>Applies the stream's rules to the current chunk, once the caller has read its JSON.</summary>
    /// <param name="error">The chunk's top-level <c>error</c> member, when it has one.</param>
    /// <param name="finished">Whether one of the chunk's choices has a finish reason.</param>
    /// <exception cref="UpstreamException">The chunk carries an error, or its event type is <c>error</c>.</exception>
    public void Check(JsonElement? error, bool finished)
    {
        if (error is { } body)
        {
            throw OpenAIAdapter.ErrorFromBody(body, _status, _channel, retryAfter: null);
        }

        if (string.Equals(_reader.EventType, "error", StringComparison.OrdinalIgnoreCase))
        {
            throw new UpstreamException(UpstreamErrorKind.Http, "Upstream sent an error event.", _status);
        }

        _finished |= finished;
    }

    public ValueTask DisposeAsync() => _reader.DisposeAsync();

    /// <summary>Counts the event just read; false when it is <c>[DONE]</c>, which ends the stream.</summary>
    private bool Accept()
    {
        _events++;
        if (_reader.Data.Span.SequenceEqual("[DONE]"u8))
        {
            Ended = true;
            return false;
        }

        return true;
    }
}
