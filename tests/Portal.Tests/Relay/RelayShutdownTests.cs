using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>Relayed requests and <see cref="PortalGateway.ShutdownAsync"/>: drained when they finish in time, cancelled with ShuttingDown when not, refused after.</summary>
public sealed class RelayShutdownTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_InFlightPastShutdownTimeout_ThrowsShuttingDownAndPersistsStat(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();

        // Non-streaming: no answer at all. Streaming: the first event, then nothing for 30 s (the writer has started).
        upstream.DefaultResponse = stream
            ? FakeResponse.SseRaw(SseChunk("a"), SseChunk(null, "stop"), SseDone()).WithDelayBetweenWrites(TimeSpan.FromSeconds(30))
            : FakeResponse.Hang();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();
        var relay = RelayAsync(gateway, ChatBody(stream), writer);
        var received = await upstream.WaitForRequestsAsync(1, Wait);
        if (stream)
        {
            await writer.FirstWrite.WaitAsync(Wait);
        }

        var shutdown = gateway.ShutdownAsync(TimeSpan.FromMilliseconds(300));

        var exception = await Assert.ThrowsAsync<PortalException>(() => relay.WaitAsync(Wait));
        Assert.Equal(PortalErrorCode.ShuttingDown, exception.Code);
        await received.Aborted.WaitAsync(Wait);
        await shutdown.WaitAsync(Wait);
        Assert.Equal(stream ? [true] : [], writer.Starts);
        Assert.Equal(0, gateway.InFlightRequests);
        var stat = Assert.Single(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None));
        Assert.False(stat.Success);
        Assert.Equal(stream, stat.IsStream);

        // Shutdown is nobody's fault.
        AssertUnknown(gateway, ResourceKind.Platform, 1);
        AssertUnknown(gateway, ResourceKind.ApiKey, 101);
        AssertUnknown(gateway, ResourceKind.Model, 10);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_InFlightWithinShutdownTimeout_CompletesAndPersistsStat(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.Stream("a", "b", "c").WithDelayBetweenWrites(TimeSpan.FromMilliseconds(100))
            : FakeResponse.ChatCompletion("abc").WithDelayBeforeHeaders(TimeSpan.FromMilliseconds(300));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();
        var relay = RelayAsync(gateway, ChatBody(stream), writer);
        await upstream.WaitForRequestsAsync(1, Wait);

        var shutdown = gateway.ShutdownAsync(TimeSpan.FromSeconds(10));

        var result = await relay.WaitAsync(TimeSpan.FromSeconds(10));
        await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1, result.Attempts);
        AssertComplete(writer, stream);
        Assert.Equal("abc", writer.Text());
        var stat = Assert.Single(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None));
        Assert.True(stat.Success);
        Assert.False(upstream.Requests[0].ClientAborted);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_AfterShutdown_ThrowsShuttingDownWithoutCallingUpstream(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "never");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateRelayGateway(repository);
        await gateway.ShutdownAsync(TimeSpan.FromSeconds(1)).WaitAsync(Wait);
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ChatBody(stream), writer));

        Assert.Equal(PortalErrorCode.ShuttingDown, exception.Code);
        Assert.Empty(writer.Calls);
        Assert.Equal(0, upstream.RequestCount);
        Assert.Equal(0, gateway.InFlightRequests);
        Assert.Empty(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None));
    }
}
