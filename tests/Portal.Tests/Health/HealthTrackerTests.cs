using Microsoft.Extensions.Time.Testing;
using Portal.Health;
using Portal.Internal;

namespace Portal.Tests.Health;

public sealed class HealthTrackerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly HealthTracker _tracker;

    public HealthTrackerTests()
    {
        _tracker = new HealthTracker(new BackoffOptions(), new RandomSource(new Random(1)), _time);
    }

    [Fact]
    public void GetEntry_SameKindAndId_ReturnsSameInstance()
    {
        var a = _tracker.GetEntry(ResourceKind.ApiKey, 1);

        Assert.Same(a, _tracker.GetEntry(ResourceKind.ApiKey, 1));
        Assert.NotSame(a, _tracker.GetEntry(ResourceKind.Model, 1));
        Assert.NotSame(a, _tracker.GetEntry(ResourceKind.ApiKey, 2));
    }

    [Fact]
    public void GetState_NeverUsed_UnknownWithoutCreatingEntry()
    {
        var state = _tracker.GetState(ResourceKind.Platform, 42);

        Assert.Equal(HealthStatus.Unknown, state.Status);
        Assert.Equal(ResourceKind.Platform, state.ResourceKind);
        Assert.Equal(42, state.ResourceId);
        Assert.Empty(_tracker.GetAll());
    }

    [Fact]
    public void GetAll_SeveralEntries_OrderedByKindThenId()
    {
        _tracker.GetEntry(ResourceKind.Model, 1);
        _tracker.GetEntry(ResourceKind.ApiKey, 9);
        _tracker.GetEntry(ResourceKind.Platform, 5);
        _tracker.GetEntry(ResourceKind.ApiKey, 3);
        _tracker.GetEntry(ResourceKind.Platform, 2);

        var keys = _tracker.GetAll().Select(s => (s.ResourceKind, s.ResourceId)).ToList();

        Assert.Equal(
            [(ResourceKind.Platform, 2L), (ResourceKind.Platform, 5L), (ResourceKind.ApiKey, 3L), (ResourceKind.ApiKey, 9L), (ResourceKind.Model, 1L)],
            keys);
    }

    [Fact]
    public void TakeDirty_EachChange_ReturnedOnce()
    {
        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordSuccess(_time.GetUtcNow());
        _tracker.GetEntry(ResourceKind.Platform, 2).RecordFailure(_time.GetUtcNow(), "boom", 500, null, _tracker.BackoffOptions);
        _tracker.GetEntry(ResourceKind.Model, 3); // created, never changed

        var taken = new List<HealthEntry>();
        var states = _tracker.TakeDirty(taken);

        Assert.Equal(2, states.Count);
        Assert.Equal(2, taken.Count);
        Assert.Contains(states, s => s is { ResourceKind: ResourceKind.ApiKey, ResourceId: 1, Status: HealthStatus.Available });
        Assert.Contains(states, s => s is { ResourceKind: ResourceKind.Platform, ResourceId: 2, Status: HealthStatus.Warning });
        Assert.Empty(_tracker.TakeDirty([]));

        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordFailure(_time.GetUtcNow(), "again", 500, null, _tracker.BackoffOptions);
        var again = Assert.Single(_tracker.TakeDirty([]));
        Assert.Equal(HealthStatus.Warning, again.Status);
    }

    [Fact]
    public void Reset_OneResource_OnlyThatEntryBecomesUnknown()
    {
        Fail(ResourceKind.ApiKey, 1);
        Fail(ResourceKind.ApiKey, 2);
        Fail(ResourceKind.Model, 1);
        _tracker.TakeDirty([]);

        var count = _tracker.Reset(ResourceKind.ApiKey, 1);

        Assert.Equal(1, count);
        Assert.Equal(HealthStatus.Unknown, _tracker.GetState(ResourceKind.ApiKey, 1).Status);
        Assert.Equal(HealthStatus.Warning, _tracker.GetState(ResourceKind.ApiKey, 2).Status);
        Assert.Equal(HealthStatus.Warning, _tracker.GetState(ResourceKind.Model, 1).Status);
        var dirty = Assert.Single(_tracker.TakeDirty([]));
        Assert.Equal((ResourceKind.ApiKey, 1L), (dirty.ResourceKind, dirty.ResourceId));
    }

    [Fact]
    public void Reset_KindOnly_ResetsEveryEntryOfThatKind()
    {
        Fail(ResourceKind.ApiKey, 1);
        Fail(ResourceKind.ApiKey, 2);
        Fail(ResourceKind.Model, 1);

        var count = _tracker.Reset(ResourceKind.ApiKey, null);

        Assert.Equal(2, count);
        Assert.Equal(HealthStatus.Unknown, _tracker.GetState(ResourceKind.ApiKey, 1).Status);
        Assert.Equal(HealthStatus.Unknown, _tracker.GetState(ResourceKind.ApiKey, 2).Status);
        Assert.Equal(HealthStatus.Warning, _tracker.GetState(ResourceKind.Model, 1).Status);
    }

    [Fact]
    public void Reset_IdOnly_ResetsThatIdOfEveryKind()
    {
        Fail(ResourceKind.ApiKey, 1);
        Fail(ResourceKind.Model, 1);
        Fail(ResourceKind.Model, 2);

        var count = _tracker.Reset(null, 1);

        Assert.Equal(2, count);
        Assert.Equal(HealthStatus.Warning, _tracker.GetState(ResourceKind.Model, 2).Status);
    }

    [Fact]
    public void Reset_All_EveryEntryUnknownAndUsable()
    {
        Fail(ResourceKind.ApiKey, 1);
        Fail(ResourceKind.Platform, 1);
        Fail(ResourceKind.Model, 1);

        var count = _tracker.Reset(null, null);

        Assert.Equal(3, count);
        Assert.All(_tracker.GetAll(), s => Assert.Equal(HealthStatus.Unknown, s.Status));
        Assert.True(_tracker.GetEntry(ResourceKind.ApiKey, 1).IsUsable(_time.GetUtcNow().UtcTicks));
    }

    [Fact]
    public void Reset_NothingMatches_ReturnsZero()
    {
        Fail(ResourceKind.ApiKey, 1);

        Assert.Equal(0, _tracker.Reset(ResourceKind.ApiKey, 99));
    }

    [Fact]
    public void Load_StoredStates_CreatesEntriesWithoutMarkingThemDirty()
    {
        var at = _time.GetUtcNow();

        _tracker.Load(
        [
            new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 1, Status = HealthStatus.Unavailable, LastCheckAt = at },
            new HealthState { ResourceKind = ResourceKind.Model, ResourceId = 2, Status = HealthStatus.Available, LastCheckAt = at, SuccessCount = 4 },
        ]);

        Assert.Equal(HealthStatus.Unavailable, _tracker.GetState(ResourceKind.ApiKey, 1).Status);
        Assert.False(_tracker.GetEntry(ResourceKind.ApiKey, 1).IsUsable(at.UtcTicks));
        Assert.Equal(4, _tracker.GetState(ResourceKind.Model, 2).SuccessCount);
        Assert.Empty(_tracker.TakeDirty([]));
    }

    [Fact]
    public void Load_EntryWithUnsavedChange_KeepsLocalState()
    {
        Fail(ResourceKind.ApiKey, 1);

        _tracker.Load([new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 1, Status = HealthStatus.Available, LastCheckAt = _time.GetUtcNow().AddMinutes(1) }]);

        Assert.Equal(HealthStatus.Warning, _tracker.GetState(ResourceKind.ApiKey, 1).Status);
    }

    private void Fail(ResourceKind kind, long id) =>
        _tracker.GetEntry(kind, id).RecordFailure(_time.GetUtcNow(), "boom", 500, null, _tracker.BackoffOptions);

    [Fact]
    public void Load_StoredBackoffOfDecades_CutToTheLongestThisGatewaySets()
    {
        // An earlier version honoured any Retry-After: a stored key may be backing off until 2094.
        var now = _time.GetUtcNow();
        var longest = new BackoffOptions().MaxRetryAfter;
        _tracker.Load([new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 5,
            Status = HealthStatus.Warning,
            RetryCount = 1,
            LastCheckAt = now,
            NextAvailableAt = new DateTimeOffset(2094, 1, 1, 0, 0, 0, TimeSpan.Zero),
            BackoffDuration = TimeSpan.FromDays(68 * 365),
        }]);

        var state = _tracker.GetState(ResourceKind.ApiKey, 5);
        Assert.Equal(now + longest, state.NextAvailableAt);
        Assert.Equal(longest, state.BackoffDuration);
        var entry = _tracker.GetEntry(ResourceKind.ApiKey, 5);
        Assert.False(entry.IsUsable(now.UtcTicks));
        Assert.True(entry.IsUsable((now + longest).UtcTicks));
    }

    [Fact]
    public void Load_StoredBackoffWithinBounds_KeptAsIs()
    {
        var now = _time.GetUtcNow();
        var next = now + TimeSpan.FromMinutes(3);
        _tracker.Load([new HealthState { ResourceKind = ResourceKind.Platform, ResourceId = 1, Status = HealthStatus.Warning, LastCheckAt = now, NextAvailableAt = next, BackoffDuration = TimeSpan.FromMinutes(3) }]);

        Assert.Equal(next, _tracker.GetState(ResourceKind.Platform, 1).NextAvailableAt);
    }
}
