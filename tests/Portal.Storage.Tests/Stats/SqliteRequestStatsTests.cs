using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Stats;

/// <summary><see cref="RequestStatsTests"/> on a SQLite file of its own per test.</summary>
public sealed class SqliteRequestStatsTests : RequestStatsTests
{
    private readonly TempSqlite _database = new();

    protected override Task<StorageOptions> CreateStoreAsync() => Task.FromResult(_database.CreateOptions());

    // The insert steps SQLite's statement itself, so its errors must still come out as SqliteException (which the stats
    // writer logs and retries) and leave nothing of the batch behind.
    [Fact]
    public async Task Save_RowFailsMidBatch_ThrowsSqliteExceptionAndStoresNoneOfTheBatch()
    {
        var repository = await OpenAsync();
        await using (var context = repository.CreateContext())
        {
            await context.Database.ExecuteSqlRawAsync(
                "CREATE TRIGGER fail_stat BEFORE INSERT ON request_stats WHEN NEW.model_name = 'boom' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
        }

        var batch = new[] { Stat(1, T0), Stat(2, T0, model: "boom"), Stat(3, T0) };
        var error = await Assert.ThrowsAsync<SqliteException>(() => repository.SaveRequestStatsAsync(batch, default));

        Assert.Equal(19, error.SqliteErrorCode); // SQLITE_CONSTRAINT
        Assert.Contains("injected failure", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await repository.CountRequestStatsAsync(new StatsQuery(), default)).TotalRequests);

        // The pooled connection is left clean: the next batch goes in whole.
        await repository.SaveRequestStatsAsync([Stat(1, T0), Stat(3, T0)], default);
        Assert.Equal(2, (await repository.CountRequestStatsAsync(new StatsQuery(), default)).TotalRequests);
    }

    /// <summary>
    /// The aggregates' scan of a group reads its covering index alone. A column summed there but missing from the index
    /// (such as the cache tokens before AnthropicFields widened it) makes SQLite read a table row per attempt, several
    /// times slower over a day of rows.
    /// </summary>
    [Theory]
    [InlineData("model_name", "m", "IX_request_stats_model_name_timestamp")]
    [InlineData("platform_id", 1L, "IX_request_stats_platform_id_timestamp")]
    public async Task Aggregate_GroupScan_ReadsOnlyTheGroupsCoveringIndex(string group, object key, string index)
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync([Stat(1, T0, cached: 5, cacheWrite: 2)], default);
        var (where, range) = StatsSql.TimeRange(T0, T0.AddDays(1));
        await using var context = repository.CreateContext();
        await context.Database.OpenConnectionAsync();

        var plan = new List<string>();
        await using (var command = StatsSql.CreateCommand(context.Database.GetDbConnection(), "EXPLAIN QUERY PLAN " + StatsAggregator.SqliteTotalsSql(group, where), range))
        {
            StatsSql.AddParameter(command, "group", key);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var step = Assert.Single(plan);
        Assert.StartsWith($"SEARCH request_stats USING COVERING INDEX {index} ", step, StringComparison.Ordinal);
    }

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
