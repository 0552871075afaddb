using System.Text;
using Portal.Relay;
using Portal.Relay.Internal;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>
/// How a relayed stream reaches the writer: the events that have arrived together in one
/// <see cref="IChatRelayWriter.WriteEventsAsync"/> call, and an event the upstream sends alone at once, before the next.
/// </summary>
public sealed class RelayBatchingTests
{
    [Fact]
    public async Task RelayStream_EventsArrivingInOneWrite_HandedOverTogether()
    {
        // Twenty chunks and [DONE] in one upstream write: the relay reads them in one or two reads, so it hands them over
        // in a call or two, not twenty-one.
        string[] contents = [.. Enumerable.Range(0, 19).Select(i => $"w{i} ")];
        var body = string.Concat(contents.Select(c => SseChunk(c))) + SseChunk(null, "stop") + SseDone();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(body);
        await using var gateway = SingleChannel(upstream);
        var writer = new BatchRecordingWriter();

        await RelayAsync(gateway, ChatBody(stream: true), writer);

        Assert.Equal(string.Concat(contents), writer.Inner.Text());
        Assert.Equal("[DONE]", writer.Inner.EventTexts[^1]);
        Assert.Equal(21, writer.Inner.Events.Count);
        Assert.InRange(writer.Batches.Count, 1, 3);
        Assert.Equal(21, writer.Batches.Sum());
    }

    [Fact]
    public async Task RelayStream_LoneEvent_HandedOverBeforeTheUpstreamSendsMore()
    {
        // The upstream sends one chunk, then holds the rest until the writer has that chunk: a relay that waited to fill
        // a batch would never hand it over, and the relay would not end.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(SseChunk("first"), SseChunk("second"), SseChunk(null, "stop"), SseDone())
            .HoldAfter(1, release.Task);
        await using var gateway = SingleChannel(upstream);
        var writer = new BatchRecordingWriter();

        var relaying = RelayAsync(gateway, ChatBody(stream: true), writer);
        await writer.Inner.FirstWrite.WaitAsync(Wait);

        Assert.Equal([DataOf(SseChunk("first"))], writer.Inner.EventTexts);
        Assert.False(relaying.IsCompleted);
        release.SetResult();
        await relaying.WaitAsync(Wait);
        Assert.Equal("firstsecond", writer.Inner.Text());
        Assert.Equal("[DONE]", writer.Inner.EventTexts[^1]);
        Assert.Equal(1, writer.Batches[0]);
    }

    [Theory]
    [InlineData("{\"error\":{\"message\":\"Model crashed\",\"type\":\"server_error\",\"code\":null}}")]
    [InlineData("{\"choices\":[ not json")]
    public async Task RelayStream_BadEventAmongEventsArrivingTogether_EventsBeforeItWrittenThenFails(string badData)
    {
        // The bad event arrives with the good ones before it: they still reach the writer, in order, before the stream
        // fails, as they would have had they come one by one.
        var body = SseChunk("a") + SseChunk("b") + SseChunk("c") + Sse(badData) + SseChunk(null, "stop") + SseDone();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(body);
        await using var gateway = SingleChannel(upstream);
        var writer = new BatchRecordingWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ChatBody(stream: true), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Equal("abc", writer.Inner.Text());
        Assert.DoesNotContain("[DONE]", writer.Inner.EventTexts);
    }

    [Fact]
    public async Task RelayStream_WriteFailsWhileWaitingForTheUpstream_EndsAtOnceAndDropsTheUpstreamCall()
    {
        // The first event is written while the relay already waits for the next, which comes 300 ms later: the failed
        // write (the client left) ends the relay at once, and the upstream call with it, which the upstream sees when
        // it sends the next event into a closed connection.
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream([.. Enumerable.Range(0, 50).Select(i => $"chunk-{i} ")])
            .WithDelayBetweenWrites(TimeSpan.FromMilliseconds(300));
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter { ThrowOnWrite = 1 };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RelayAsync(gateway, ChatBody(stream: true), writer).WaitAsync(Wait));

        await Assert.Single(upstream.Requests).Aborted.WaitAsync(Wait);
        await gateway.FlushStatsAsync();
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.False(row.Success);
        Assert.Contains("client", row.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task RelayStream_UpstreamSendsMuchAtOnce_HandedOverInBoundedBatches()
    {
        // The writer holds the first event until the upstream has sent all the others (about 36 KB, which the socket
        // buffers hold): every read after it completes at once, so a relay that gathered whatever it could read without
        // waiting would hand them all over in one batch, however many there were.
        string[] contents = [.. Enumerable.Range(0, 60).Select(i => $"w{i:D2} {new string('x', 400)} ")];
        var rest = string.Concat(contents.Skip(1).Select(c => SseChunk(c))) + SseChunk(null, "stop") + SseDone();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(SseChunk(contents[0]), rest).HoldAfter(1, release.Task);
        await using var gateway = SingleChannel(upstream);
        var writer = new BatchRecordingWriter { Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };

        var relaying = RelayAsync(gateway, ChatBody(stream: true), writer);
        await writer.FirstBatchEntered.WaitAsync(Wait);
        release.SetResult();
        await (await upstream.WaitForRequestsAsync(1, Wait)).Finished.WaitAsync(Wait);
        writer.Hold.SetResult();
        await relaying.WaitAsync(Wait);

        Assert.Equal(string.Concat(contents), writer.Inner.Text());
        Assert.Equal("[DONE]", writer.Inner.EventTexts[^1]);
        var largest = writer.Inner.Events.Max(e => e.Length);
        Assert.All(writer.BatchBytes, bytes => Assert.InRange(bytes, 1, RelayEventBatch.FullBytes + largest - 1));
        Assert.InRange(writer.BatchBytes.Count, 3, 60);
    }

    private static PortalGateway SingleChannel(FakeUpstream upstream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        return CreateRelayGateway(repository);
    }

    /// <summary>Records each <see cref="IChatRelayWriter.WriteEventsAsync"/> call's size, and every event through <see cref="Inner"/>.</summary>
    private sealed class BatchRecordingWriter : IChatRelayWriter
    {
        private readonly Lock _gate = new();
        private readonly List<int> _batches = [];
        private readonly List<int> _batchBytes = [];
        private readonly TaskCompletionSource _firstBatchEntered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public RecordingRelayWriter Inner { get; } = new();

        /// <summary>When set, the first <see cref="WriteEventsAsync"/> call waits for it before recording anything.</summary>
        public TaskCompletionSource? Hold { get; init; }

        /// <summary>Completes when the first <see cref="WriteEventsAsync"/> call has begun.</summary>
        public Task FirstBatchEntered => _firstBatchEntered.Task;

        /// <summary>The data bytes of each <see cref="WriteEventsAsync"/> call.</summary>
        public IReadOnlyList<int> BatchBytes
        {
            get
            {
                lock (_gate)
                {
                    return [.. _batchBytes];
                }
            }
        }

        public IReadOnlyList<int> Batches
        {
            get
            {
                lock (_gate)
                {
                    return [.. _batches];
                }
            }
        }

        public ValueTask StartAsync(bool stream, CancellationToken cancellationToken) => Inner.StartAsync(stream, cancellationToken);

        public ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken) => Inner.WriteBodyAsync(json, cancellationToken);

        public ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("A relayed stream hands its events over with WriteEventsAsync: " + Encoding.UTF8.GetString(data.Span));

        public async ValueTask WriteEventsAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken cancellationToken)
        {
            if (_firstBatchEntered.TrySetResult() && Hold is not null)
            {
                await Hold.Task.WaitAsync(cancellationToken);
            }

            lock (_gate)
            {
                _batches.Add(events.Count);
                _batchBytes.Add(events.Sum(e => e.Length));
            }

            foreach (var data in events)
            {
                await Inner.WriteEventAsync(data, cancellationToken);
            }
        }
    }
}
