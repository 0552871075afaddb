using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Stats;

/// <summary><see cref="RequestStatsTests"/> on PostgreSQL: one fresh database for the class, emptied before each test.</summary>
/// <remarks>Skipped with a reason when <c>PORTAL_TEST_POSTGRES</c> is unset; <c>.ci/run</c> always sets it.</remarks>
public sealed class PostgresRequestStatsTests(PostgresRequestStatsTests.Database database) : RequestStatsTests, IClassFixture<PostgresRequestStatsTests.Database>
{
    protected override Task<StorageOptions> CreateStoreAsync()
    {
        PostgresDatabase.SkipIfUnavailable();
        return Task.FromResult(database.Store!.CreateOptions());
    }

    /// <summary>The class's database: created before its first test when a server is configured, dropped after its last.</summary>
    public sealed class Database : IAsyncLifetime
    {
        public PostgresDatabase? Store { get; private set; }

        public async Task InitializeAsync()
        {
            if (PostgresDatabase.ServerConnectionString is not null)
            {
                Store = await PostgresDatabase.CreateAsync();
            }
        }

        public async Task DisposeAsync()
        {
            if (Store is not null)
            {
                await Store.DisposeAsync();
            }
        }
    }
}
