using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Health;
using Portal.Internal;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Health;

public sealed class HealthSynchronizerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly TimerTrackingTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();
    private readonly FakeRepository _repository = new();
    private readonly HealthTracker _tracker;

    public HealthSynchronizerTests()
    {
        _tracker = new HealthTracker(new BackoffOptions(), new RandomSource(new Random(1)), _time);
    }

    [Fact]
    public async Task Start_RepositoryHasHealth_LoadsItIntoTracker()
    {
        var at = _time.GetUtcNow();
        await _repository.Inner.SaveHealthAsync(
        [
            new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 11, Status = HealthStatus.Warning, RetryCount = 2, NextAvailableAt = at.AddSeconds(2), BackoffDuration = TimeSpan.FromSeconds(2), LastCheckAt = at },
            new HealthState { ResourceKind = ResourceKind.Platform, ResourceId = 1, Status = HealthStatus.Unavailable, LastCheckAt = at },
        ], CancellationToken.None);
        await using var sync = CreateSynchronizer();

        sync.Start();
        await sync.Loaded;

        var key = _tracker.GetState(ResourceKind.ApiKey, 11);
        Assert.Equal(HealthStatus.Warning, key.Status);
        Assert.Equal(2, key.RetryCount);
        Assert.False(_tracker.GetEntry(ResourceKind.ApiKey, 11).IsUsable(at.UtcTicks));
        Assert.Equal(HealthStatus.Unavailable, _tracker.GetState(ResourceKind.Platform, 1).Status);
        Assert.Empty(_tracker.TakeDirty([]));
    }

    [Fact]
    public async Task Start_LoadFails_LoadedCompletesWithEmptyHealthAndLogsWarning()
    {
        _repository.OnGetAllHealth = _ => throw new InvalidOperationException("database down");
        await using var sync = CreateSynchronizer();

        sync.Start();
        await sync.Loaded;

        Assert.Empty(_tracker.GetAll());
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 7);
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.IsType<InvalidOperationException>(log.Exception);
    }

    [Fact]
    public async Task Tick_ChangedEntries_SavedEveryInterval()
    {
        await using var sync = CreateSynchronizer();
        sync.Start();
        await sync.Loaded;

        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordFailure(_time.GetUtcNow(), "boom", 500, null, _tracker.BackoffOptions);
        // The clock runs due timers inside the advance: the sync's timer not fired means no tick has run, so nothing is saved yet.
        _time.Advance(Interval - TimeSpan.FromSeconds(1));
        Assert.Equal(0, _time.TimersFired);
        Assert.Empty(_repository.Saved);

        _time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => StoredStatus(ResourceKind.ApiKey, 1) == HealthStatus.Warning);

        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordSuccess(_time.GetUtcNow());
        _tracker.GetEntry(ResourceKind.Model, 2).RecordSuccess(_time.GetUtcNow());
        _time.Advance(Interval);
        await WaitUntilAsync(() => StoredStatus(ResourceKind.ApiKey, 1) == HealthStatus.Available
            && StoredStatus(ResourceKind.Model, 2) == HealthStatus.Available);

        var stored = await _repository.Inner.GetAllHealthAsync(CancellationToken.None);
        Assert.Equal(2, stored.Count);
        var key = Assert.Single(stored, s => s.ResourceKind == ResourceKind.ApiKey);
        Assert.Equal(1, key.SuccessCount);
        Assert.Equal(1, key.ErrorCount);
    }

    [Fact]
    public async Task Tick_NothingChanged_DoesNotCallSave()
    {
        await using var sync = CreateSynchronizer();
        sync.Start();
        await sync.Loaded;

        _time.Advance(Interval);
        await WaitUntilAsync(() => _repository.GetAllHealthCalls >= 2); // the tick's reload ran

        Assert.Equal(0, _repository.SaveHealthCalls);
    }

    [Fact]
    public async Task Tick_StoredHealthChangedByAnotherReplica_ReloadedIntoTracker()
    {
        await using var sync = CreateSynchronizer();
        sync.Start();
        await sync.Loaded;

        await _repository.Inner.SaveHealthAsync(
            [new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 5, Status = HealthStatus.Unavailable, LastCheckAt = _time.GetUtcNow() }],
            CancellationToken.None);
        _time.Advance(Interval);

        await WaitUntilAsync(() => _tracker.GetState(ResourceKind.ApiKey, 5).Status == HealthStatus.Unavailable);
    }

    [Fact]
    public async Task Tick_SaveFails_EntriesStayDirtyAndAreSavedOnNextTick()
    {
        _repository.FailingSaves = 1;
        await using var sync = CreateSynchronizer();
        sync.Start();
        await sync.Loaded;
        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordFailure(_time.GetUtcNow(), "boom", 500, null, _tracker.BackoffOptions);
        _tracker.GetEntry(ResourceKind.Platform, 2).RecordSuccess(_time.GetUtcNow());

        _time.Advance(Interval);
        await WaitUntilAsync(() => _logger.Collector.GetSnapshot().Any(r => r.Id.Id == 6));

        Assert.Equal(1, _repository.SaveHealthCalls);
        Assert.Empty(_repository.Saved);
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 6);
        Assert.Equal(LogLevel.Warning, log.Level);

        _time.Advance(Interval);
        await WaitUntilAsync(() => StoredStatus(ResourceKind.ApiKey, 1) == HealthStatus.Warning
            && StoredStatus(ResourceKind.Platform, 2) == HealthStatus.Available);
        Assert.Equal(2, _repository.SaveHealthCalls);
        Assert.Equal(2, _repository.SavedStates);
    }

    [Fact]
    public async Task StopAsync_UnsavedChanges_SavesOneLastTime()
    {
        var sync = CreateSynchronizer();
        sync.Start();
        await sync.Loaded;
        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordFailure(_time.GetUtcNow(), "boom", 429, TimeSpan.FromSeconds(30), _tracker.BackoffOptions);

        await sync.StopAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Warning, StoredStatus(ResourceKind.ApiKey, 1));
        Assert.Equal(1, _repository.SaveHealthCalls);
        Assert.Empty(_tracker.TakeDirty([]));
        await sync.DisposeAsync();
        Assert.Equal(1, _repository.SaveHealthCalls); // nothing left to save
    }

    [Fact]
    public async Task StopAsync_NeverStarted_StillSaves()
    {
        var sync = CreateSynchronizer();
        _tracker.GetEntry(ResourceKind.Model, 3).RecordSuccess(_time.GetUtcNow());

        await sync.StopAsync(CancellationToken.None);

        Assert.Equal(HealthStatus.Available, StoredStatus(ResourceKind.Model, 3));
        await sync.DisposeAsync();
    }

    [Fact]
    public async Task SaveAsync_RepositoryFails_ReturnsFalseAndKeepsEntriesDirty()
    {
        _repository.FailingSaves = 1;
        await using var sync = CreateSynchronizer();
        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordSuccess(_time.GetUtcNow());

        Assert.False(await sync.SaveAsync(CancellationToken.None));
        Assert.True(await sync.SaveAsync(CancellationToken.None));

        Assert.Equal(HealthStatus.Available, StoredStatus(ResourceKind.ApiKey, 1));
    }

    // A database client may report a cancelled query with its own exception rather than an
    // OperationCanceledException (SqlClient throws SqlException "Operation cancelled by user").
    [Fact]
    public async Task StopAsync_InitialLoadFailsWhileStopping_CompletesAndSaves()
    {
        var loadStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _repository.OnGetAllHealth = async ct =>
        {
            loadStarted.TrySetResult();
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (ct.Register(() => cancelled.TrySetResult()))
            {
                await cancelled.Task;
            }

            throw new InvalidOperationException("Operation cancelled by user.");
        };
        var sync = CreateSynchronizer();
        sync.Start();
        await loadStarted.Task;
        _tracker.GetEntry(ResourceKind.ApiKey, 1).RecordSuccess(_time.GetUtcNow());

        var stop = sync.StopAsync(CancellationToken.None);
        var error = await Record.ExceptionAsync(() => stop);

        Assert.Null(error);
        Assert.True(sync.Loaded.IsCompletedSuccessfully, "Loaded must complete (successfully or not: a failed load starts with empty health).");
        Assert.Equal(HealthStatus.Available, StoredStatus(ResourceKind.ApiKey, 1));
    }

    private HealthSynchronizer CreateSynchronizer() => new(_tracker, _repository, Interval, _time, _logger);

    private HealthStatus? StoredStatus(ResourceKind kind, long id) =>
        _repository.Saved.TryGetValue((kind, id), out var state) ? state.Status : null;

    /// <summary>An in-memory repository whose health calls can fail or block.</summary>
    private sealed class FakeRepository : IPortalRepository
    {
        private int _failingSaves;
        private int _saveHealthCalls;
        private int _savedStates;
        private int _getAllHealthCalls;

        public InMemoryPortalRepository Inner { get; } = new();

        /// <summary>What SaveHealthAsync saved, by resource.</summary>
        public ConcurrentDictionary<(ResourceKind Kind, long Id), HealthState> Saved { get; } = new();

        /// <summary>How many of the next SaveHealthAsync calls throw.</summary>
        public int FailingSaves
        {
            get => Volatile.Read(ref _failingSaves);
            set => Volatile.Write(ref _failingSaves, value);
        }

        public Func<CancellationToken, Task<IReadOnlyList<HealthState>>>? OnGetAllHealth { get; set; }

        public int SaveHealthCalls => Volatile.Read(ref _saveHealthCalls);

        public int SavedStates => Volatile.Read(ref _savedStates);

        public int GetAllHealthCalls => Volatile.Read(ref _getAllHealthCalls);

        public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken) => Inner.FindModelsByNameAsync(name, cancellationToken);

        public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) => Inner.GetPlatformAsync(platformId, cancellationToken);

        public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) => Inner.GetApiKeysAsync(platformId, cancellationToken);

        public Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _getAllHealthCalls);
            return OnGetAllHealth is { } callback ? callback(cancellationToken) : Inner.GetAllHealthAsync(cancellationToken);
        }

        public Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _saveHealthCalls);
            if (Interlocked.Decrement(ref _failingSaves) >= 0)
            {
                throw new InvalidOperationException("database down");
            }

            Interlocked.Add(ref _savedStates, states.Count);
            foreach (var state in states)
            {
                Saved[(state.ResourceKind, state.ResourceId)] = state;
            }

            return Inner.SaveHealthAsync(states, cancellationToken);
        }

        public Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken) => Inner.SaveRequestStatsAsync(stats, cancellationToken);

        public Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) => Inner.QueryRequestStatsAsync(query, cancellationToken);

        public Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) => Inner.CountRequestStatsAsync(query, cancellationToken);
    }
}
