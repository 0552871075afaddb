using System.Net;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>A client that goes away: the upstream call stops at once, one cancelled stat is written, nobody is blamed.</summary>
public sealed class ClientAbortTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ChatCompletions_ClientAborts_UpstreamAbortedOneCancelledStatNobodyBlamed(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();

        // Streaming: a chunk every 200 ms for 10 s. Non-streaming: an answer after 10 s.
        upstream.DefaultResponse = stream
            ? FakeResponse.Stream([.. Enumerable.Range(0, 50).Select(i => $"chunk-{i} ")]).WithDelayBetweenWrites(TimeSpan.FromMilliseconds(200))
            : FakeResponse.ChatCompletion("too late").WithDelayBeforeHeaders(TimeSpan.FromSeconds(10));
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        var platformId = await PlatformIdAsync(host, "a");
        var model = await ModelAsync(host, platformId);
        var key = Assert.Single(await KeysAsync(host, platformId));

        using var client = RawClient(host);
        using var abort = new CancellationTokenSource(Wait);
        var sending = PostChatAsync(client, ChatBody(Alias, stream), abort.Token);
        var upstreamRequest = await upstream.WaitForRequestsAsync(1, Wait);
        if (stream)
        {
            using var response = await sending;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var events = await SseStream.OpenAsync(response, abort.Token);
            var first = await events.ReadEventAsync(abort.Token);
            Assert.NotNull(first);
            Assert.Contains("chunk-0", first, StringComparison.Ordinal);
            Assert.False(upstreamRequest.ClientAborted, "The upstream call ended before the client left.");
        }
        else
        {
            Assert.False(sending.IsCompleted);
            await abort.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        }

        // Leave: the response is disposed above (stream) or its request cancelled; closing the client closes the socket.
        client.Dispose();

        var stillRunning = await Record.ExceptionAsync(() => upstreamRequest.Aborted.WaitAsync(Wait));
        Assert.True(stillRunning is null, $"The upstream call was still running {Wait.TotalSeconds} s after the client left.");

        Assert.True(
            await EventuallyAsync(async () => (await host.Gateway.QueryStatsAsync(new StatsQuery { ModelName = Alias })).Count > 0, Wait),
            "No stat was written for the aborted request.");
        await host.Gateway.FlushStatsAsync();
        var stat = Assert.Single(await host.Gateway.QueryStatsAsync(new StatsQuery { ModelName = Alias }));
        output.WriteLine($"stat: success={stat.Success} stream={stat.IsStream} status={stat.StatusCode} error={stat.ErrorMessage}");
        Assert.False(stat.Success);
        Assert.Equal(stream, stat.IsStream);
        Assert.Equal(platformId, stat.PlatformId);
        Assert.Contains("cancel", stat.ErrorMessage ?? "", StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, upstream.RequestCount);

        foreach (var (kind, id) in new[] { (ResourceKind.Platform, platformId), (ResourceKind.Model, model.Id), (ResourceKind.ApiKey, key.Id) })
        {
            var health = host.Gateway.GetHealth(kind, id);
            Assert.True(health.Status is HealthStatus.Unknown or HealthStatus.Available, $"{kind} {id} was blamed: {health}");
            Assert.Equal(0, health.ErrorCount);
        }
    }
}
