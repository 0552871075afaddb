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

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
