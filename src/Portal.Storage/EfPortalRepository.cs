using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Storage.Configuration;
using Portal.Storage.Configuration.Internal;
using Portal.Storage.Health;
using Portal.Storage.Internal;

namespace Portal.Storage;

/// <summary>
/// <see cref="IPortalRepository"/> on EF Core, embedded SQLite (the default) or PostgreSQL, migrated at open: three
/// stores over one database, <see cref="Config"/>, <see cref="Health"/> and <see cref="Stats"/>.
/// </summary>
/// <remarks>
/// <para>Thread-safe. Each operation uses its own short-lived context.</para>
/// <para>
/// The request-path reads (<see cref="FindModelsByNameAsync"/>, <see cref="GetPlatformAsync"/>,
/// <see cref="GetApiKeysAsync"/>) never query the database and never throw because of it: <see cref="Config"/> serves
/// them from a snapshot of the platforms, models and keys that is reloaded every <see cref="StorageOptions.CacheTtl"/>
/// (so replicas see each other's changes) and at once after a change made through this instance. While the data is
/// unchanged they return the same list instances. When the database is unreachable the last snapshot keeps serving.
/// </para>
/// <para>
/// The administration reads and writes are on <see cref="Config"/>, which reports a missing row or a conflict as a
/// result. The members from before the stores were split (<c>List…</c>, <c>Add…</c>, <c>Update…</c>, <c>Delete…</c>,
/// the stats aggregates) remain, forward to the stores and keep their exceptions.
/// </para>
/// </remarks>
public sealed partial class EfPortalRepository : IPortalRepository, IAsyncDisposable
{
    private readonly StorageDatabase _database;
    private readonly EfConfigStore _config;
    private readonly EfHealthStore _health;
    private readonly EfStatsStore _stats;
    private int _disposed;

    private EfPortalRepository(StorageDatabase database)
    {
        _database = database;
        _config = new EfConfigStore(database);
        _health = new EfHealthStore(database);
        _stats = new EfStatsStore(database);
    }

    /// <summary>The provider in use: <see cref="StorageProviders.Sqlite"/> or <see cref="StorageProviders.Postgres"/>.</summary>
    public string Provider => _database.Provider;

    /// <summary>The platforms, models and keys: the request path's cached reads, the administration and the configuration file import.</summary>
    public IConfigStore Config => _config;

    /// <summary>The health of platforms, models and keys.</summary>
    public IHealthStore Health => _health;

    /// <summary>The request stats, with aggregates and time series computed in the database.</summary>
    public IRequestStatsStore Stats => _stats;

    /// <summary>The settings the repository was opened with.</summary>
    internal StorageOptions Options => _database.Options;

    /// <summary>The configuration snapshot being served (for tests).</summary>
    internal ConfigSnapshot CachedConfig => _config.Current;

    /// <summary>The stats store, with its retention job.</summary>
    internal EfStatsStore StatsStore => _stats;

    /// <summary>Opens the database: creates the SQLite folder when missing, applies pending migrations, loads the configuration cache and starts the background loops.</summary>
    /// <param name="options">The storage settings.</param>
    /// <param name="loggerFactory">Where logs go.</param>
    /// <param name="timeProvider">The clock (cache TTL, retention).</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The open repository; dispose it to stop its background loops.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    /// <exception cref="DbException">The database could not be reached, created or migrated.</exception>
    public static async Task<EfPortalRepository> OpenAsync(StorageOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var database = StorageDatabase.Create(options, loggerFactory ?? NullLoggerFactory.Instance, timeProvider ?? TimeProvider.System);
        var repository = new EfPortalRepository(database);
        StorageLog.Opening(database.Logger, database.Provider, database.Location);
        try
        {
            await database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            await repository._config.RefreshCacheAsync(cancellationToken).ConfigureAwait(false);
            var snapshot = repository._config.Current;
            StorageLog.Opened(database.Logger, snapshot.Platforms.Count, snapshot.Models.Count, snapshot.Keys.Count);
            repository._config.StartRefreshing();
            repository._stats.StartRetention();
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return repository;
    }

    /// <summary>A new short-lived context of the configured provider (for tests).</summary>
    internal PortalDbContext CreateContext() => _database.CreateContext();

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken) =>
        _config.FindModelsByNameAsync(name, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) =>
        _config.GetPlatformAsync(platformId, cancellationToken);

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) =>
        _config.GetApiKeysAsync(platformId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken) =>
        _health.GetAllHealthAsync(cancellationToken);

    /// <inheritdoc />
    /// <remarks>One upsert statement per 500 states, all in one transaction: the batch is saved entirely or not at all.</remarks>
    public Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken) =>
        _health.SaveHealthAsync(states, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Idempotent: rows whose id is already stored are skipped, so a batch retried after a timeout neither fails nor
    /// duplicates.
    /// </remarks>
    public Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken) =>
        _stats.SaveRequestStatsAsync(stats, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) =>
        _stats.QueryRequestStatsAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) =>
        _stats.CountRequestStatsAsync(query, cancellationToken);

    /// <summary>Runs the cheapest possible query (<c>SELECT 1</c>) to check that the database answers.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the database answered.</returns>
    /// <exception cref="DbException">The database could not be reached.</exception>
    public Task PingAsync(CancellationToken cancellationToken = default) => _database.PingAsync(cancellationToken);

    /// <summary>Stops the background loops (cache reload, stats retention) and releases the connections.</summary>
    /// <returns>A task that completes when they have stopped.</returns>
    /// <remarks>Idempotent. After disposal the request-path reads keep answering from the last snapshot.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stats.DisposeAsync().ConfigureAwait(false);
        await _config.DisposeAsync().ConfigureAwait(false);
        await _database.DisposeAsync().ConfigureAwait(false);
    }
}
