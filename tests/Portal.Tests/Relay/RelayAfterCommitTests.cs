using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>
/// Failures once the writer has been started: no failover any more. An upstream failure ends the response with a
/// <see cref="PortalException"/> and blames the platform; a failing writer or a cancelled caller ends it with an
/// <see cref="OperationCanceledException"/> and blames nobody. Each writes exactly one stat row.
/// </summary>
public sealed class RelayAfterCommitTests
{
    [Fact]
    public async Task Relay_StreamResetMidBody_ThrowsAfterStartAndBlamesPlatform()
    {
        var cut = FakeResponse.SseRaw(SseChunk("a"), SseChunk("b"), SseChunk(null, "stop"), SseDone()).ResetAfterBytes(SseChunk("a").Length + 10);
        await using var setup = await TwoPlatformsAsync(cut);
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(setup.Gateway, ChatBody(stream: true), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.StartsWith("The stream failed after it started", exception.Message, StringComparison.Ordinal);
        AssertStartedOnce(writer, stream: true);
        Assert.Equal([DataOf(SseChunk("a"))], writer.EventTexts); // No [DONE]: the response is not complete.
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(setup.Gateway, setup.Before);
        Assert.Contains("middle of the stream", row.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_StreamEndsWithoutDoneOrFinishReason_ThrowsAfterStartAndBlamesPlatform()
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.Stream("a", "b").WithoutDone());
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(setup.Gateway, ChatBody(stream: true), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        AssertStartedOnce(writer, stream: true);
        Assert.Equal("ab", writer.Text());
        Assert.DoesNotContain("[DONE]", writer.EventTexts);
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(setup.Gateway, setup.Before);
        Assert.Contains("[DONE]", row.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"error\":{\"message\":\"Model crashed\",\"type\":\"server_error\",\"code\":null}}")]
    [InlineData("{\"choices\":[ not json")]
    [InlineData("[1,2]")]
    public async Task Relay_StreamBadEventAfterFirst_ThrowsAfterStartAndBlamesPlatform(string badData)
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.SseRaw(SseChunk("a"), Sse(badData), SseChunk(null, "stop"), SseDone()));
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(setup.Gateway, ChatBody(stream: true), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Equal([DataOf(SseChunk("a"))], writer.EventTexts);
        Assert.Equal(0, setup.Second.RequestCount);
        await AssertBrokenStreamBlamedOnPlatformAsync(setup.Gateway, setup.Before);
    }

    public static TheoryData<bool, bool, int?> WriterFailures => new()
    {
        // stream, throw on start, throw on write N
        { false, true, null },
        { false, false, 1 },
        { true, true, null },
        { true, false, 1 },
        { true, false, 2 },
    };

    [Theory]
    [MemberData(nameof(WriterFailures))]
    public async Task Relay_WriterThrows_ThrowsOperationCanceledAndBlamesNobody(bool stream, bool throwOnStart, int? throwOnWrite)
    {
        await using var setup = await TwoPlatformsAsync(SlowAnswer(stream));
        var writer = new RecordingRelayWriter { ThrowOnStart = throwOnStart, ThrowOnWrite = throwOnWrite };

        var exception = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RelayAsync(setup.Gateway, ChatBody(stream), writer).WaitAsync(Wait));

        Assert.IsType<IOException>(exception.InnerException);
        Assert.Equal([stream], writer.Starts);
        Assert.Equal(0, setup.Second.RequestCount);
        if (stream)
        {
            // The upstream stream is abandoned at once, not read to its end.
            await setup.First.Requests[0].Aborted.WaitAsync(Wait);
        }

        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.Equal(stream, row.IsStream);

        // The upstream had answered 200 when the client went away: the row keeps that status.
        Assert.Equal(200, row.StatusCode);
        Assert.Equal(1, row.Attempt);
        Assert.False(string.IsNullOrEmpty(row.RequestId));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_WriterThrowsOperationCanceledWithoutCallerCancelling_BlamesNobody(bool stream)
    {
        // ASP.NET Core reports a departed client as ConnectionAbortedException, an OperationCanceledException; the writer's
        // contract says any exception it throws means the client is gone.
        await using var setup = await TwoPlatformsAsync(SlowAnswer(stream));
        var writer = new RecordingRelayWriter { ThrowOnWrite = 1, Failure = () => new OperationCanceledException("The client disconnected.") };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RelayAsync(setup.Gateway, ChatBody(stream), writer).WaitAsync(Wait));

        Assert.Equal([stream], writer.Starts);
        Assert.Equal(0, setup.Second.RequestCount);
        await AssertAbandonedWithoutBlameAsync(setup.Gateway);
    }

    [Fact]
    public async Task Relay_CallerCancelsMidStream_AbortsUpstreamAndBlamesNobody()
    {
        var slow = FakeResponse.SseRaw(SseChunk("a"), SseChunk("b"), SseChunk(null, "stop"), SseDone()).WithDelayBetweenWrites(TimeSpan.FromSeconds(30));
        await using var setup = await TwoPlatformsAsync(slow);
        using var caller = new CancellationTokenSource();
        var writer = new RecordingRelayWriter { AfterEvent = n => caller.Cancel() };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RelayAsync(setup.Gateway, ChatBody(stream: true), writer, caller.Token).WaitAsync(Wait));

        await setup.First.Requests[0].Aborted.WaitAsync(Wait);
        Assert.Equal([DataOf(SseChunk("a"))], writer.EventTexts);
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.True(row.IsStream);
        Assert.NotNull(row.FirstByteTime);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_CallerCancelsBeforeAnswer_AbortsUpstreamAndBlamesNobody(bool stream)
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.Hang());
        using var caller = new CancellationTokenSource();
        var writer = new RecordingRelayWriter();
        var relay = RelayAsync(setup.Gateway, ChatBody(stream), writer, caller.Token);
        var received = await setup.First.WaitForRequestsAsync(1, Wait);

        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => relay.WaitAsync(Wait));
        await received.Aborted.WaitAsync(Wait);
        Assert.Empty(writer.Calls);
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.Equal(stream, row.IsStream);
    }

    /// <summary>A full answer; a stream's events come every 2 s, so it is still open when the writer fails early.</summary>
    private static FakeResponse SlowAnswer(bool stream) => stream
        ? FakeResponse.SseRaw(SseChunk("a"), SseChunk("b"), SseChunk("c"), SseChunk(null, "stop"), SseDone()).WithDelayBetweenWrites(TimeSpan.FromSeconds(2))
        : FakeResponse.ChatCompletion("whole answer");

    /// <summary>Platform 1 answers <paramref name="first"/>; platform 2 would answer well but must never be asked once platform 1 has committed.</summary>
    private static async Task<TwoPlatforms> TwoPlatformsAsync(FakeResponse first)
    {
        var one = await FakeUpstream.StartAsync();
        var two = await FakeUpstream.StartAsync();
        one.DefaultResponse = first;
        two.DefaultResponse = FakeResponse.Stream("second");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, one.BaseUrl, 10, UpstreamName, Alias);
        repository.AddOpenAIChannel(2, two.BaseUrl, 20, UpstreamName, Alias);
        return new TwoPlatforms(one, two, CreateRelayGateway(repository), DateTimeOffset.UtcNow);
    }

    private sealed record TwoPlatforms(FakeUpstream First, FakeUpstream Second, PortalGateway Gateway, DateTimeOffset Before) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await First.DisposeAsync();
            await Second.DisposeAsync();
        }
    }
}
