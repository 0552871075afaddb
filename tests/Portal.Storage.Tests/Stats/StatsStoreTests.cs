using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Stats;

/// <summary>The stats store through its own interface, <see cref="IRequestStatsStore"/> (SQLite; <see cref="RequestStatsTests"/> covers each operation on both providers).</summary>
public sealed class StatsStoreTests : SqliteRepositoryTest
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Stats_ThroughTheStore_SaveQueryCountAggregateSeriesAndDelete()
    {
        IRequestStatsStore store = Repository.Stats;
        await store.SaveRequestStatsAsync(
        [
            Stat("r1", 1, T0, success: false),
            Stat("r1", 2, T0.AddSeconds(1), success: true),
            Stat("r2", 1, T0.AddHours(1), success: true),
        ], default);

        var rows = await store.QueryRequestStatsAsync(new StatsQuery { RequestId = "r1" }, default);
        var count = await store.CountRequestStatsAsync(new StatsQuery(), default);
        var groups = await store.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddDays(1) });
        var series = await store.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddDays(1) });
        var deleted = await store.DeleteStatsBeforeAsync(T0.AddMinutes(30), batchSize: 10);

        Assert.Equal([1, 2], rows.Select(r => r.Attempt));
        Assert.Equal((2, 2, 3, 2), (count.TotalRequests, count.SuccessRequests, count.TotalAttempts, count.SuccessAttempts));
        var group = Assert.Single(groups);
        Assert.Equal(("m", 2, 2, 3, 1), (group.ModelName, group.Requests, group.Successes, group.Attempts, group.Failovers));
        Assert.Equal([(T0, 1L, 2L), (T0.AddHours(1), 1L, 1L)], series.Select(b => (b.Start, b.Requests, b.Attempts)));
        Assert.Equal(2, deleted);
        Assert.Equal(1, (await Repository.CountRequestStatsAsync(new StatsQuery(), default)).TotalAttempts);
    }

    /// <summary>No retention job: nothing deletes behind the test.</summary>
    protected override void Configure(StorageOptions options) => options.RetentionDays = 0;

    private static RequestStat Stat(string requestId, int attempt, DateTimeOffset timestamp, bool success) => new()
    {
        Id = $"{requestId}-{attempt}",
        RequestId = requestId,
        Attempt = attempt,
        Timestamp = timestamp,
        ModelName = "m",
        PlatformId = attempt,
        ApiKeyId = attempt,
        ModelId = attempt,
        Duration = TimeSpan.FromMilliseconds(10),
        Success = success,
    };
}
