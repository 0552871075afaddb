using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Gateway;

/// <content>
/// The caller leaving, before and after the commit, and the gateway shutting down: cancellations, blamed on nobody, each
/// recorded in one stat row.
/// </content>
public sealed partial class FailoverTests
{
    // ---- The caller cancels before the commit: the upstream call is aborted ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task CallerCancelsBeforeAnswer_AbortsUpstreamBlamesNobodyNoFailover(Entry entry)
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.Hang());
        using var caller = new CancellationTokenSource();

        var sending = EntryPoints.SendAsync(setup.Gateway, entry, new Caller { Token = caller.Token });
        var received = await setup.First.WaitForRequestsAsync(1, Wait);
        await caller.CancelAsync();
        var sent = await sending.WaitAsync(Wait);

        sent.AssertCancelled();
        sent.AssertNothingSent();
        await received.Aborted.WaitAsync(Wait);
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.Equal(entry.IsStream(), row.IsStream);
        Assert.Null(row.StatusCode);
        Assert.Null(row.FirstByteTime);
        Assert.Contains("cancel", row.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    // ---- The caller cancels after the commit: the stream stops, nobody is blamed ----

    // Streams only: a JSON answer is complete when it reaches the caller, so there is nothing left to cancel (a JSON relay
    // client that goes away before its body is written is ClientGoneAfterCommit).
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task CallerCancelsAfterFirstEvent_AbortsUpstreamBlamesNobody(Entry entry)
    {
        await using var setup = await TwoPlatformsAsync(HeldAfterFirstEvent());
        using var caller = new CancellationTokenSource();

        var sent = await EntryPoints.SendAsync(setup.Gateway, entry, new Caller { Token = caller.Token, AfterPart = _ => caller.Cancel() }).WaitAsync(Wait);

        sent.AssertCancelled();
        sent.AssertBrokenAfter("a");
        await setup.First.Requests[0].Aborted.WaitAsync(Wait);
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.True(row.IsStream);
        Assert.Equal(200, row.StatusCode); // The upstream had answered 200 when the caller left: the row keeps that status.
        Assert.NotNull(row.FirstByteTime);
        Assert.Contains("cancel", row.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Entry, the part at which the client is gone (0: before the relay writer's start), and whether the relay writer then throws an
    /// <see cref="OperationCanceledException"/> of its own (ASP.NET Core's ConnectionAbortedException) rather than an <see cref="IOException"/>.
    /// </summary>
    public static TheoryData<Entry, int, bool> ClientGone => new()
    {
        // TypedJson: the caller gets the whole answer at the commit; it has nothing it can walk away from.
        // TypedStream: the caller leaves the enumeration (break) when part n comes. It has no start to fail.
        { Entry.TypedStream, 1, false },
        { Entry.TypedStream, 2, false },
        { Entry.RelayJson, 0, false },
        { Entry.RelayJson, 1, false },
        { Entry.RelayJson, 1, true },
        { Entry.RelayStream, 0, false },
        { Entry.RelayStream, 1, false },
        { Entry.RelayStream, 2, false },
        { Entry.RelayStream, 1, true },
    };

    [Theory]
    [MemberData(nameof(ClientGone))]
    public async Task ClientGoneAfterCommit_EndsQuietlyAbortsUpstreamBlamesNobody(Entry entry, int goneAt, bool writerThrowsCancellation)
    {
        await using var setup = await TwoPlatformsAsync(entry.IsStream() ? HeldAfterTwoEvents() : FakeResponse.ChatCompletion("whole answer"));
        var leave = new Caller
        {
            LeaveAt = goneAt,
            WriterFailure = writerThrowsCancellation ? () => new OperationCanceledException("The client disconnected.") : null,
        };

        var sent = await EntryPoints.SendAsync(setup.Gateway, entry, leave).WaitAsync(Wait);

        Assert.Equal(new[] { "a", "b" }.Take(goneAt - 1), sent.Parts);
        if (entry.IsRelay())
        {
            // The writer's failure means the client is gone: a cancellation, never an upstream error.
            var exception = sent.AssertCancelled();
            Assert.IsType(writerThrowsCancellation ? typeof(OperationCanceledException) : typeof(IOException), exception.InnerException);
            Assert.Equal([entry.IsStream()], sent.Writer!.Starts);
        }
        else
        {
            Assert.Null(sent.Error); // The caller chose to stop; nothing is thrown at it.
        }

        Assert.Equal(0, setup.Second.RequestCount);
        if (entry.IsStream())
        {
            // The upstream stream is abandoned at once, not read to its end.
            await setup.First.Requests[0].Aborted.WaitAsync(Wait);
        }

        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.Equal(entry.IsStream(), row.IsStream);
        Assert.Equal(200, row.StatusCode); // The upstream had answered 200 when the client went away: the row keeps that status.
        Assert.Equal(entry.IsStream(), row.FirstByteTime is not null);
    }

    // ---- Shutdown ----

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task Shutdown_WaitingForUpstreamPastTimeout_ThrowsShuttingDownAbortsUpstreamBlamesNobody(Entry entry)
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.Hang());
        var sending = EntryPoints.SendAsync(setup.Gateway, entry);
        var received = await setup.First.WaitForRequestsAsync(1, Wait);

        var shutdown = setup.Gateway.ShutdownAsync(TimeSpan.FromMilliseconds(300));

        var sent = await sending.WaitAsync(Wait);
        sent.AssertFailed(PortalErrorCode.ShuttingDown);
        sent.AssertNothingSent();
        await received.Aborted.WaitAsync(Wait);
        await shutdown.WaitAsync(Wait);
        Assert.Equal(0, setup.Gateway.InFlightRequests);
        Assert.Equal(0, setup.Second.RequestCount);
        Assert.False(Assert.Single(await setup.StoredRowsAsync()).Success); // Written by the shutdown itself.

        // Shutdown is nobody's fault.
        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.Equal(entry.IsStream(), row.IsStream);
        Assert.Null(row.FirstByteTime);
    }

    // Streams only: a JSON answer is delivered whole at its commit, so shutdown can only catch it before (the test above).
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task Shutdown_StreamPastTimeout_EndsWithShuttingDownAfterItsEventsBlamesNobody(Entry entry)
    {
        await using var setup = await TwoPlatformsAsync(HeldAfterFirstEvent());
        var firstEvent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = EntryPoints.SendAsync(setup.Gateway, entry, new Caller { AfterPart = _ => firstEvent.TrySetResult() });
        await firstEvent.Task.WaitAsync(Wait);

        var shutdown = setup.Gateway.ShutdownAsync(TimeSpan.FromMilliseconds(300));

        var sent = await sending.WaitAsync(Wait);
        sent.AssertFailed(PortalErrorCode.ShuttingDown);
        sent.AssertBrokenAfter("a");
        await setup.First.Requests[0].Aborted.WaitAsync(Wait);
        await shutdown.WaitAsync(Wait);
        Assert.Equal(0, setup.Gateway.InFlightRequests);
        Assert.Equal(0, setup.Second.RequestCount);
        Assert.False(Assert.Single(await setup.StoredRowsAsync()).Success); // Written by the shutdown itself.
        var row = await AssertAbandonedWithoutBlameAsync(setup.Gateway);
        Assert.True(row.IsStream);
        Assert.Equal(200, row.StatusCode);
        Assert.NotNull(row.FirstByteTime);
    }

    /// <summary>Entry, and whether a held relay write ends when its token is cancelled (as a real response write does) or only when the client reads again.</summary>
    public static TheoryData<Entry, bool> StalledReaders => new()
    {
        // Streams only: a JSON answer is written in one go.
        { Entry.TypedStream, false },
        { Entry.RelayStream, true },
        { Entry.RelayStream, false },
    };

    // A caller that holds a stream without reading (a slow client behind a server) is still in flight at the timeout: it is
    // cancelled like any other request, and its stat must reach storage before ShutdownAsync returns, even when the caller
    // never comes back to see the cancellation.
    [Theory]
    [MemberData(nameof(StalledReaders))]
    public async Task Shutdown_CallerStoppedReadingPastTimeout_RecordsItsStatBeforeReturning(Entry entry, bool writeHonoursToken)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("a", "b", "c", "d", "e").WithDelayBetweenWrites(TimeSpan.FromMilliseconds(100));
        var repository = OneChannel(upstream.BaseUrl);
        await using var gateway = CreateGateway(repository);
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sending = EntryPoints.SendAsync(gateway, entry, new Caller
        {
            StallAfter = 1,
            StallUntil = resume.Task,
            StallHonoursToken = writeHonoursToken,
            AfterPart = n => { if (n == 1) stalled.TrySetResult(); },
        });
        try
        {
            await stalled.Task.WaitAsync(Wait);

            await gateway.ShutdownAsync(TimeSpan.FromMilliseconds(300)).WaitAsync(Wait);

            // In storage already: read without the gateway, which would write what is still queued first.
            var row = Assert.Single(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None));
            Assert.False(row.Success);
            Assert.Equal(0, gateway.DroppedStats);
            Assert.Equal((1, 200), (row.Attempt, row.StatusCode));
            Assert.NotNull(row.FirstByteTime);
            AssertUnknown(gateway, ResourceKind.Platform, 1);
            AssertUnknown(gateway, ResourceKind.ApiKey, 101);
            AssertUnknown(gateway, ResourceKind.Model, 10);
        }
        finally
        {
            resume.TrySetResult();
        }

        // Then the caller goes away without reading more. A write that honours its token was cancelled by shutdown already.
        var sent = await sending.WaitAsync(Wait);
        Assert.Equal(["a"], sent.Parts);
        if (entry.IsRelay() && writeHonoursToken)
        {
            sent.AssertFailed(PortalErrorCode.ShuttingDown);
        }
        else if (entry.IsRelay())
        {
            sent.AssertCancelled();
        }
        else
        {
            Assert.Null(sent.Error);
        }
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task Shutdown_InFlightWithinTimeout_CompletesAndRecordsSuccess(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = entry.IsStream()
            ? FakeResponse.Stream("a", "b", "c").WithDelayBetweenWrites(TimeSpan.FromMilliseconds(100))
            : FakeResponse.ChatCompletion("abc").WithDelayBeforeHeaders(TimeSpan.FromMilliseconds(300));
        var repository = OneChannel(upstream.BaseUrl);
        await using var gateway = CreateGateway(repository);
        var sending = EntryPoints.SendAsync(gateway, entry);
        await upstream.WaitForRequestsAsync(1, Wait);

        var shutdown = gateway.ShutdownAsync(TimeSpan.FromSeconds(10));

        Assert.True(gateway.IsShuttingDown);
        var sent = await sending.WaitAsync(TimeSpan.FromSeconds(10));
        await shutdown.WaitAsync(TimeSpan.FromSeconds(10));
        sent.AssertAnswered("abc");
        if (sent.Result is { } result)
        {
            Assert.Equal(1, result.Attempts);
        }

        Assert.Equal(0, gateway.InFlightRequests);
        AssertSuccessRow(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None), 1, 101, entry.IsStream()); // Written by the shutdown.
        AssertSuccessRow([await AssertOnlyRowAsync(gateway)], 1, 101, entry.IsStream());
        Assert.False(upstream.Requests[0].ClientAborted);
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task Shutdown_RequestWhileDrainingAndAfter_RefusedWithoutCallingUpstream(Entry entry)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("a", "b");
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl));

        // A stream whose caller holds it after its first chunk keeps the gateway draining until it is let go.
        var holding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var letGo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = EntryPoints.SendAsync(gateway, Entry.TypedStream, new Caller
        {
            StallAfter = 1,
            StallUntil = letGo.Task,
            AfterPart = _ => holding.TrySetResult(),
        });
        await holding.Task.WaitAsync(Wait);

        var shutdown = gateway.ShutdownAsync(TimeSpan.FromSeconds(30));
        var during = await EntryPoints.SendAsync(gateway, entry);
        var drainedEarly = shutdown.IsCompleted; // It cannot be: the held stream is in flight.
        letGo.TrySetResult();
        await running.WaitAsync(Wait);
        await shutdown.WaitAsync(Wait);
        var after = await EntryPoints.SendAsync(gateway, entry);

        Assert.False(drainedEarly);
        foreach (var refused in new[] { during, after })
        {
            refused.AssertFailed(PortalErrorCode.ShuttingDown);
            refused.AssertNothingSent();
        }

        Assert.Equal(1, upstream.RequestCount);
        Assert.Equal(0, gateway.InFlightRequests);
        Assert.Single(await gateway.QueryStatsAsync(new StatsQuery())); // The held stream's; a refused request makes no row.
    }

    /// <summary>A stream that sends event "a", then holds the rest for 30 s: still open whenever the test acts on it.</summary>
    private static FakeResponse HeldAfterFirstEvent() =>
        FakeResponse.SseRaw(SseChunk("a"), SseChunk("b"), SseChunk(null, "stop"), SseDone()).WithDelayBetweenWrites(TimeSpan.FromSeconds(30));

    /// <summary>A stream that sends events "a" and "b" at once, then holds the rest for 30 s: still open whenever the test acts on it.</summary>
    private static FakeResponse HeldAfterTwoEvents() =>
        FakeResponse.SseRaw(SseChunk("a") + SseChunk("b"), SseChunk("c"), SseChunk(null, "stop"), SseDone()).WithDelayBetweenWrites(TimeSpan.FromSeconds(30));
}
