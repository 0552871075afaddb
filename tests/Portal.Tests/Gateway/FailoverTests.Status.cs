using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <content>Upstream error statuses by class (the key, the model, the platform, the client's request) and what routing does with them.</content>
public sealed partial class FailoverTests
{
    // ---- 401 / 403: the key ----

    public static TheoryData<Entry, int> AuthStatuses => EntryPoints.With(401, 403);

    [Theory]
    [MemberData(nameof(AuthStatuses))]
    public async Task AuthError_SecondKeyValid_BlamesKeyAndFailsOverWithinPlatform(Entry entry, int status)
    {
        // The 401 message quotes the key, as OpenAI's does: it must not reach the stats.
        var rejection = status == 401
            ? FakeResponse.Error(401, "Incorrect API key provided: " + BadKey, "invalid_request_error", "invalid_api_key")
            : FakeResponse.Error(403, "This key is not allowed in your region.", "permission_error", "unsupported_country_region_territory");
        await using var scenario = await FailoverScenario.ToSecondKeyAsync(rejection, "with good key", entry);

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.ApiKey, status);

        Assert.Equal(["Bearer " + BadKey, "Bearer " + GoodKey], scenario.Failing.Requests.Select(r => r.Headers["Authorization"]));
        Assert.DoesNotContain(BadKey, failover.FailedRow.ErrorMessage, StringComparison.Ordinal);
    }

    // ---- Model not found upstream: the model ----

    public static TheoryData<Entry, int, string?, string> ModelMissing
    {
        get
        {
            var data = new TheoryData<Entry, int, string?, string>();
            foreach (var entry in Enum.GetValues<Entry>())
            {
                data.Add(entry, 404, "model_not_found", "The model `gpt-upstream` does not exist or you do not have access to it.");
                data.Add(entry, 404, null, "Not found");
                data.Add(entry, 400, "model_not_found", "Invalid model requested.");
                data.Add(entry, 400, null, "The model `x` does not exist");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(ModelMissing))]
    public async Task ModelMissingUpstream_SecondPlatformHealthy_BlamesModelAndFailsOver(Entry entry, int status, string? code, string message)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.Error(status, message, "invalid_request_error", code), entry);

        await scenario.AssertFailsOverAsync(ResourceKind.Model, status);
    }

    // ---- 429: the key, for as long as Retry-After says ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task RateLimited_SecondKeyFree_BlamesKeyForRetryAfterAndFailsOver(Entry entry)
    {
        await using var scenario = await FailoverScenario.ToSecondKeyAsync(FakeResponse.RateLimited(TimeSpan.FromSeconds(120)), "with free key", entry);

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.ApiKey, 429);

        var (health, before) = (failover.Blamed, scenario.Before);
        Assert.True(health.BackoffDuration >= TimeSpan.FromSeconds(120), $"BackoffDuration is {health.BackoffDuration}.");
        Assert.True(health.NextAvailableAt >= before + TimeSpan.FromSeconds(120), $"NextAvailableAt is {health.NextAvailableAt:O}, before was {before:O}.");
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task RateLimited_AllKeys_ThrowsUpstreamFailed429WithRetryAfter(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.RateLimited(TimeSpan.FromSeconds(120));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, BadKey, GoodKey);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertNothingSent();
        Assert.Equal(429, exception.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), exception.RetryAfter);
        Assert.Equal(2, upstream.RequestCount);
        foreach (var keyId in new long[] { 101, 102 })
        {
            var health = AssertBlamed(gateway, ResourceKind.ApiKey, keyId, 429, before);
            Assert.True(health.NextAvailableAt >= before + TimeSpan.FromSeconds(120), $"Key {keyId} NextAvailableAt is {health.NextAvailableAt:O}.");
        }

        AssertUnknown(gateway, ResourceKind.Platform, 1);
        AssertUnknown(gateway, ResourceKind.Model, 10);
        var rows = AssertAttemptsOfOneRequest(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0], AssertFailedRow(rows, 1, 101, 429, entry.IsStream()));
        Assert.Equal(rows[1], AssertFailedRow(rows, 1, 102, 429, entry.IsStream()));
    }

    // ---- 5xx: the platform ----

    public static TheoryData<Entry, int> ServerStatuses => EntryPoints.With(500, 502, 503);

    [Theory]
    [MemberData(nameof(ServerStatuses))]
    public async Task ServerError_SecondPlatformHealthy_BlamesPlatformAndFailsOver(Entry entry, int status)
    {
        var serverError = status == 502
            ? FakeResponse.Text(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
            : FakeResponse.Error(status, "The server had an error while processing your request.", "server_error");
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(serverError, entry);

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, status);

        Assert.Equal(1, scenario.Failing.RequestCount);
    }

    // ---- 400 invalid request: the client's fault; nobody blamed, no failover ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task InvalidRequest400_TwoChannels_NotRetriedAndNobodyBlamed(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(400, "Invalid value for 'temperature': expected a number between 0 and 2.", "invalid_request_error", "invalid_value");
        await using var gateway = CreateGateway(TwoChannels(upstream.BaseUrl, upstream.BaseUrl));

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.InvalidRequest);
        sent.AssertNothingSent();
        Assert.Equal(400, exception.StatusCode);
        Assert.Contains("temperature", exception.Message, StringComparison.Ordinal);
        Assert.Equal(1, upstream.RequestCount);
        foreach (var (kind, id) in new (ResourceKind, long)[] { (ResourceKind.Platform, 1), (ResourceKind.Platform, 2), (ResourceKind.ApiKey, 101), (ResourceKind.ApiKey, 201), (ResourceKind.Model, 10), (ResourceKind.Model, 20) })
        {
            AssertUnknown(gateway, kind, id);
        }

        var row = await AssertOnlyRowAsync(gateway);
        AssertFailedRow([row], 1, 101, 400, entry.IsStream());
        Assert.Contains("temperature", row.ErrorMessage, StringComparison.Ordinal);
    }

    // ---- Nothing to route to: no attempt, no stat row ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task UnknownModel_ThrowsModelNotFoundWithoutCallingUpstreamOrRecordingStats(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl));

        var sent = await EntryPoints.SendAsync(gateway, entry, model: "no-such-model");

        var exception = sent.AssertFailed(PortalErrorCode.ModelNotFound);
        sent.AssertNothingSent();
        Assert.Contains("no-such-model", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.RequestCount);
        Assert.Empty(await gateway.QueryStatsAsync(new StatsQuery()));
        AssertUnknown(gateway, ResourceKind.Platform, 1);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task OnlyKeyBackingOff_SecondRequest_ThrowsNoAvailableChannelWithoutCallingUpstream(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, BadKey);
        await using var gateway = CreateGateway(repository, maxAttempts: 1);
        var before = DateTimeOffset.UtcNow;

        var first = await EntryPoints.SendAsync(gateway, entry);
        var second = await EntryPoints.SendAsync(gateway, entry);

        Assert.Equal(401, first.AssertFailed(PortalErrorCode.UpstreamFailed).StatusCode);
        var refused = second.AssertFailed(PortalErrorCode.NoAvailableChannel);
        second.AssertNothingSent();
        Assert.NotNull(refused.RetryAfter);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        Assert.Equal(1, upstream.RequestCount);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.ApiKey, 401, before, entry.IsStream());
    }

    // ---- MaxAttempts and one try per channel ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task MaxAttempts2_ThreeFailingPlatformsAndOneHealthy_FailsAfterExactlyTwoRequests(Entry entry)
    {
        await using var failing = await FakeUpstream.StartAsync();
        await using var healthy = await FakeUpstream.StartAsync();
        failing.DefaultResponse = FakeResponse.Error(502, "Bad gateway", "server_error");
        healthy.DefaultResponse = Ok(entry.IsStream(), "never reached");
        var repository = TwoChannels(failing.BaseUrl, failing.BaseUrl);
        repository.AddOpenAIChannel(3, failing.BaseUrl, 30, UpstreamName, Alias);
        repository.AddOpenAIChannel(4, healthy.BaseUrl, 40, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository, maxAttempts: 2);
        var before = DateTimeOffset.UtcNow;

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertNothingSent(); // A relay writer never started: the caller can still answer with an error status.
        Assert.Equal(502, exception.StatusCode);
        Assert.Equal(2, failing.RequestCount);
        Assert.Equal(0, healthy.RequestCount);
        AssertBlamed(gateway, ResourceKind.Platform, 1, 502, before);
        AssertBlamed(gateway, ResourceKind.Platform, 2, 502, before);
        AssertUnknown(gateway, ResourceKind.Platform, 3);
        AssertUnknown(gateway, ResourceKind.Platform, 4);
        var rows = AssertAttemptsOfOneRequest(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0], AssertFailedRow(rows, 1, 101, 502, entry.IsStream()));
        Assert.Equal(rows[1], AssertFailedRow(rows, 2, 201, 502, entry.IsStream()));
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task FailedChannel_UsableAgainAtOnce_NotTriedTwiceInOneRequest(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(500, "The server had an error.", "server_error");

        // A one-tick backoff makes the failed channel usable again at once, so only the per-request bookkeeping keeps it from a retry.
        var backoff = new BackoffOptions { InitialDelay = TimeSpan.FromTicks(1), MaxDelay = TimeSpan.FromTicks(1) };
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl), maxAttempts: 3, backoff: backoff);

        var sent = await EntryPoints.SendAsync(gateway, entry);

        Assert.Equal(500, sent.AssertFailed(PortalErrorCode.UpstreamFailed).StatusCode);
        sent.AssertNothingSent();
        Assert.Equal(1, upstream.RequestCount);
        var health = gateway.GetHealth(ResourceKind.Platform, 1);
        Assert.Equal(HealthStatus.Warning, health.Status);
        Assert.Equal(1, health.RetryCount);
        Assert.Equal(500, health.LastErrorCode);
        AssertUnknown(gateway, ResourceKind.ApiKey, 101);
        AssertFailedRow([await AssertOnlyRowAsync(gateway)], 1, 101, 500, entry.IsStream());
    }
}
