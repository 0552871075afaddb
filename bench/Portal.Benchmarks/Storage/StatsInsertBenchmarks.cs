using BenchmarkDotNet.Attributes;
using Portal.Storage;

namespace Portal.Benchmarks.Storage;

/// <summary>
/// Sustained request-stat inserts in batches of 1,000 (what the engine's stats writer sends) into a store that grows
/// through the run. Reported per row: rows per second = 1 / Mean. Each batch is generated in the timed call (about 1%
/// of it). PostgreSQL runs when <c>PORTAL_BENCH_POSTGRES</c> holds a server's connection string.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class StatsInsertBenchmarks
{
    private const int BatchSize = 1_000;

    private readonly Random _random = new(42);
    private EfPortalRepository _repository = null!;
    private string _location = "";
    private long _next;

    /// <summary>The store: SQLite or PostgreSQL.</summary>
    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = StatsBenchStores.Sqlite;

    public static IEnumerable<string> Stores() => StatsBenchStores.All();

    [GlobalSetup]
    public void Setup() => (_repository, _location) = StatsBenchStores.OpenEmptyAsync(Store).GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _repository.DisposeAsync().AsTask().GetAwaiter().GetResult();
        StatsBenchStores.DropAsync(Store, _location).GetAwaiter().GetResult();
    }

    /// <summary>One batch of 1,000 new rows.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public Task SaveBatch()
    {
        var batch = StatsBenchStores.DayBatch(_random, _next, BatchSize);
        _next += BatchSize;
        return _repository.SaveRequestStatsAsync(batch, default);
    }
}
