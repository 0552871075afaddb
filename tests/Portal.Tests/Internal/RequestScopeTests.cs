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

    [Fact]
    public void CallerCancelledBeforeTheScope_ScopeAndAttemptCancelledAtOnceAndBlameTheCaller()
    {
        using var caller = new CancellationTokenSource();
        caller.Cancel();

        using var scope = new RequestScope("r", TimeSpan.FromMinutes(1), new FakeTimeProvider(), caller.Token, CancellationToken.None);
        using var attempt = scope.StartAttempt(TimeSpan.FromSeconds(10));

        Assert.True(scope.Token.IsCancellationRequested);
        Assert.True(attempt.Token.IsCancellationRequested);
        Assert.True(scope.CallerCancelled);
        Assert.False(scope.DeadlinePassed);
        Assert.False(attempt.TimedOut);
    }

    [Fact]
    public void Shutdown_CancelsScopeAndAttempt_NotTheDeadline()
    {
        using var shutdown = new CancellationTokenSource();
        using var scope = new RequestScope("r", TimeSpan.FromMinutes(1), new FakeTimeProvider(), CancellationToken.None, shutdown.Token);
        using var attempt = scope.StartAttempt(TimeSpan.FromSeconds(10));

        shutdown.Cancel();

        Assert.True(attempt.Token.IsCancellationRequested);
        Assert.True(scope.ShutdownCancelled);
        Assert.False(scope.DeadlinePassed);
        Assert.False(attempt.TimedOut);
    }

    [Fact]
    public void AttemptTimeout_CancelsTheAttemptOnly()
    {
        var time = new FakeTimeProvider();
        using var scope = new RequestScope("r", TimeSpan.FromMinutes(1), time, CancellationToken.None, CancellationToken.None);
        using var attempt = scope.StartAttempt(TimeSpan.FromSeconds(10));

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.True(attempt.TimedOut);
        Assert.False(scope.Token.IsCancellationRequested);
        Assert.False(scope.DeadlinePassed);
    }

    [Fact]
    public void CommittedAttempt_OnlyTheDeadlineCancelsIt()
    {
        var time = new FakeTimeProvider();
        using var scope = new RequestScope("r", TimeSpan.FromMinutes(1), time, CancellationToken.None, CancellationToken.None);
        using var attempt = scope.StartAttempt(TimeSpan.FromSeconds(10));

        attempt.Commit();
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(attempt.Token.IsCancellationRequested);

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(attempt.Token.IsCancellationRequested);
        Assert.True(scope.DeadlinePassed);
        Assert.False(attempt.TimedOut);
    }

    [Fact]
    public void Disposed_CallerCancelsLater_NothingThrows()
    {
        using var caller = new CancellationTokenSource();
        using var shutdown = new CancellationTokenSource();
        var scope = new RequestScope("r", TimeSpan.FromMinutes(1), new FakeTimeProvider(), caller.Token, shutdown.Token);
        var attempt = scope.StartAttempt(TimeSpan.FromSeconds(10));
        attempt.Dispose();
        scope.Dispose();

        // Cancelling a disposed source would throw ObjectDisposedException from the caller's Cancel.
        caller.Cancel();
        shutdown.Cancel();
    }
}
