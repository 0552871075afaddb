using Microsoft.Extensions.Time.Testing;
using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>
/// The failover suite: every stage at which a request can fail, run through every entry point (<see cref="Entry"/>: typed
/// json, typed stream, relay json, relay stream), which share one attempt loop. Each test asserts what the caller sees
/// (the answer, or the error's code, status and message), which resource is blamed, the stat rows written (attempt
/// numbers, one request id, status, error message, first-byte time) and, for the relay, whether and when the writer was
/// started. Platform 1 (model 10, keys 101...) is always tried first; platform 2 (model 20, key 201) is the failover
/// target. A stage that cannot happen at an entry point leaves that entry out of its data, and says why.
/// </summary>
/// <remarks>
/// The stages are split over files: connection and timeouts here; upstream statuses and routing in
/// <c>FailoverTests.Status.cs</c>; what a 200 answer carries (bodies, events, cuts) in <c>FailoverTests.Body.cs</c>;
/// the caller leaving and shutdown in <c>FailoverTests.Cancellation.cs</c>.
/// </remarks>
public sealed partial class FailoverTests
{
    /// <summary>The timeout the fake clock is moved past; any length works, as only the fake clock measures it.</summary>
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(10);

    public static TheoryData<Entry> Entries => EntryPoints.All;

    // ---- Connect refused: the platform ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task ConnectRefused_SecondPlatformHealthy_FailsOverAndBlamesFirstPlatform(Entry entry)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeUpstream.UnusedBaseUrl(), entry);

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null);

        Assert.Equal(1, scenario.Healthy.RequestCount);
        Assert.Contains("refused", failover.FailedRow.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task ConnectRefused_OnlyPlatform_ThrowsUpstreamFailedAndBlamesPlatform(Entry entry)
    {
        await using var gateway = CreateGateway(OneChannel(FakeUpstream.UnusedBaseUrl()));
        var before = DateTimeOffset.UtcNow;

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertNothingSent();
        Assert.Null(exception.StatusCode);
        Assert.Contains("refused", exception.Message, StringComparison.OrdinalIgnoreCase);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, entry.IsStream());
    }

    // ---- Connection reset before the first byte reached the caller: the platform, fail over ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task ResetBeforeFirstByte_SecondPlatformHealthy_FailsOverAndBlamesFirstPlatform(Entry entry)
    {
        // 10 bytes: less than the first event of a stream. A JSON body is read whole before anything reaches the caller
        // (before a relay writer is started), so a body cut anywhere still fails over.
        var cutShort = entry.IsStream()
            ? FakeResponse.Stream("cut", "short").ResetAfterBytes(10)
            : FakeResponse.ChatCompletion("cut short").ResetAfterBytes(10);
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(cutShort, entry);

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null);

        Assert.Equal(1, scenario.Failing.RequestCount);
    }

    // ---- Timeout before headers: the attempt timeout fails over, the request deadline does not ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task AttemptTimeoutBeforeHeaders_OnlyPlatform_ThrowsTimeoutAbortsUpstreamAndBlamesPlatform(Entry entry)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var hanging = await FakeUpstream.StartAsync();
        hanging.DefaultResponse = FakeResponse.Hang();
        await using var gateway = CreateGateway(OneChannel(hanging.BaseUrl), attemptTimeout: TimeLimit, time: time);
        var before = time.GetUtcNow();

        var sending = EntryPoints.SendAsync(gateway, entry);
        var received = await hanging.WaitForRequestsAsync(1, Wait);
        time.Advance(TimeLimit);
        var sent = await sending.WaitAsync(Wait);

        var exception = sent.AssertFailed(PortalErrorCode.Timeout);
        sent.AssertNothingSent();
        Assert.Null(exception.StatusCode);
        await received.Aborted.WaitAsync(Wait);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, entry.IsStream());
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task AttemptTimeoutBeforeHeaders_SecondPlatformHealthy_FailsOverAndBlamesFirstPlatform(Entry entry)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.Hang(), entry, attemptTimeout: TimeLimit, time: time);

        var sending = scenario.SendAsync();
        var first = await scenario.Failing.WaitForRequestsAsync(1, Wait);
        time.Advance(TimeLimit);
        var failover = await scenario.AssertFailedOverAsync(await sending.WaitAsync(Wait), ResourceKind.Platform, statusCode: null);

        await first.Aborted.WaitAsync(Wait);
        Assert.Equal(1, scenario.Failing.RequestCount);
        Assert.Contains("attempt timeout", failover.FailedRow.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task RequestDeadlineBeforeHeaders_SecondPlatformHealthy_ThrowsTimeoutWithoutTryingIt(Entry entry)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var hanging = await FakeUpstream.StartAsync();
        await using var healthy = await FakeUpstream.StartAsync();
        hanging.DefaultResponse = FakeResponse.Hang();
        healthy.DefaultResponse = Ok(entry.IsStream(), "never asked");
        // No attempt limit of its own (an attempt timeout may not exceed the request's): only the request deadline can end it.
        await using var gateway = CreateGateway(TwoChannels(hanging.BaseUrl, healthy.BaseUrl), attemptTimeout: Timeout.InfiniteTimeSpan, requestTimeout: TimeLimit, time: time);
        var before = time.GetUtcNow();

        var sending = EntryPoints.SendAsync(gateway, entry);
        var received = await hanging.WaitForRequestsAsync(1, Wait);
        time.Advance(TimeLimit);
        var sent = await sending.WaitAsync(Wait);

        var exception = sent.AssertFailed(PortalErrorCode.Timeout);
        sent.AssertNothingSent();
        Assert.Null(exception.StatusCode);
        await received.Aborted.WaitAsync(Wait);
        Assert.Equal(1, hanging.RequestCount);
        Assert.Equal(0, healthy.RequestCount);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, entry.IsStream());
        AssertUnknown(gateway, ResourceKind.Platform, 2);
    }

    // Streams only: a JSON answer has no first event to wait for once its headers have come.
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task AttemptTimeoutAfterHeadersBeforeFirstEvent_KeepAliveOnly_FailsOverAndBlamesPlatform(Entry entry)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var handler = new HeadersSignal();
        var chunksTooLate = FakeResponse.SseRaw(": keep-alive\n\n", SseChunk("too late"), SseChunk(null, "stop"), SseDone())
            .WithDelayBetweenWrites(TimeSpan.FromSeconds(30));
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(chunksTooLate, entry, attemptTimeout: TimeLimit, time: time, handler: handler);

        var sending = scenario.SendAsync();
        await handler.FirstHeaders.WaitAsync(Wait);
        time.Advance(TimeLimit);
        await scenario.AssertFailedOverAsync(await sending.WaitAsync(Wait), ResourceKind.Platform, statusCode: null);

        await scenario.Failing.Requests[0].Aborted.WaitAsync(Wait);
    }

    // Streams only: a JSON answer is committed whole, so no attempt timeout is left to lift.
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task AttemptTimeoutPassesAfterFirstEvent_StreamGoesOnToItsEnd(Entry entry)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await FakeUpstream.StartAsync();

        // The clock passes the attempt timeout as soon as the first event has reached the caller; the rest follows later.
        upstream.DefaultResponse = FakeResponse.Stream("a", "b", "c").WithDelayBetweenWrites(TimeSpan.FromMilliseconds(200));
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl), attemptTimeout: TimeLimit, requestTimeout: 10 * TimeLimit, time: time);

        var sent = await EntryPoints.SendAsync(gateway, entry, new Caller { AfterPart = n => { if (n == 1) time.Advance(2 * TimeLimit); } });

        sent.AssertAnswered("abc");
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.Platform, 1).Status);
        var row = await AssertOnlyRowAsync(gateway);
        AssertSuccessRow([row], 1, 101, stream: true);
        Assert.NotNull(row.FirstByteTime);
    }

    // Streams only: a JSON answer is complete at its commit, so the deadline can only pass before it (the test above).
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task RequestDeadlinePassesAfterFirstEvent_StreamEndsWithTimeoutWithoutFailover(Entry entry)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var healthy = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(SseChunk("a"), SseChunk("b"), SseChunk(null, "stop"), SseDone()).WithDelayBetweenWrites(TimeSpan.FromSeconds(30));
        healthy.DefaultResponse = Ok(stream: true, "never asked");
        await using var gateway = CreateGateway(TwoChannels(upstream.BaseUrl, healthy.BaseUrl), attemptTimeout: TimeLimit, requestTimeout: 3 * TimeLimit, time: time);
        var before = time.GetUtcNow();

        var sent = await EntryPoints.SendAsync(gateway, entry, new Caller { AfterPart = _ => time.Advance(3 * TimeLimit) }).WaitAsync(Wait);

        var exception = sent.AssertFailed(PortalErrorCode.Timeout);
        sent.AssertBrokenAfter("a");
        Assert.StartsWith("The stream failed after it started", exception.Message, StringComparison.Ordinal);
        await upstream.Requests[0].Aborted.WaitAsync(Wait);
        Assert.Equal(0, healthy.RequestCount);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(gateway, before);
        Assert.Equal(200, row.StatusCode);
        Assert.Contains("deadline", row.ErrorMessage, StringComparison.Ordinal);
    }
}
