using Microsoft.EntityFrameworkCore;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests;

/// <summary><see cref="EfPortalRepositoryTests"/> on a SQLite file, plus what only SQLite has: the folder, WAL and the pragmas.</summary>
public sealed class SqliteEfPortalRepositoryTests : EfPortalRepositoryTests
{
    private readonly TempSqlite _database = new();

    protected override Task<StorageOptions> CreateOptionsAsync() => Task.FromResult(_database.CreateOptions());

    private protected override Task<PortalDbContext> CreateBareContextAsync() => Task.FromResult<PortalDbContext>(
        new SqlitePortalDbContext(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite(_database.ConnectionString).Options));

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Open_MissingFolder_CreatesItAndTheDatabaseInWalModeWithThePragmas()
    {
        var file = Path.Combine(_database.DirectoryPath, "nested", "deeper", "portal.db");
        var repository = await OpenAsync(new StorageOptions { ConnectionString = $"Data Source={file}" });

        Assert.True(File.Exists(file));
        Assert.Equal(StorageProviders.Sqlite, repository.Provider);
        await using var context = repository.CreateContext();
        await context.Database.OpenConnectionAsync();
        var connection = context.Database.GetDbConnection();
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal(5000L, await ScalarAsync(connection, "PRAGMA busy_timeout"));
        Assert.Equal(1L, await ScalarAsync(connection, "PRAGMA synchronous")); // NORMAL
        Assert.Equal(1L, await ScalarAsync(connection, "PRAGMA foreign_keys"));
    }

    [Fact]
    public async Task Open_PooledConnectionReopened_StillHasThePragmas()
    {
        var repository = await OpenAsync();
        for (var i = 0; i < 3; i++)
        {
            await using var context = repository.CreateContext();
            await context.Database.OpenConnectionAsync();
            Assert.Equal(5000L, await ScalarAsync(context.Database.GetDbConnection(), "PRAGMA busy_timeout"));
        }
    }

    [Theory]
    [InlineData("mysql", "Data Source=x.db", "Portal:Storage:Provider")]
    [InlineData("sqlite", "", "Portal:Storage:ConnectionString")]
    [InlineData("postgres", " ", "Portal:Storage:ConnectionString")]
    [InlineData("sqlite", "Data Source=x.db;Bogus=1", "Portal:Storage:ConnectionString")]
    [InlineData("postgres", "Host=localhost;Bogus=1", "Portal:Storage:ConnectionString")]
    public async Task Open_InvalidSetting_ThrowsNamingIt(string provider, string connectionString, string setting)
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            EfPortalRepository.OpenAsync(new StorageOptions { Provider = provider, ConnectionString = connectionString }));
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_ProviderInOtherCase_IsAccepted()
    {
        var options = _database.CreateOptions();
        options.Provider = "SQLite";

        var repository = await OpenAsync(options);

        Assert.Equal(StorageProviders.Sqlite, repository.Provider);
    }
}
