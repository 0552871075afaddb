using Microsoft.Extensions.Time.Testing;
using Portal.Internal;

namespace Portal.Tests.Internal;

public sealed class RequestScopeTests
{
    [Fact]
    public void NewRequestId_IsAVersion7GuidOfNow()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = RequestScope.NewRequestId();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(7, Guid.ParseExact(id, "N").Version);
        Assert.InRange(TimeOrderedIdTests.MillisecondsOf(id), before, after);
    }

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void CallerCancelledBeforeTheScope_ScopeAndAttemptCancelledAtOnceAndBlameTheCaller()
    {
        using var caller = new CancellationTokenSource();
        caller.Cancel();

        using var started = Started.Now(new FakeTimeProvider(), caller.Token);

        Assert.True(started.Request.Token.IsCancellationRequested);
        Assert.True(started.Attempt.Token.IsCancellationRequested);
        Assert.True(started.Request.CallerCancelled);
        Assert.False(started.Request.DeadlinePassed);
        Assert.False(started.Attempt.TimedOut);
    }

    [Fact]
    public void Shutdown_CancelsScopeAndAttempt_NotTheDeadline()
    {
        using var shutdown = new CancellationTokenSource();
        using var started = Started.Now(new FakeTimeProvider(), shutdown: shutdown.Token);

        shutdown.Cancel();

        Assert.True(started.Attempt.Token.IsCancellationRequested);
        Assert.True(started.Request.ShutdownCancelled);
        Assert.False(started.Request.DeadlinePassed);
        Assert.False(started.Attempt.TimedOut);
    }

    [Fact]
    public void AttemptTimeout_CancelsTheAttemptOnly()
    {
        var time = new FakeTimeProvider();
        using var started = Started.Now(time);

        time.Advance(AttemptTimeout);

        Assert.True(started.Attempt.TimedOut);
        Assert.False(started.Request.Token.IsCancellationRequested);
        Assert.False(started.Request.DeadlinePassed);
    }

    [Fact]
    public void CommittedAttempt_OnlyTheDeadlineCancelsIt()
    {
        var time = new FakeTimeProvider();
        using var started = Started.Now(time);

        started.Attempt.Commit();
        time.Advance(RequestTimeout / 2);
        Assert.False(started.Attempt.Token.IsCancellationRequested);

        time.Advance(RequestTimeout / 2);
        Assert.True(started.Attempt.Token.IsCancellationRequested);
        Assert.True(started.Request.DeadlinePassed);
        Assert.False(started.Attempt.TimedOut);
    }

    [Fact]
    public void Disposed_CallerCancelsLater_NothingThrows()
    {
        using var caller = new CancellationTokenSource();
        using var shutdown = new CancellationTokenSource();
        Started.Now(new FakeTimeProvider(), caller.Token, shutdown.Token).Dispose();

        // Cancelling a disposed source would throw ObjectDisposedException from the caller's Cancel.
        caller.Cancel();
        shutdown.Cancel();
    }

    /// <summary>A request scope and its first attempt, disposed together (the attempt first, as the engine does).</summary>
    private sealed record Started(RequestScope Request, AttemptScope Attempt) : IDisposable
    {
        public static Started Now(TimeProvider time, CancellationToken caller = default, CancellationToken shutdown = default)
        {
            var request = new RequestScope("r", RequestTimeout, time, caller, shutdown);
            return new Started(request, request.StartAttempt(AttemptTimeout));
        }

        public void Dispose()
        {
            Attempt.Dispose();
            Request.Dispose();
        }
    }
}
