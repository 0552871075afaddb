using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Diagnostics;
using Portal.Stats;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Stats;

public sealed class StatsRecorderTests : IDisposable
{
    private readonly TimerTrackingTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly FakeLogger _logger = new();
    private readonly ServiceProvider _services;
    private readonly PortalMetrics _metrics;
    private readonly FakeRepository _repository = new();
    private int _nextId;

    public StatsRecorderTests()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _metrics = new PortalMetrics(_services.GetRequiredService<IMeterFactory>());
    }

    public void Dispose()
    {
        _repository.Gate.TrySetResult();
        _metrics.Dispose();
        _services.Dispose();
    }

    [Fact]
    public async Task Record_ManyStats_WrittenInBatchesOfAtMostBatchSize()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, BatchSize = 3 });
        var stats = Enumerable.Range(0, 10).Select(_ => NewStat()).ToList();

        recorder.Record(stats[0]);
        await WaitUntilAsync(() => _repository.Calls == 1); // the writer holds a batch of one
        foreach (var stat in stats.Skip(1))
        {
            recorder.Record(stat);
        }

        _repository.Gate.SetResult();
        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(new[] { 1, 3, 3, 3 }, _repository.Batches.Select(b => b.Length));
        Assert.Equal(stats.Select(s => s.Id), _repository.Batches.SelectMany(b => b).Select(s => s.Id));
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Record_BatchSizeOne_EveryStatItsOwnBatch()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, BatchSize = 1 });

        recorder.Record(NewStat());
        await WaitUntilAsync(() => _repository.Calls == 1);
        recorder.Record(NewStat());
        recorder.Record(NewStat());
        _repository.Gate.SetResult();
        await recorder.FlushAsync(CancellationToken.None);

        Assert.All(_repository.Batches, b => Assert.Single(b));
        Assert.Equal(3, _repository.Batches.Count);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task FlushAsync_StatsPending_CompletesOnlyAfterTheyAreSaved()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        for (var i = 0; i < 5; i++)
        {
            recorder.Record(NewStat());
        }

        var flush = recorder.FlushAsync(CancellationToken.None);
        await WaitUntilAsync(() => _repository.Calls == 1);

        Assert.False(flush.IsCompleted);
        _repository.Gate.SetResult();
        await flush;
        Assert.Equal(5, _repository.Saved);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task FlushAsync_NothingRecorded_CompletesAtOnce()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });

        Assert.True(recorder.FlushAsync(CancellationToken.None).IsCompletedSuccessfully);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task FlushAsync_Cancelled_ThrowsAndStatsAreStillWritten()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        recorder.Record(NewStat());
        using var cts = new CancellationTokenSource();

        var flush = recorder.FlushAsync(cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => flush);
        _repository.Gate.SetResult();
        await recorder.FlushAsync(CancellationToken.None);
        Assert.Equal(1, _repository.Saved);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Record_QueueFull_DropsWithoutBlockingCountsEmitsMetricAndLogs()
    {
        using var dropped = new MetricCollector<long>(_services.GetRequiredService<IMeterFactory>(), PortalTelemetry.Name, PortalTelemetry.StatsDropped);
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, QueueCapacity = 10 });
        recorder.Record(NewStat());
        await WaitUntilAsync(() => _repository.Calls == 1); // the writer is stuck on one stat; the queue is empty

        var record = Task.Run(() =>
        {
            for (var i = 0; i < 15; i++)
            {
                recorder.Record(NewStat("full-" + i));
            }
        });
        await record.WaitAsync(TimeSpan.FromSeconds(10)); // a guard against a hang, not a timing claim

        Assert.Equal(5, recorder.Dropped);
        Assert.Equal(5, dropped.GetMeasurementSnapshot().Sum(m => m.Value));
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 3); // the first drop is logged
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.Equal("10", log.GetStructuredStateValue("Capacity"));
        Assert.Equal("1", log.GetStructuredStateValue("Dropped"));

        _repository.Gate.SetResult();
        await recorder.FlushAsync(CancellationToken.None);
        Assert.Equal(11, _repository.Saved);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "full-" + i), _repository.Batches.SelectMany(b => b).Skip(1).Select(s => s.ModelName));
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Record_SustainedOverload_LogsFirstDropThenOncePerThousand()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, QueueCapacity = 1 });
        recorder.Record(NewStat());
        await WaitUntilAsync(() => _repository.Calls == 1);
        recorder.Record(NewStat()); // fills the queue

        for (var i = 0; i < 2_500; i++)
        {
            recorder.Record(NewStat());
        }

        Assert.Equal(2_500, recorder.Dropped);
        var logs = _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 3).ToList();
        Assert.Equal(new[] { "1", "1000", "2000" }, logs.Select(r => r.GetStructuredStateValue("Dropped")));
        _repository.Gate.SetResult();
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task FlushAsync_LaterStatsDroppedWhileEarlierStillQueued_WaitsForEarlierStats()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, QueueCapacity = 10 });
        recorder.Record(NewStat());
        await WaitUntilAsync(() => _repository.Calls == 1);
        for (var i = 0; i < 10; i++)
        {
            recorder.Record(NewStat()); // fills the queue
        }

        var flush = recorder.FlushAsync(CancellationToken.None); // waits for these 11 stats
        for (var i = 0; i < 11; i++)
        {
            recorder.Record(NewStat()); // dropped: recorded after the flush
        }

        Assert.Equal(11, recorder.Dropped);
        Assert.False(flush.IsCompleted, "The flush completed although none of the 11 stats recorded before it has been saved.");
        _repository.Gate.SetResult();
        await flush;
        Assert.Equal(11, _repository.Saved);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Record_SaveFails_RetriedWithDoublingCappedBackoffAndSavedOnce()
    {
        _repository.FailingSaves = 3;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, MaxRetryDelay = TimeSpan.FromMilliseconds(150) });
        var stat = NewStat();

        recorder.Record(stat);
        var flush = recorder.FlushAsync(CancellationToken.None);

        await AdvanceThroughRetryAsync(retry: 1, TimeSpan.FromMilliseconds(100));
        await AdvanceThroughRetryAsync(retry: 2, TimeSpan.FromMilliseconds(150)); // 200 ms, capped
        Assert.False(flush.IsCompleted);
        await AdvanceThroughRetryAsync(retry: 3, TimeSpan.FromMilliseconds(150));
        await flush;

        Assert.Equal(4, _repository.Calls);
        var saved = Assert.Single(Assert.Single(_repository.Batches));
        Assert.Equal(stat.Id, saved.Id);
        var failures = _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 4).ToList();
        Assert.Equal(3, failures.Count);
        Assert.All(failures, r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.Equal(
            new[] { TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(150) }.Select(d => d.ToString()),
            failures.Select(r => r.GetStructuredStateValue("Delay")));
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Record_SaveFailsWhileMoreStatsArrive_NewStatsWaitAndAreSavedAfter()
    {
        _repository.FailingSaves = 1;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        var first = NewStat();
        recorder.Record(first);
        await _time.WaitForTimersAsync(1).WaitAsync(Wait);

        var second = NewStat();
        recorder.Record(second);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        await recorder.FlushAsync(CancellationToken.None);

        Assert.Equal(new[] { first.Id, second.Id }, _repository.Batches.SelectMany(b => b).Select(s => s.Id));
        Assert.Single(_repository.Batches[0]);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task StopAsync_StatsQueued_DrainsEverything()
    {
        _repository.BlockFirstSave = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, BatchSize = 4 });
        recorder.Record(NewStat());
        await WaitUntilAsync(() => _repository.Calls == 1);
        for (var i = 0; i < 20; i++)
        {
            recorder.Record(NewStat());
        }

        var stop = recorder.StopAsync(TimeSpan.FromSeconds(10));
        Assert.False(stop.IsCompleted);
        _repository.Gate.SetResult();
        await stop;

        Assert.Equal(21, _repository.Saved);
        Assert.DoesNotContain(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task StopAsync_RepositoryKeepsFailing_GivesUpAfterTimeoutAndLogs()
    {
        _repository.FailingSaves = int.MaxValue;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero, BatchSize = 2 });
        for (var i = 0; i < 5; i++)
        {
            recorder.Record(NewStat());
        }

        var flush = recorder.FlushAsync(CancellationToken.None);
        await WaitUntilAsync(() => _repository.Calls >= 1);

        var stop = recorder.StopAsync(TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(9));

        // Giving up cancels the writer's token inside the clock's advance, which runs due timers synchronously: a
        // token still live right after the advance means the recorder has not given up, so the stop is still waiting.
        Assert.True(_repository.Token.CanBeCanceled);
        Assert.False(_repository.Token.IsCancellationRequested);
        Assert.False(stop.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));
        await stop.WaitAsync(TimeSpan.FromSeconds(10)); // a guard against a hang, not a timing claim

        Assert.True(flush.IsCompletedSuccessfully, "A flush waiting on abandoned stats must be released.");
        Assert.Equal(0, _repository.Saved);
        var log = Assert.Single(_logger.Collector.GetSnapshot(), r => r.Id.Id == 5);
        Assert.Equal(LogLevel.Error, log.Level);
        Assert.Equal("5", log.GetStructuredStateValue("Count"));
    }

    [Fact]
    public async Task StopAsync_RepositoryHangsIgnoringCancellation_GivesUpAfterTimeout()
    {
        _repository.BlockFirstSave = true;
        _repository.GateIgnoresCancellation = true;
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        recorder.Record(NewStat());
        await WaitUntilAsync(() => _repository.Calls == 1);

        var stop = recorder.StopAsync(TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(10));
        var error = await Record.ExceptionAsync(() => stop.WaitAsync(TimeSpan.FromSeconds(2))); // a guard against a hang

        Assert.Null(error);
    }

    [Fact]
    public async Task Record_AfterStop_DoesNotThrow()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        await recorder.StopAsync(TimeSpan.FromSeconds(1));

        recorder.Record(NewStat());

        Assert.Equal(0, _repository.Saved);
        await recorder.FlushAsync(CancellationToken.None);
    }

    [Fact]
    public async Task DisposeAsync_StatsQueued_WritesThem()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        for (var i = 0; i < 7; i++)
        {
            recorder.Record(NewStat());
        }

        await recorder.DisposeAsync();

        Assert.Equal(7, _repository.Saved);
    }

    [Fact]
    public async Task Record_SynchronousRepository_WritesOutsideTheThreadPool()
    {
        // A repository that writes synchronously (SQLite) must not hold a pool thread: with one core the pool has one.
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.Zero });
        for (var i = 0; i < 5; i++)
        {
            recorder.Record(NewStat());
            await recorder.FlushAsync(CancellationToken.None);
        }

        Assert.Equal(5, _repository.Saved);
        Assert.False(_repository.SavedOnThreadPool);
        await recorder.DisposeAsync();
    }

    // ---- Batch delay: small batches wait a little for more, unless someone wants them now ----

    [Fact]
    public async Task Record_BelowBatchSize_WaitsForBatchDelayThenWritesOneBatch()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.FromMilliseconds(100) });
        recorder.Record(NewStat());
        recorder.Record(NewStat());
        await _time.WaitForTimersAsync(1).WaitAsync(Wait); // the writer is waiting for more
        recorder.Record(NewStat());

        // The clock runs due timers inside the advance: no timer fired means the writer is still waiting, so nothing is written.
        _time.Advance(TimeSpan.FromMilliseconds(99));
        Assert.Equal(0, _time.TimersFired);
        Assert.Equal(0, _repository.Calls);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilAsync(() => _repository.Calls == 1);
        Assert.Equal([3], _repository.Batches.Select(b => b.Length));
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Flush_WhileWaitingForBatch_WritesAtOnce()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.FromMinutes(1) });
        recorder.Record(NewStat());
        await _time.WaitForTimersAsync(1).WaitAsync(Wait);

        await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, _repository.Saved);
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Record_FullBatch_WrittenWithoutWaiting()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchSize = 2, BatchDelay = TimeSpan.FromMinutes(1) });
        _repository.BlockFirstSave = true;
        recorder.Record(NewStat());
        await _time.WaitForTimersAsync(1).WaitAsync(Wait);
        _time.Advance(TimeSpan.FromMinutes(1));
        await WaitUntilAsync(() => _repository.Calls == 1); // the writer is stuck on the first batch
        recorder.Record(NewStat());
        recorder.Record(NewStat());

        _repository.Gate.SetResult();

        // No time passes: the two queued stats fill a batch, so the writer does not wait.
        await WaitUntilAsync(() => _repository.Calls == 2);
        Assert.Equal([1, 2], _repository.Batches.Select(b => b.Length));
        await recorder.DisposeAsync();
    }

    [Fact]
    public async Task Stop_WhileWaitingForBatch_WritesAtOnce()
    {
        var recorder = CreateRecorder(new StatsOptions { BatchDelay = TimeSpan.FromMinutes(1) });
        recorder.Record(NewStat());
        await _time.WaitForTimersAsync(1).WaitAsync(Wait);

        await recorder.StopAsync(TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, _repository.Saved);
        await recorder.DisposeAsync();
    }

    private StatsRecorder CreateRecorder(StatsOptions options) => new(_repository, options, _time, _metrics, _logger);

    private RequestStat NewStat(string model = "gpt") => new()
    {
        Id = "stat-" + Interlocked.Increment(ref _nextId),
        ModelName = model,
        Timestamp = _time.GetUtcNow(),
        Success = true,
    };

    /// <summary>Waits for the retry delay to start, checks it has not ended just before its time, then lets it end.</summary>
    /// <remarks>The clock runs due timers inside the advance: the delay's timer not fired means the writer is still waiting.</remarks>
    private async Task AdvanceThroughRetryAsync(int retry, TimeSpan delay)
    {
        await _time.WaitForTimersAsync(retry).WaitAsync(Wait);
        Assert.Equal(retry, _repository.Calls);
        _time.Advance(delay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(retry - 1, _time.TimersFired);
        Assert.Equal(retry, _repository.Calls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await WaitUntilAsync(() => _repository.Calls == retry + 1);
    }

    /// <summary>A repository that captures stats batches and can fail or block.</summary>
    private sealed class FakeRepository : IPortalRepository
    {
        private readonly ConcurrentQueue<RequestStat[]> _batches = new();
        private int _calls;
        private int _failingSaves;

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Whether the first save waits for <see cref="Gate"/>.</summary>
        public bool BlockFirstSave { get; set; }

        /// <summary>Whether a blocked save ignores its cancellation token.</summary>
        public bool GateIgnoresCancellation { get; set; }

        /// <summary>How many of the next saves throw.</summary>
        public int FailingSaves
        {
            get => Volatile.Read(ref _failingSaves);
            set => Volatile.Write(ref _failingSaves, value);
        }

        public int Calls => Volatile.Read(ref _calls);

        public IReadOnlyList<RequestStat[]> Batches => [.. _batches];

        public int Saved => _batches.Sum(b => b.Length);

        /// <summary>Whether a save started on a thread-pool thread.</summary>
        public bool SavedOnThreadPool { get; private set; }

        /// <summary>The cancellation token of the latest save.</summary>
        public CancellationToken Token { get; private set; }

        public async Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
        {
            var copy = stats.ToArray();
            Token = cancellationToken;
            SavedOnThreadPool |= Thread.CurrentThread.IsThreadPoolThread;
            var call = Interlocked.Increment(ref _calls);
            if (call == 1 && BlockFirstSave)
            {
                await (GateIgnoresCancellation ? Gate.Task : Gate.Task.WaitAsync(cancellationToken));
            }

            if (Interlocked.Decrement(ref _failingSaves) >= 0)
            {
                throw new InvalidOperationException("database down");
            }

            _batches.Enqueue(copy);
        }

        public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
