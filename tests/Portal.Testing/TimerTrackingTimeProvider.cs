using Microsoft.Extensions.Time.Testing;

namespace Portal.Testing;

/// <summary>A <see cref="FakeTimeProvider"/> that shows a test the timers the code under test creates, fires and disposes.</summary>
/// <remarks>
/// <para>
/// Every delay, periodic timer and timed cancellation built on a <see cref="TimeProvider"/> creates a timer, and the fake
/// clock runs a due timer's callback synchronously inside <see cref="FakeTimeProvider.Advance(TimeSpan)"/>. So a test can
/// wait until the code under test has reached its delay (<see cref="WaitForTimerAsync"/>), and right after an advance it
/// knows which timers have fired: "nothing has happened yet" is then a fact about the clock, not a guess after a sleep.
/// </para>
/// <para>All members are thread-safe.</para>
/// </remarks>
public sealed class TimerTrackingTimeProvider : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<TrackedTimer> _timers = [];
    private TaskCompletionSource _timerCreated = NewSignal();

    /// <summary>Initializes a clock set to midnight, January 1st 2000 (<see cref="FakeTimeProvider"/>'s default).</summary>
    public TimerTrackingTimeProvider()
    {
    }

    /// <summary>Initializes a clock set to <paramref name="startTime"/>.</summary>
    public TimerTrackingTimeProvider(DateTimeOffset startTime)
        : base(startTime)
    {
    }

    /// <summary>Gets a snapshot of every timer created so far, in creation order.</summary>
    public IReadOnlyList<TrackedTimer> Timers
    {
        get
        {
            lock (_gate)
            {
                return [.. _timers];
            }
        }
    }

    /// <summary>Gets how many timers have been created so far.</summary>
    public int TimersCreated
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    /// <summary>Gets how many times a timer callback has run, over all timers.</summary>
    public int TimersFired => Timers.Sum(t => t.Fired);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var tracked = new TrackedTimer(dueTime, period);
        tracked.Inner = base.CreateTimer(
            s =>
            {
                tracked.MarkFired();
                callback(s);
            },
            state,
            dueTime,
            period);

        TaskCompletionSource created;
        lock (_gate)
        {
            _timers.Add(tracked);
            created = _timerCreated;
            _timerCreated = NewSignal();
        }

        created.TrySetResult();
        return tracked;
    }

    /// <summary>Waits until a timer matching <paramref name="match"/> has been created, counting timers created before the call.</summary>
    /// <remarks>Never times out: bound the wait with <see cref="Task.WaitAsync(TimeSpan)"/>.</remarks>
    /// <returns>The first matching timer.</returns>
    public Task<TrackedTimer> WaitForTimerAsync(Func<TrackedTimer, bool> match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return WaitAsync(timers => timers.FirstOrDefault(match));
    }

    /// <summary>Waits until at least <paramref name="count"/> timers have been created.</summary>
    /// <remarks>Never times out: bound the wait with <see cref="Task.WaitAsync(TimeSpan)"/>.</remarks>
    /// <returns>The <paramref name="count"/>-th timer (1-based).</returns>
    public Task<TrackedTimer> WaitForTimersAsync(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return WaitAsync(timers => timers.Count >= count ? timers[count - 1] : null);
    }

    private async Task<TrackedTimer> WaitAsync(Func<List<TrackedTimer>, TrackedTimer?> find)
    {
        while (true)
        {
            Task signal;
            lock (_gate)
            {
                if (find(_timers) is { } found)
                {
                    return found;
                }

                signal = _timerCreated.Task;
            }

            await signal.ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A timer created through a <see cref="TimerTrackingTimeProvider"/>: what it was asked for and what has happened to it.</summary>
public sealed class TrackedTimer : ITimer
{
    private int _fired;
    private int _disposed;

    internal TrackedTimer(TimeSpan dueTime, TimeSpan period)
    {
        DueTime = dueTime;
        Period = period;
    }

    /// <summary>Gets the due time the timer was created with.</summary>
    public TimeSpan DueTime { get; }

    /// <summary>Gets the period the timer was created with (<see cref="Timeout.InfiniteTimeSpan"/> for a one-shot timer).</summary>
    public TimeSpan Period { get; }

    /// <summary>Gets how many times the timer's callback has run.</summary>
    public int Fired => Volatile.Read(ref _fired);

    /// <summary>Gets a value indicating whether the timer has been disposed, so it can never fire again.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal ITimer Inner { get; set; } = null!;

    /// <inheritdoc />
    public bool Change(TimeSpan dueTime, TimeSpan period) => Inner.Change(dueTime, period);

    /// <inheritdoc />
    public void Dispose()
    {
        Volatile.Write(ref _disposed, 1);
        Inner.Dispose();
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);
        return Inner.DisposeAsync();
    }

    internal void MarkFired() => Interlocked.Increment(ref _fired);
}
