using Microsoft.EntityFrameworkCore;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests;

/// <summary><see cref="EfPortalRepositoryTests"/> on a real PostgreSQL, one fresh database per test.</summary>
/// <remarks>Skipped with a reason when <c>PORTAL_TEST_POSTGRES</c> is unset.</remarks>
public sealed class PostgresEfPortalRepositoryTests : EfPortalRepositoryTests
{
    private PostgresDatabase? _database;

    protected override async Task<StorageOptions> CreateOptionsAsync()
    {
        _database ??= await PostgresDatabase.CreateAsync();
        return _database.CreateOptions();
    }

    private protected override async Task<PortalDbContext> CreateBareContextAsync()
    {
        var options = await CreateOptionsAsync();
        return new PostgresPortalDbContext(new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql(options.ConnectionString).Options);
    }

    protected override async ValueTask DisposeStoreAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
