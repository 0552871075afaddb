using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Contract;

/// <summary>The repository contract on EF Core over a real PostgreSQL, one fresh database per test.</summary>
/// <remarks>Skipped with a reason when <c>PORTAL_TEST_POSTGRES</c> is unset; <c>.ci/run</c> always sets it.</remarks>
public sealed class PostgresRepositoryContractTests : EfRepositoryContractTests
{
    private PostgresDatabase? _database;

    protected override async Task<StorageOptions> CreateStoreAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        return _database.CreateOptions();
    }

    protected override async ValueTask DisposeBackendAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
