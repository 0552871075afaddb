using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Contract;

/// <summary>The repository contract on EF Core over a SQLite file in a temp directory (not <c>:memory:</c>).</summary>
public sealed class SqliteRepositoryContractTests : EfRepositoryContractTests
{
    private readonly TempSqlite _database = new();

    protected override Task<StorageOptions> CreateStoreAsync() => Task.FromResult(_database.CreateOptions());

    protected override ValueTask DisposeBackendAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }

    [SkippableFact]
    public async Task OpenAsync_NewFile_CreatesTheDatabaseFile()
    {
        await OpenAsync();

        Assert.True(File.Exists(_database.FilePath));
    }
}
