using System.Net;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>Failover seen from an HTTP client: a dead platform and a live one serve the same alias.</summary>
public sealed class FailoverTests(ITestOutputHelper output)
{
    private const int Requests = 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChatCompletions_OnePlatformDead_AllRequestsSucceedAndStatsShowFailedAttempts(bool stream)
    {
        await using var live = await FakeUpstream.StartAsync();
        live.DefaultResponse = stream ? FakeResponse.Stream("served ", "by ", "live") : FakeResponse.ChatCompletion("served by live");
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(
            OpenAIPlatform("dead", FakeUpstream.UnusedBaseUrl(), keys: ["sk-dead-key-0000aaaa", "sk-dead-key-0000bbbb"]),
            OpenAIPlatform("live", live.BaseUrl, keys: ["sk-live-key-1111aaaa"])));
        var deadId = await PlatformIdAsync(host, "dead");
        var liveId = await PlatformIdAsync(host, "live");
        using var client = RawClient(host);

        // Concurrent, so that several requests find the dead platform still untried (Unknown) and fail over from it.
        var results = await Task.WhenAll(Enumerable.Range(0, Requests).Select(i => ChatAsync(client, ChatBody(Alias, stream, "request " + i))));

        foreach (var result in results)
        {
            Assert.Equal(HttpStatusCode.OK, result.Status);
            if (stream)
            {
                Assert.Null(result.Error);
                Assert.True(result.Done, "A stream did not end with [DONE]: " + string.Join(" | ", result.Events));
                Assert.Equal("served by live", DeltaText(result.Events));
            }
            else
            {
                Assert.Equal("served by live", MessageText(result.Body!));
            }
        }

        Assert.Equal(Requests, live.RequestCount);
        var deadRows = await host.Gateway.QueryStatsAsync(new StatsQuery { PlatformId = deadId, Limit = 1000 });
        output.WriteLine($"{deadRows.Count} failed attempts on the dead platform, e.g. {(deadRows.Count > 0 ? deadRows[0].ErrorMessage : null)}");
        Assert.NotEmpty(deadRows);
        Assert.All(deadRows, row =>
        {
            Assert.False(row.Success);
            Assert.Equal(stream, row.IsStream);
            Assert.Equal(Alias, row.ModelName);
            Assert.False(string.IsNullOrWhiteSpace(row.ErrorMessage));
        });
        var liveRows = await host.Gateway.QueryStatsAsync(new StatsQuery { PlatformId = liveId, Limit = 1000 });
        Assert.Equal(Requests, liveRows.Count);
        Assert.All(liveRows, row => Assert.True(row.Success));
        var all = await host.Gateway.CountStatsAsync(new StatsQuery { ModelName = Alias });
        Assert.Equal((Requests, Requests), (all.TotalRequests, all.SuccessRequests)); // every client request was served
        Assert.Equal((Requests + deadRows.Count, Requests), (all.TotalAttempts, all.SuccessAttempts)); // some after failed attempts

        // Every failed attempt was followed, in its request, by the one that served it.
        Assert.All(deadRows, row => Assert.Contains(liveRows, live => live.RequestId == row.RequestId && live.Attempt > row.Attempt));

        // A refused connection blames the platform, not its keys or its model.
        Assert.Equal(HealthStatus.Warning, host.Gateway.GetHealth(ResourceKind.Platform, deadId).Status);
        Assert.NotEqual(HealthStatus.Warning, host.Gateway.GetHealth(ResourceKind.Platform, liveId).Status);
    }
}
