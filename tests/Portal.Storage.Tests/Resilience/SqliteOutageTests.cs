using Microsoft.Data.Sqlite;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Resilience;

/// <summary>SQLite goes down: another connection holds <c>BEGIN EXCLUSIVE</c> on the file, so no one else can write.</summary>
public sealed class SqliteOutageTests : DatabaseOutageTests
{
    private readonly TempSqlite _database = new();
    private SqliteConnection? _lock;

    protected override Task<StorageOptions> CreateStoreAsync()
    {
        var options = _database.CreateOptions();

        // A write blocked by the lock fails after SQLite's busy wait instead of Microsoft.Data.Sqlite's 30 s command
        // timeout, so the outage shows failed writes within the test's time.
        options.ConnectionString += ";Default Timeout=1";
        return Task.FromResult(options);
    }

    protected override async Task TakeDownAsync()
    {
        _lock = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await _lock.OpenAsync();
        await using var command = _lock.CreateCommand();
        command.CommandText = "BEGIN EXCLUSIVE;";
        await command.ExecuteNonQueryAsync();
    }

    protected override async Task BringBackAsync()
    {
        if (_lock is null)
        {
            return;
        }

        await using (var command = _lock.CreateCommand())
        {
            command.CommandText = "ROLLBACK;";
            await command.ExecuteNonQueryAsync();
        }

        await _lock.DisposeAsync();
        _lock = null;
    }

    protected override async ValueTask DisposeBackendAsync()
    {
        if (_lock is not null)
        {
            await _lock.DisposeAsync();
        }

        _database.Dispose();
    }
}
