using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Portal.Providers;

/// <summary>Reads server-sent events from a byte stream.</summary>
/// <remarks>
/// Works on bytes, so a line or a UTF-8 character split across reads needs no special handling: nothing is decoded
/// until an event is complete. Lines end with LF, CRLF or CR. Comment lines (<c>: keep-alive</c>) and the
/// other fields (<c>id</c>, <c>retry</c>, unknown ones) are skipped; <c>data</c> lines of one event are joined with LF. A line that is no
/// SSE field at all (an HTML page, random bytes) is a protocol error, as is an event larger than the limit.
/// <see cref="TryRead"/> takes the next event only when it has already arrived, so a caller can tell the events at hand
/// from those it would have to wait for. Not thread-safe; <see cref="Data"/> is valid until the next call to
/// <see cref="TryRead"/> or <see cref="ReadAsync"/>.
/// </remarks>
internal sealed class SseReader : IAsyncDisposable
{
    private const byte Cr = (byte)'\r';
    private const byte Lf = (byte)'\n';
    private const int MaxFramingBytes = 64;

    private readonly PipeReader _reader;
    private readonly int _maxEventBytes;

    // Sized for the typical event (a chat chunk is a few hundred bytes): one reader lives per open stream, and a
    // gateway holding a thousand slow streams holds a thousand of these. Larger events span segments of the pipe and
    // grow the data buffer as needed. With nothing buffered, the reader waits for the next chunk with a zero-byte read
    // (which HttpClient's response streams support) and takes its read buffer only once data has arrived, so an idle
    // stream holds none.
    private const int ReadBufferBytes = 4 * 1024;
    private const int InitialDataBytes = 1024;

    private readonly ArrayBufferWriter<byte> _data = new(InitialDataBytes);
    private bool _hasData;
    private bool _completed;

    // The last call returned an event: the next one starts a new event. Until then, lines already taken (an event cut
    // between reads) stay, so a TryRead that finds no whole event loses nothing for the ReadAsync that follows.
    private bool _delivered;

    public SseReader(Stream stream, int maxEventBytes = 16 * 1024 * 1024)
    {
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReadBufferBytes, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        _maxEventBytes = maxEventBytes;
    }

    /// <summary>The data of the current event (data lines joined with LF).</summary>
    public ReadOnlyMemory<byte> Data => _data.WrittenMemory;

    /// <summary>The <c>event</c> field of the current event, or <see langword="null"/> for the default <c>message</c>.</summary>
    public string? EventType { get; private set; }

    /// <summary>Moves to the next event that has data, waiting for the stream when it has not arrived yet.</summary>
    /// <returns><see langword="false"/> at the end of the stream.</returns>
    /// <exception cref="UpstreamException">The stream is not a valid event stream.</exception>
    public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (TryRead())
        {
            return true;
        }

        while (!_completed)
        {
            if (Take(await _reader.ReadAsync(cancellationToken).ConfigureAwait(false)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Moves to the next event that has data if it has already arrived whole, without waiting.</summary>
    /// <returns>
    /// <see langword="false"/> when no whole event is at hand (<see cref="ReadAsync"/> then waits for it) or at the end of
    /// the stream.
    /// </returns>
    /// <exception cref="UpstreamException">The stream is not a valid event stream.</exception>
    public bool TryRead()
    {
        if (_delivered)
        {
            _data.ResetWrittenCount();
            _hasData = false;
            EventType = null;
            _delivered = false;
        }

        return !_completed && _reader.TryRead(out var result) && Take(result);
    }

    public ValueTask DisposeAsync() => _reader.CompleteAsync();

    /// <summary>Parses what a read returned; true when an event was completed. At the end of the stream, sets <see cref="_completed"/>.</summary>
    private bool Take(ReadResult result)
    {
        var buffer = result.Buffer;
        if (ParseLines(ref buffer, result.IsCompleted))
        {
            // Only what was consumed counts as examined: more events may already be in the buffer.
            _reader.AdvanceTo(buffer.Start);
            _delivered = true;
            return true;
        }

        _reader.AdvanceTo(buffer.Start, buffer.End);

        if (result.IsCompleted)
        {
            _completed = true;

            // Lenient: an event not followed by a blank line before the end still counts.
            _delivered = _hasData;
            return _hasData;
        }

        // One unfinished line is left in the buffer; allow for its field name and line end.
        if (buffer.Length > _maxEventBytes + MaxFramingBytes)
        {
            throw TooLarge();
        }

        return false;
    }

    /// <summary>Consumes whole lines from <paramref name="buffer"/>; returns true when an event was completed.</summary>
    private bool ParseLines(ref ReadOnlySequence<byte> buffer, bool isCompleted)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (true)
        {
            // Most lines lie whole in the current segment: read them as spans.
            var unread = reader.UnreadSpan;
            var lineEnd = unread.IndexOfAny(Cr, Lf);
            if (lineEnd >= 0 && (unread[lineEnd] == Lf || lineEnd + 1 < unread.Length))
            {
                var length = lineEnd + (unread[lineEnd] == Cr && unread[lineEnd + 1] == Lf ? 2 : 1);
                if (lineEnd > 0)
                {
                    ProcessLine(unread[..lineEnd]);
                    reader.Advance(length);
                    continue;
                }

                reader.Advance(length);
                if (_hasData)
                {
                    buffer = buffer.Slice(reader.Position);
                    return true;
                }

                EventType = null; // An event without data is dropped.
                continue;
            }

            // A line across segments, not ended yet, or ending with a CR whose LF may be in the next segment or read.
            var lineStart = reader.Position;
            if (!reader.TryReadToAny(out ReadOnlySequence<byte> line, "\r\n"u8, advancePastDelimiter: false))
            {
                if (isCompleted && !reader.End)
                {
                    // The last line has no line end: take it as it is.
                    line = reader.UnreadSequence;
                    reader.AdvanceToEnd();
                    ProcessLine(line);
                }

                buffer = buffer.Slice(reader.Position);
                return false;
            }

            reader.TryRead(out var end);
            if (end == Cr)
            {
                if (reader.End && !isCompleted)
                {
                    // A CR at the end of what has arrived: an LF may follow in the next read. Keep the line for then.
                    buffer = buffer.Slice(lineStart);
                    return false;
                }

                if (reader.TryPeek(out var next) && next == Lf)
                {
                    reader.Advance(1);
                }
            }

            if (line.IsEmpty)
            {
                if (_hasData)
                {
                    buffer = buffer.Slice(reader.Position);
                    return true;
                }

                EventType = null; // An event without data is dropped.
                continue;
            }

            ProcessLine(line);
        }
    }

    private void ProcessLine(ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            ProcessLine(line.FirstSpan);
            return;
        }

        if (line.FirstSpan[0] == (byte)':')
        {
            return; // Comment, such as a keep-alive.
        }

        var colon = line.PositionOf((byte)':');
        var name = colon is null ? line : line.Slice(0, colon.Value);
        var value = colon is null ? ReadOnlySequence<byte>.Empty : line.Slice(line.GetPosition(1, colon.Value));
        if (!value.IsEmpty && value.FirstSpan[0] == (byte)' ')
        {
            value = value.Slice(1);
        }

        if (Is(name, "data"u8))
        {
            if (_hasData)
            {
                _data.Write([Lf]);
            }

            if (_data.WrittenCount + value.Length > _maxEventBytes)
            {
                throw TooLarge();
            }

            foreach (var segment in value)
            {
                _data.Write(segment.Span);
            }

            _hasData = true;
        }
        else if (Is(name, "event"u8))
        {
            EventType = value.IsSingleSegment ? EventName(value.FirstSpan) : EventName(value.ToArray());
        }
        else if (name.Length > MaxFramingBytes || !IsFieldName(name.ToArray()))
        {
            throw NotAnEventStream();
        }
    }

    /// <summary>The same as <see cref="ProcessLine(ReadOnlySequence{byte})"/>, for a line in one piece.</summary>
    private void ProcessLine(ReadOnlySpan<byte> line)
    {
        if (line[0] == (byte)':')
        {
            return; // Comment, such as a keep-alive.
        }

        var colon = line.IndexOf((byte)':');
        var name = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
        {
            value = value[1..];
        }

        if (name.SequenceEqual("data"u8))
        {
            if (_hasData)
            {
                _data.Write([Lf]);
            }

            if (_data.WrittenCount + value.Length > _maxEventBytes)
            {
                throw TooLarge();
            }

            _data.Write(value);
            _hasData = true;
        }
        else if (name.SequenceEqual("event"u8))
        {
            EventType = EventName(value);
        }
        else if (!IsFieldName(name))
        {
            throw NotAnEventStream();
        }
    }

    /// <summary>The event names upstreams send on every event, so naming an event allocates nothing for them.</summary>
    private static readonly string[] KnownEventNames =
    [
        "content_block_delta", "content_block_start", "content_block_stop", "message_start", "message_delta", "message_stop", "ping", "error",
    ];

    /// <summary>The <c>event</c> field's value as a string: a shared instance for the known names, a new string for others.</summary>
    private static string EventName(ReadOnlySpan<byte> value)
    {
        foreach (var known in KnownEventNames)
        {
            if (value.Length == known.Length && System.Text.Ascii.Equals(value, known))
            {
                return known;
            }
        }

        return Encoding.UTF8.GetString(value);
    }

    /// <summary>Other fields are ignored, as the SSE specification says, if they look like field names at all.</summary>
    private static bool IsFieldName(ReadOnlySpan<byte> name)
    {
        if (name.Length > MaxFramingBytes)
        {
            return false;
        }

        foreach (var b in name)
        {
            if (!char.IsAsciiLetterOrDigit((char)b) && b != (byte)'-' && b != (byte)'_')
            {
                return false;
            }
        }

        return true;
    }

    private static bool Is(ReadOnlySequence<byte> name, ReadOnlySpan<byte> expected) =>
        name.Length == expected.Length && (name.IsSingleSegment ? name.FirstSpan.SequenceEqual(expected) : name.ToArray().AsSpan().SequenceEqual(expected));

    private static UpstreamException NotAnEventStream() =>
        new(UpstreamErrorKind.Protocol, "Upstream sent a response that is not a valid event stream (unexpected line).");

    private UpstreamException TooLarge() =>
        new(UpstreamErrorKind.Protocol, $"Upstream sent an event larger than {_maxEventBytes} bytes.");
}
