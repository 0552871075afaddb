using BenchmarkDotNet.Attributes;
using Portal.Storage;

namespace Portal.Benchmarks.Storage;

/// <summary>
/// The dashboard queries over one day of 1M request stats (20 models, 5 platforms, about 5% failovers): per-model and per-platform
/// aggregates with p50/p95, and the requests/errors time series. The fixture is built once per store and kept in the
/// temp folder (<c>portal-bench</c>) for later runs. Target: under a second each on SQLite.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class StatsAggregateBenchmarks
{
    private static readonly StatsAggregateQuery ByModel = new() { StartTime = StatsBenchStores.Day, EndTime = StatsBenchStores.Day.AddDays(1) };
    private static readonly StatsAggregateQuery ByPlatform = ByModel with { GroupBy = StatsGroupBy.Platform };
    private static readonly StatsTimeSeriesQuery PerMinute = new() { StartTime = StatsBenchStores.Day, EndTime = StatsBenchStores.Day.AddDays(1) };
    private static readonly StatsTimeSeriesQuery PerHourOfOneModel = PerMinute with { BucketSize = StatsBucketSize.Hour, ModelName = "model-3" };

    private EfPortalRepository _repository = null!;

    /// <summary>The store: SQLite or PostgreSQL.</summary>
    [ParamsSource(nameof(Stores))]
    public string Store { get; set; } = StatsBenchStores.Sqlite;

    public static IEnumerable<string> Stores() => StatsBenchStores.All();

    [GlobalSetup]
    public void Setup() => _repository = StatsBenchStores.OpenDayAsync(Store).GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _repository.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Per-model aggregates of the day (20 groups of 50k rows).</summary>
    [Benchmark]
    public Task<IReadOnlyList<StatsAggregate>> AggregateByModel() => _repository.AggregateStatsAsync(ByModel);

    /// <summary>Per-platform aggregates of the day (5 groups of 200k rows).</summary>
    [Benchmark]
    public Task<IReadOnlyList<StatsAggregate>> AggregateByPlatform() => _repository.AggregateStatsAsync(ByPlatform);

    /// <summary>Requests and errors per minute over the day (1,440 buckets).</summary>
    [Benchmark]
    public Task<IReadOnlyList<StatsTimeBucket>> TimeSeriesPerMinute() => _repository.GetStatsTimeSeriesAsync(PerMinute);

    /// <summary>Requests and errors per hour of one model (24 buckets of 50k rows).</summary>
    [Benchmark]
    public Task<IReadOnlyList<StatsTimeBucket>> TimeSeriesPerHourOfOneModel() => _repository.GetStatsTimeSeriesAsync(PerHourOfOneModel);
}
