using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Storage.Internal;
using Portal.Storage.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Storage.Tests.Stats;

/// <summary>The background retention loop, on a SQLite file, driven by a fake clock.</summary>
public sealed class StatsRetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Bounds a wait that should end at once; only a broken test waits this long.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly TempSqlite _database = new();
    private readonly TimerTrackingTimeProvider _time = new(Now);
    private readonly FakeLogCollector _logs = new();
    private readonly ILoggerFactory _loggerFactory;
    private EfPortalRepository? _repository;

    public StatsRetentionTests() =>
        _loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(_logs)));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_repository is not null)
        {
            await _repository.DisposeAsync();
        }

        _loggerFactory.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task Loop_OldRows_DeletedInBatchesShortlyAfterStartAndEveryInterval_RecentRowsKept()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync([.. Rows(1, 7, age: TimeSpan.FromDays(9)), .. Rows(100, 3, age: TimeSpan.FromDays(6))], default);
        await using var retention = StartRetention(repository, days: 7, batchSize: 2);

        // The run logs its total after its last batch: wait for both, the rows gone and the line written.
        await AdvanceUntilAsync(StatsRetention.StartDelay, async () => await CountAsync(repository) == 3 && LoggedDeleted(7));
        Assert.Equal(3, await CountAsync(repository, recentOnly: true));
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 1100 && r.Message.Contains("Deleted 7 request stats", StringComparison.Ordinal));

        // A row that ages past the limit later goes at the next interval.
        await repository.SaveRequestStatsAsync(Rows(200, 1, age: TimeSpan.FromDays(8)), default);
        await AdvanceUntilAsync(TimeSpan.FromMinutes(10), async () => await CountAsync(repository) == 3);
        Assert.Equal(3, await CountAsync(repository, recentOnly: true));
    }

    private bool LoggedDeleted(int count) =>
        _logs.GetSnapshot().Any(r => r.Id.Id == 1100 && r.Message.Contains($"Deleted {count} request stats", StringComparison.Ordinal));

    [Fact]
    public async Task RunOnce_DatabaseFails_LogsTheFailureAndReturnsInsteadOfThrowing()
    {
        var repository = await OpenAsync();
        await using var retention = new StatsRetention(repository);
        SetRetention(repository, days: 7, batchSize: 2);
        await using (var context = repository.CreateContext())
        {
            await context.Database.ExecuteSqlRawAsync("DROP TABLE request_stats");
        }

        Assert.Equal(0, await retention.RunOnceAsync(CancellationToken.None));

        var failure = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 1101);
        Assert.Equal(LogLevel.Warning, failure.Level);
        Assert.NotNull(failure.Exception);
    }

    [Fact]
    public async Task Start_RetentionOff_StartsNoLoopAndARunDeletesNothing()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(Rows(1, 3, age: TimeSpan.FromDays(400)), default);
        await using var retention = StartRetention(repository, days: 0, batchSize: 2);

        Assert.Equal(0, await retention.RunOnceAsync(CancellationToken.None));
        Assert.Equal(3, await CountAsync(repository));

        // No loop was started: a loop would be waiting on the fake clock, which has not moved, and Start would then
        // throw "already running". So nothing can delete later.
        SetRetention(repository, days: 7, batchSize: 2);
        retention.Start();
    }

    [Fact]
    public async Task Dispose_StopsTheLoop()
    {
        var repository = await OpenAsync();
        var repositoryTimers = _time.TimersCreated; // the configuration cache's reload timer
        var retention = StartRetention(repository, days: 7, batchSize: 100);
        await repository.SaveRequestStatsAsync(Rows(1, 1, age: TimeSpan.FromDays(8)), default);
        await AdvanceUntilAsync(StatsRetention.StartDelay, async () => await CountAsync(repository) == 0);

        await retention.DisposeAsync().AsTask().WaitAsync(Wait);

        // The loop has ended: every timer it started is disposed, so moving the clock can wake nothing.
        var loopTimers = _time.Timers.Skip(repositoryTimers).ToList();
        Assert.NotEmpty(loopTimers);
        Assert.All(loopTimers, t => Assert.True(t.IsDisposed));
        await repository.SaveRequestStatsAsync(Rows(2, 1, age: TimeSpan.FromDays(8)), default);
        _time.Advance(TimeSpan.FromHours(3));
        Assert.Equal(1, await CountAsync(repository));
    }

    [Fact]
    public async Task Start_IntervalNotPositive_ThrowsNamingTheSetting()
    {
        var repository = await OpenAsync();
        await using var retention = new StatsRetention(repository);
        SetRetention(repository, days: 7, batchSize: 10);
        repository.Options.RetentionInterval = TimeSpan.Zero;

        var ex = Assert.Throws<ArgumentException>(retention.Start);
        Assert.Contains("Portal:Storage:RetentionInterval", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Opens with retention off, so only the loop under test deletes.</summary>
    private async Task<EfPortalRepository> OpenAsync()
    {
        var options = _database.CreateOptions();
        options.RetentionDays = 0;

        // The configuration cache reloads every TTL of fake time; a long one keeps big clock jumps cheap.
        options.CacheTtl = TimeSpan.FromHours(1);
        _repository = await EfPortalRepository.OpenAsync(options, _loggerFactory, _time);
        return _repository;
    }

    private static void SetRetention(EfPortalRepository repository, int days, int batchSize)
    {
        repository.Options.RetentionDays = days;
        repository.Options.RetentionBatchSize = batchSize;
        repository.Options.RetentionInterval = TimeSpan.FromMinutes(10);
    }

    private static StatsRetention StartRetention(EfPortalRepository repository, int days, int batchSize)
    {
        SetRetention(repository, days, batchSize);
        var retention = new StatsRetention(repository);
        retention.Start();
        return retention;
    }

    /// <summary>Advances the fake clock by <paramref name="step"/> until <paramref name="condition"/> holds; the loop runs on real threads, so each step waits a little.</summary>
    private async Task AdvanceUntilAsync(TimeSpan step, Func<Task<bool>> condition)
    {
        var elapsed = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(elapsed.Elapsed < Wait, "The retention loop did not delete in time.");
            _time.Advance(step);
            await Task.Delay(20);
        }
    }

    private async Task<int> CountAsync(EfPortalRepository repository, bool recentOnly = false) =>
        (int)(await repository.CountRequestStatsAsync(new StatsQuery { StartTime = recentOnly ? _time.GetUtcNow() - TimeSpan.FromDays(7) : null }, default)).TotalRequests;

    private RequestStat[] Rows(int firstId, int count, TimeSpan age) => [.. Enumerable.Range(firstId, count).Select(i => new RequestStat
    {
        Id = $"01900000000070008000000000{i:D6}",
        Timestamp = _time.GetUtcNow() - age + TimeSpan.FromSeconds(i),
        ModelName = "m",
        Duration = TimeSpan.FromMilliseconds(10),
        Success = true,
    })];
}
