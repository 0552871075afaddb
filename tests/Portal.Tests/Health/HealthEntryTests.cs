using Microsoft.Extensions.Time.Testing;
using Portal.Health;
using Portal.Internal;

namespace Portal.Tests.Health;

public sealed class HealthEntryTests
{
    /// <summary>The schedule without jitter, so delays are exact; jitter has its own tests below and in <see cref="BackoffTests"/>.</summary>
    private static readonly BackoffOptions Backoff = new() { Jitter = 0 };
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly HealthEntry _entry = new(ResourceKind.ApiKey, 7);

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    [Fact]
    public void IsUsable_NewEntry_IsUnknownAndUsable()
    {
        Assert.Equal(HealthStatus.Unknown, _entry.Status);
        Assert.True(_entry.IsUsable(NowTicks));
    }

    [Fact]
    public void RecordSuccess_NewEntry_IsAvailableAndUsable()
    {
        _entry.RecordSuccess(_time.GetUtcNow());

        Assert.Equal(HealthStatus.Available, _entry.Status);
        Assert.True(_entry.IsUsable(NowTicks));
        var state = _entry.Snapshot();
        Assert.Equal(1, state.SuccessCount);
        Assert.Equal(_time.GetUtcNow(), state.LastSuccessAt);
        Assert.Equal(_time.GetUtcNow(), state.LastCheckAt);
    }

    [Fact]
    public void RecordFailure_First_WarningAndUnusableUntilBackoffPassed()
    {
        var failedAt = _time.GetUtcNow();

        var backoff = _entry.RecordFailure(failedAt, "boom", 500, null, Backoff);

        Assert.Equal(TimeSpan.FromSeconds(1), backoff);
        Assert.Equal(HealthStatus.Warning, _entry.Status);
        Assert.False(_entry.IsUsable(NowTicks));

        _time.Advance(TimeSpan.FromSeconds(1) - TimeSpan.FromTicks(1));
        Assert.False(_entry.IsUsable(NowTicks));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(_entry.IsUsable(NowTicks));

        _time.Advance(TimeSpan.FromHours(1));
        Assert.True(_entry.IsUsable(NowTicks));
        Assert.Equal(HealthStatus.Warning, _entry.Status);
    }

    [Fact]
    public void RecordFailure_Snapshot_HoldsErrorAndNextAvailableAt()
    {
        var failedAt = _time.GetUtcNow();

        _entry.RecordFailure(failedAt, "rate limited", 429, null, Backoff);

        var state = _entry.Snapshot();
        Assert.Equal(ResourceKind.ApiKey, state.ResourceKind);
        Assert.Equal(7, state.ResourceId);
        Assert.Equal(HealthStatus.Warning, state.Status);
        Assert.Equal(1, state.RetryCount);
        Assert.Equal(TimeSpan.FromSeconds(1), state.BackoffDuration);
        Assert.Equal(failedAt + TimeSpan.FromSeconds(1), state.NextAvailableAt);
        Assert.Equal("rate limited", state.LastError);
        Assert.Equal(429, state.LastErrorCode);
        Assert.Equal(failedAt, state.LastCheckAt);
        Assert.Null(state.LastSuccessAt);
        Assert.Equal(1, state.ErrorCount);
        Assert.Equal(0, state.SuccessCount);
    }

    [Fact]
    public void RecordFailure_ConsecutiveFailures_BackoffDoubles()
    {
        var backoffs = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            backoffs.Add(_entry.RecordFailure(_time.GetUtcNow(), "boom", 503, null, Backoff));
            _time.Advance(backoffs[^1]);
        }

        Assert.Equal(new double[] { 1, 2, 4, 8, 16 }, backoffs.Select(b => b.TotalSeconds));
        var state = _entry.Snapshot();
        Assert.Equal(5, state.RetryCount);
        Assert.Equal(TimeSpan.FromSeconds(16), state.BackoffDuration);
        Assert.Equal(5, state.ErrorCount);
    }

    [Fact]
    public void RecordFailure_ManyFailures_CappedAtMaxDelay()
    {
        TimeSpan last = default;
        for (var i = 0; i < 40; i++)
        {
            last = _entry.RecordFailure(_time.GetUtcNow(), "boom", 503, null, Backoff);
        }

        Assert.Equal(TimeSpan.FromSeconds(300), last);
        Assert.Equal(40, _entry.Snapshot().RetryCount);
    }

    [Fact]
    public void RecordFailure_RetryCountAtIntMax_StaysAtMaxAndCaps()
    {
        _entry.Apply(new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 7,
            Status = HealthStatus.Warning,
            RetryCount = int.MaxValue,
            LastCheckAt = _time.GetUtcNow(),
        });

        var backoff = _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff);

        Assert.Equal(TimeSpan.FromSeconds(300), backoff);
        Assert.Equal(int.MaxValue, _entry.Snapshot().RetryCount);
    }

    [Fact]
    public void RecordSuccess_AfterFailures_ResetsToAvailableAndRetryCountZero()
    {
        _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff);
        _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff);
        _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff);

        _entry.RecordSuccess(_time.GetUtcNow());

        Assert.Equal(HealthStatus.Available, _entry.Status);
        Assert.True(_entry.IsUsable(NowTicks));
        var state = _entry.Snapshot();
        Assert.Equal(0, state.RetryCount);
        Assert.Null(state.NextAvailableAt);
        Assert.Equal(TimeSpan.Zero, state.BackoffDuration);
        Assert.Equal(3, state.ErrorCount);
        Assert.Equal(1, state.SuccessCount);

        // The schedule starts over.
        Assert.Equal(TimeSpan.FromSeconds(1), _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff));
    }

    [Fact]
    public void RecordFailure_MinimumBackoffLarger_MinimumWins()
    {
        var now = _time.GetUtcNow();

        var backoff = _entry.RecordFailure(now, "slow down", 429, TimeSpan.FromSeconds(30), Backoff);

        Assert.Equal(TimeSpan.FromSeconds(30), backoff);
        Assert.Equal(now + TimeSpan.FromSeconds(30), _entry.Snapshot().NextAvailableAt);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(_entry.IsUsable(NowTicks));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(_entry.IsUsable(NowTicks));
    }

    [Fact]
    public void RecordFailure_MinimumBackoffSmaller_ScheduleWins()
    {
        _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff);

        var backoff = _entry.RecordFailure(_time.GetUtcNow(), "slow down", 429, TimeSpan.FromMilliseconds(500), Backoff);

        Assert.Equal(TimeSpan.FromSeconds(2), backoff);
    }

    [Fact]
    public void RecordFailure_Jitter_VariesTheExponentialBackoffWithTheEntrysRandomSource()
    {
        var seeded = new HealthEntry(ResourceKind.ApiKey, 7, new RandomSource(new Random(42)));
        var again = new HealthEntry(ResourceKind.ApiKey, 7, new RandomSource(new Random(42)));
        var options = new BackoffOptions { MaxDelay = TimeSpan.FromDays(1) };

        var backoffs = Enumerable.Range(0, 8).Select(_ => seeded.RecordFailure(_time.GetUtcNow(), "boom", 500, null, options)).ToList();
        var repeated = Enumerable.Range(0, 8).Select(_ => again.RecordFailure(_time.GetUtcNow(), "boom", 500, null, options)).ToList();

        Assert.Equal(backoffs, repeated); // Reproducible with a seed.
        for (var i = 0; i < backoffs.Count; i++)
        {
            var schedule = TimeSpan.FromSeconds(Math.Pow(2, i));
            Assert.InRange(backoffs[i], schedule * 0.8, schedule * 1.2);
        }

        Assert.Contains(backoffs.Select((b, i) => b.TotalSeconds / Math.Pow(2, i)), ratio => ratio != 1.0);
        Assert.Equal(backoffs[^1], seeded.Snapshot().BackoffDuration);
        Assert.Equal(_time.GetUtcNow() + backoffs[^1], seeded.Snapshot().NextAvailableAt);
    }

    [Fact]
    public void RecordFailure_RetryAfterLongerThanJitteredBackoff_IsHonouredExactly()
    {
        var entry = new HealthEntry(ResourceKind.ApiKey, 7, new RandomSource(new Random(1)));
        var now = _time.GetUtcNow();

        var backoff = entry.RecordFailure(now, "slow down", 429, TimeSpan.FromSeconds(30), new BackoffOptions { Jitter = 1 });

        Assert.Equal(TimeSpan.FromSeconds(30), backoff);
        Assert.Equal(now + TimeSpan.FromSeconds(30), entry.Snapshot().NextAvailableAt);
    }

    [Fact]
    public void RecordFailure_NearMaxTime_SaturatesAtMaxValue()
    {
        var now = DateTimeOffset.MaxValue - TimeSpan.FromMilliseconds(10);

        var backoff = _entry.RecordFailure(now, "boom", 500, null, Backoff);

        Assert.Equal(TimeSpan.FromSeconds(1), backoff);
        Assert.Equal(DateTimeOffset.MaxValue, _entry.Snapshot().NextAvailableAt);
        Assert.False(_entry.IsUsable(now.UtcTicks));
    }

    [Fact]
    public void RecordFailure_HugeMinimumBackoff_SaturatesAtMaxValue()
    {
        var now = _time.GetUtcNow();

        var backoff = _entry.RecordFailure(now, "boom", 429, TimeSpan.MaxValue, Backoff);

        Assert.Equal(TimeSpan.MaxValue, backoff);
        Assert.Equal(DateTimeOffset.MaxValue, _entry.Snapshot().NextAvailableAt);
        Assert.False(_entry.IsUsable(NowTicks));
    }

    [Fact]
    public void IsUsable_Unavailable_NeverUsable()
    {
        _entry.Apply(new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 7,
            Status = HealthStatus.Unavailable,
            LastCheckAt = _time.GetUtcNow(),
        });

        Assert.Equal(HealthStatus.Unavailable, _entry.Status);
        Assert.False(_entry.IsUsable(NowTicks));
        Assert.False(_entry.IsUsable(DateTimeOffset.MaxValue.UtcTicks));
    }

    [Fact]
    public void Reset_AfterFailure_UnknownUsableAndErrorCleared()
    {
        _entry.RecordFailure(_time.GetUtcNow(), "boom", 500, null, Backoff);
        _entry.TakeIfDirty();

        _entry.Reset(_time.GetUtcNow());

        Assert.Equal(HealthStatus.Unknown, _entry.Status);
        Assert.True(_entry.IsUsable(NowTicks));
        var state = Assert.IsType<HealthState>(_entry.TakeIfDirty());
        Assert.Equal(0, state.RetryCount);
        Assert.Null(state.LastError);
        Assert.Null(state.LastErrorCode);
        Assert.Null(state.NextAvailableAt);
    }

    [Fact]
    public void TakeIfDirty_AfterChange_ReturnsSnapshotOnce()
    {
        Assert.Null(_entry.TakeIfDirty());

        _entry.RecordSuccess(_time.GetUtcNow());

        var state = _entry.TakeIfDirty();
        Assert.NotNull(state);
        Assert.Equal(HealthStatus.Available, state.Status);
        Assert.Null(_entry.TakeIfDirty());
    }

    [Fact]
    public void MarkDirty_AfterTake_ReturnsSnapshotAgain()
    {
        _entry.RecordSuccess(_time.GetUtcNow());
        _entry.TakeIfDirty();

        _entry.MarkDirty();

        Assert.NotNull(_entry.TakeIfDirty());
    }

    [Fact]
    public void Apply_UnsavedLocalChange_KeepsLocalState()
    {
        _entry.RecordFailure(_time.GetUtcNow(), "local failure", 500, null, Backoff);

        _entry.Apply(StoredAvailable(_time.GetUtcNow() + TimeSpan.FromMinutes(1)));

        var state = _entry.Snapshot();
        Assert.Equal(HealthStatus.Warning, state.Status);
        Assert.Equal("local failure", state.LastError);
        Assert.Equal(1, state.RetryCount);
        Assert.NotNull(_entry.TakeIfDirty()); // still to be saved
    }

    [Fact]
    public void Apply_NewerStoredStateAndNothingUnsaved_AdoptsStoredState()
    {
        _entry.RecordSuccess(_time.GetUtcNow());
        _entry.TakeIfDirty();
        var storedAt = _time.GetUtcNow() + TimeSpan.FromSeconds(5);
        var stored = new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 7,
            Status = HealthStatus.Warning,
            RetryCount = 3,
            NextAvailableAt = storedAt + TimeSpan.FromSeconds(4),
            BackoffDuration = TimeSpan.FromSeconds(4),
            LastError = "from another replica",
            LastErrorCode = 503,
            LastCheckAt = storedAt,
            LastSuccessAt = storedAt - TimeSpan.FromMinutes(1),
            SuccessCount = 10,
            ErrorCount = 3,
        };

        _entry.Apply(stored);

        Assert.Equal(stored, _entry.Snapshot());
        Assert.False(_entry.IsUsable((storedAt + TimeSpan.FromSeconds(3)).UtcTicks));
        Assert.True(_entry.IsUsable((storedAt + TimeSpan.FromSeconds(4)).UtcTicks));
        Assert.Null(_entry.TakeIfDirty()); // adopted state came from storage: nothing to save
    }

    [Fact]
    public void Apply_OlderStoredState_KeepsLocalState()
    {
        _entry.RecordFailure(_time.GetUtcNow(), "local failure", 500, null, Backoff);
        _entry.TakeIfDirty();

        _entry.Apply(StoredAvailable(_time.GetUtcNow() - TimeSpan.FromSeconds(1)));

        Assert.Equal(HealthStatus.Warning, _entry.Status);
        Assert.Equal("local failure", _entry.Snapshot().LastError);
    }

    private static HealthState StoredAvailable(DateTimeOffset at) => new()
    {
        ResourceKind = ResourceKind.ApiKey,
        ResourceId = 7,
        Status = HealthStatus.Available,
        LastCheckAt = at,
        LastSuccessAt = at,
        SuccessCount = 1,
    };
}
