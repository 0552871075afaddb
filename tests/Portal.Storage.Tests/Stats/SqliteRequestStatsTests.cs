using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Stats;

/// <summary><see cref="RequestStatsTests"/> on a SQLite file of its own per test.</summary>
public sealed class SqliteRequestStatsTests : RequestStatsTests
{
    private readonly TempSqlite _database = new();

    protected override Task<StorageOptions> CreateStoreAsync() => Task.FromResult(_database.CreateOptions());

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}
