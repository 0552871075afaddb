namespace Portal.Storage.Tests.Infrastructure;

/// <summary>A test class whose every test gets a repository on a fresh SQLite file, closed and deleted after it.</summary>
public abstract class SqliteRepositoryTest : IAsyncLifetime
{
    private readonly TempSqlite _database = new();

    /// <summary>The open repository.</summary>
    protected EfPortalRepository Repository { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var options = _database.CreateOptions();
        Configure(options);
        Repository = await EfPortalRepository.OpenAsync(options);
    }

    public async Task DisposeAsync()
    {
        await Repository.DisposeAsync();
        _database.Dispose();
    }

    /// <summary>Changes the settings before the repository opens.</summary>
    protected virtual void Configure(StorageOptions options)
    {
    }
}
