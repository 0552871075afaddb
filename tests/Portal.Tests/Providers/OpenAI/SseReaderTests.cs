using System.IO.Compression;
using System.Text;
using Portal.Providers;

namespace Portal.Tests.Providers.OpenAI;

public sealed class SseReaderTests
{
    // Multi-byte UTF-8 (2, 3 and 4 bytes), every line ending, comments, id/retry, multi-line data, an error event,
    // an event without data, and a last event with no blank line after it.
    private const string Mixed =
        ": keep-alive\n\n" +
        "data: {\"text\":\"héllo 世界 😀\"}\r\n\r\n" +
        "event: error\ndata: {\"error\":{\"message\":\"überlastet\"}}\n\n" +
        "id: 7\nretry: 1000\ndata: line1\ndata: line2\r\r" +
        "event: ping\n\n" +
        ": comment between events\r\n" +
        "data:no-space\rdata:  two spaces\r\n\n" +
        "data: [DONE]";

    private static readonly (string? EventType, string Data)[] MixedEvents =
    [
        (null, "{\"text\":\"héllo 世界 😀\"}"),
        ("error", "{\"error\":{\"message\":\"überlastet\"}}"),
        (null, "line1\nline2"),
        (null, "no-space\n two spaces"),
        (null, "[DONE]"),
    ];

    [Fact]
    public async Task ReadAsync_WholeBuffer_ParsesEveryEvent()
    {
        var events = await ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(Mixed)));

        Assert.Equal(MixedEvents, events);
    }

    [Fact]
    public async Task ReadAsync_OneBytePerRead_SameEventsAsWholeBuffer()
    {
        var events = await ReadAllAsync(ChunkedStream.OneByte(Mixed));

        Assert.Equal(MixedEvents, events);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(1234)]
    public async Task ReadAsync_RandomSizedPieces_SameEventsAsWholeBuffer(int seed)
    {
        var random = new Random(seed);

        var events = await ReadAllAsync(new ChunkedStream(Encoding.UTF8.GetBytes(Mixed), () => random.Next(1, 8)));

        Assert.Equal(MixedEvents, events);
    }

    [Fact]
    public async Task ReadAsync_EveryCharacterSplitPoint_SameEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(Mixed);
        for (var split = 1; split < bytes.Length; split++)
        {
            var first = true;
            var at = split;
            var events = await ReadAllAsync(new ChunkedStream(bytes, () =>
            {
                var size = first ? at : int.MaxValue;
                first = false;
                return size;
            }));

            Assert.Equal(MixedEvents, events);
        }
    }

    [Fact]
    public async Task ReadAsync_CommentsOnly_ReturnsFalse()
    {
        Assert.Empty(await ReadAllAsync(Stream(": keep-alive\n\n: keep-alive\r\n\r\n")));
    }

    [Fact]
    public async Task ReadAsync_KeepAliveBetweenEvents_Skipped()
    {
        var events = await ReadAllAsync(Stream("data: a\n\n: keep-alive\n\ndata: b\n\n"));

        Assert.Equal([(null, "a"), (null, "b")], events);
    }

    [Fact]
    public async Task ReadAsync_SeveralDataLines_JoinedWithLineFeed()
    {
        var events = await ReadAllAsync(Stream("data: {\ndata: \"a\": 1\ndata: }\n\n"));

        Assert.Equal((null, "{\n\"a\": 1\n}"), Assert.Single(events));
    }

    [Fact]
    public async Task ReadAsync_ErrorEvent_ExposesEventTypeForThatEventOnly()
    {
        var events = await ReadAllAsync(Stream("event: error\ndata: {}\n\ndata: next\n\n"));

        Assert.Equal([("error", "{}"), (null, "next")], events);
    }

    [Fact]
    public async Task ReadAsync_EventWithoutData_DroppedWithItsType()
    {
        var events = await ReadAllAsync(Stream("event: ping\n\ndata: x\n\n"));

        Assert.Equal((null, "x"), Assert.Single(events));
    }

    [Fact]
    public async Task ReadAsync_IdAndRetryFields_Ignored()
    {
        var events = await ReadAllAsync(Stream("id: 1\nretry: 5000\ndata: x\nid\n\n"));

        Assert.Equal((null, "x"), Assert.Single(events));
    }

    [Theory]
    [InlineData("data: last")]
    [InlineData("data: last\n")]
    [InlineData("data: last\r")]
    [InlineData("data: last\r\n")]
    public async Task ReadAsync_EventAtEndWithoutBlankLine_StillReturned(string input)
    {
        Assert.Equal((null, "last"), Assert.Single(await ReadAllAsync(Stream(input))));
        Assert.Equal((null, "last"), Assert.Single(await ReadAllAsync(ChunkedStream.OneByte(input))));
    }

    [Fact]
    public async Task ReadAsync_EmptyStream_ReturnsFalseEveryTime()
    {
        await using var reader = new SseReader(new MemoryStream());

        Assert.False(await reader.ReadAsync(CancellationToken.None));
        Assert.False(await reader.ReadAsync(CancellationToken.None));
        Assert.True(reader.Data.IsEmpty);
    }

    [Fact]
    public async Task ReadAsync_AfterLastEvent_ReturnsFalseWithNoData()
    {
        await using var reader = new SseReader(Stream("data: x\n\n"));

        Assert.True(await reader.ReadAsync(CancellationToken.None));
        Assert.False(await reader.ReadAsync(CancellationToken.None));
        Assert.True(reader.Data.IsEmpty);
        Assert.Null(reader.EventType);
    }

    [Theory]
    [InlineData("<html>\n<body>Bad gateway</body>\n</html>\n")]
    [InlineData("<html>")]
    [InlineData("{\"error\":{\"message\":\"not a stream\"}}\n")]
    [InlineData("data: ok\n\nHTTP/1.1 502 Bad Gateway\n\n")]
    public async Task ReadAsync_NotAnEventStream_ThrowsProtocolError(string input)
    {
        foreach (var stream in new Stream[] { Stream(input), ChunkedStream.OneByte(input) })
        {
            var e = await Assert.ThrowsAsync<UpstreamException>(() => ReadAllAsync(stream));
            Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
        }
    }

    [Fact]
    public async Task ReadAsync_DataLargerThanLimit_ThrowsProtocolError()
    {
        var input = "data: " + new string('x', 100) + "\n\n";

        foreach (var stream in new Stream[] { Stream(input), ChunkedStream.OneByte(input) })
        {
            var e = await Assert.ThrowsAsync<UpstreamException>(() => ReadAllAsync(stream, maxEventBytes: 64));
            Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
        }
    }

    [Fact]
    public async Task ReadAsync_ManyLinesLargerThanLimitTogether_ThrowsProtocolError()
    {
        var input = string.Concat(Enumerable.Repeat("data: " + new string('x', 20) + "\n", 10)) + "\n";

        foreach (var stream in new Stream[] { Stream(input), ChunkedStream.OneByte(input) })
        {
            var e = await Assert.ThrowsAsync<UpstreamException>(() => ReadAllAsync(stream, maxEventBytes: 64));
            Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
        }
    }

    [Fact]
    public async Task ReadAsync_EndlessLineWithoutLineEnd_ThrowsInsteadOfBuffering()
    {
        var input = new string('x', 1_000);

        var e = await Assert.ThrowsAsync<UpstreamException>(() => ReadAllAsync(ChunkedStream.OneByte(input), maxEventBytes: 64));
        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
    }

    // Lines in one pipe segment are read as spans and the rest through the sequence reader: shifting the mixed events
    // across the reader's 4 KB segments puts every line, and every CR, CRLF and LF, on a segment boundary once.
    [Fact]
    public async Task ReadAsync_EveryLineAcrossASegmentBoundary_SameEvents()
    {
        for (var padding = 2_900; padding <= 4_200; padding++)
        {
            var input = ": " + new string('p', padding) + "\n" + Mixed;

            var events = await ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(input)));

            Assert.Equal(MixedEvents, events);
        }
    }

    // The limit must not depend on how the bytes happened to be split across reads.
    [Fact]
    public async Task ReadAsync_DataExactlyAtLimit_AcceptedHoweverSplit()
    {
        var data = new string('x', 64);
        var input = "data: " + data + "\n\n";

        Assert.Equal((null, data), Assert.Single(await ReadAllAsync(Stream(input), maxEventBytes: 64)));
        Assert.Equal((null, data), Assert.Single(await ReadAllAsync(ChunkedStream.OneByte(input), maxEventBytes: 64)));
    }

    // Events far larger than the reader's 4 KB read buffer span many pipe segments, whole or split into odd pieces.
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(4093)]
    public async Task ReadAsync_EventsLargerThanReadBuffer_ReadWhole(int pieceSize)
    {
        var big = string.Concat(Enumerable.Range(0, 3_000).Select(i => $"{i},"));
        var multiLine = new string('é', 5_000);
        var input = $"data: {big}\n\ndata: {multiLine}\ndata: {big}\r\n\r\ndata: small\n\n";
        var bytes = Encoding.UTF8.GetBytes(input);
        Stream stream = pieceSize == 0 ? new MemoryStream(bytes) : new ChunkedStream(bytes, () => pieceSize);

        var events = await ReadAllAsync(stream);

        Assert.Equal([(null, big), (null, multiLine + "\n" + big), (null, "small")], events);
    }

    [Fact]
    public async Task ReadAsync_NothingBuffered_WaitsWithZeroByteReadBeforeTakingABuffer()
    {
        // Waiting for the next chunk then holds no read buffer: a gateway with a thousand slow streams open would
        // otherwise hold a thousand of them.
        var stream = new ChunkedStream(Encoding.UTF8.GetBytes("data: a\n\ndata: b\n\n"), () => 9);

        var events = await ReadAllAsync(stream);

        Assert.Equal(["a", "b"], events.Select(e => e.Data));
        Assert.Equal(0, stream.Requested[0]);
        for (var i = 1; i < stream.Requested.Count; i++)
        {
            if (stream.Requested[i] > 0)
            {
                Assert.Equal(0, stream.Requested[i - 1]);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task ReadAsync_GzipDecompressedStream_ReadsEveryEvent(int pieceSize)
    {
        // HttpClient decompresses gzip responses (the gateway asks for every encoding): the zero-byte reads that wait
        // for data then go to a decompression stream, which must not lose or reorder anything.
        var events = Enumerable.Range(0, 200).Select(i => $"{{\"i\":{i},\"text\":\"{new string('x', i % 50)}\"}}").ToList();
        var text = string.Concat(events.Select(e => $"data: {e}\n\n"));
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(text));
        }

        var stream = new GZipStream(new ChunkedStream(compressed.ToArray(), () => pieceSize), CompressionMode.Decompress);

        var read = await ReadAllAsync(stream);

        Assert.Equal(events, read.Select(e => e.Data));
    }

    [Fact]
    public async Task TryRead_EventsThatArrivedTogether_ReturnedWithoutReadingTheStream()
    {
        const string together = "data: a\n\ndata: b\n\ndata: c\n\n";
        var pieces = new Queue<int>([together.Length]);
        var stream = new ChunkedStream(Encoding.UTF8.GetBytes(together + "data: d\n\n"), () => pieces.TryDequeue(out var size) ? size : int.MaxValue);
        await using var reader = new SseReader(stream);

        Assert.True(await reader.ReadAsync(CancellationToken.None));
        Assert.Equal("a", Encoding.UTF8.GetString(reader.Data.Span));
        var reads = stream.Requested.Count;
        Assert.True(reader.TryRead());
        Assert.Equal("b", Encoding.UTF8.GetString(reader.Data.Span));
        Assert.True(reader.TryRead());
        Assert.Equal("c", Encoding.UTF8.GetString(reader.Data.Span));
        Assert.False(reader.TryRead());
        Assert.Equal(reads, stream.Requested.Count);

        Assert.True(await reader.ReadAsync(CancellationToken.None));
        Assert.Equal("d", Encoding.UTF8.GetString(reader.Data.Span));
        Assert.False(reader.TryRead());
        Assert.False(await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task TryRead_EventCutBetweenReads_FalseThenReadAsyncReturnsItWhole()
    {
        // The second event's first data line has arrived, its second has not: TryRead takes the line but has no event,
        // and the ReadAsync that waits for the rest keeps it.
        const string first = "data: a\n\ndata: x\ndata: y";
        var pieces = new Queue<int>([first.Length]);
        await using var reader = new SseReader(new ChunkedStream(Encoding.UTF8.GetBytes(first + "z\n\n"), () => pieces.TryDequeue(out var size) ? size : int.MaxValue));

        Assert.True(await reader.ReadAsync(CancellationToken.None));
        Assert.False(reader.TryRead());
        Assert.True(await reader.ReadAsync(CancellationToken.None));

        Assert.Equal("x\nyz", Encoding.UTF8.GetString(reader.Data.Span));
    }

    [Fact]
    public async Task TryRead_NothingReadYet_FalseWithoutReadingTheStream()
    {
        var stream = new ChunkedStream(Encoding.UTF8.GetBytes("data: a\n\n"), () => int.MaxValue);
        await using var reader = new SseReader(stream);

        Assert.False(reader.TryRead());

        Assert.Empty(stream.Requested);
        Assert.True(await reader.ReadAsync(CancellationToken.None));
        Assert.Equal("a", Encoding.UTF8.GetString(reader.Data.Span));
    }

    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    private static async Task<List<(string? EventType, string Data)>> ReadAllAsync(Stream stream, int maxEventBytes = 16 * 1024 * 1024)
    {
        var events = new List<(string?, string)>();
        await using var reader = new SseReader(stream, maxEventBytes);
        while (await reader.ReadAsync(CancellationToken.None))
        {
            events.Add((reader.EventType, Encoding.UTF8.GetString(reader.Data.Span)));
        }

        return events;
    }

    /// <summary>A read-only stream that hands out its bytes in pieces of the sizes it is told.</summary>
    private sealed class ChunkedStream(byte[] data, Func<int> nextPieceSize) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public static ChunkedStream OneByte(string text) => new(Encoding.UTF8.GetBytes(text), () => 1);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty)
            {
                return 0; // A zero-byte read (waiting for data) takes no piece.
            }

            var size = Math.Min(Math.Min(buffer.Length, nextPieceSize()), data.Length - _position);
            data.AsSpan(_position, size).CopyTo(buffer);
            _position += size;
            return size;
        }

        /// <summary>The buffer size of every asynchronous read, in order.</summary>
        public List<int> Requested { get; } = [];

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Requested.Add(buffer.Length);
            await Task.Yield();
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
