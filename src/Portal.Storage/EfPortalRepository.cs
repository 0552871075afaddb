using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Storage.Internal;

namespace Portal.Storage;

/// <summary>
/// <see cref="IPortalRepository"/> on EF Core: embedded SQLite (the default) or PostgreSQL, migrated at open; the
/// configuration read on the request path is served from an in-memory cache.
/// </summary>
/// <remarks>
/// <para>Thread-safe. Each operation uses its own short-lived context.</para>
/// <para>
/// The request-path reads (<see cref="FindModelsByNameAsync"/>, <see cref="GetPlatformAsync"/>,
/// <see cref="GetApiKeysAsync"/>) never query the database and never throw because of it: they answer from a snapshot
/// of the platforms, models and keys that is reloaded every <see cref="StorageOptions.CacheTtl"/> (so replicas see each
/// other's changes) and at once after a change made through this instance. While the data is unchanged they return the
/// same list instances. When the database is unreachable the last snapshot keeps serving.
/// </para>
/// <para>The admin methods (<c>List…</c>, <c>Add…</c>, <c>Update…</c>, <c>Delete…</c>) read and write the database directly and see disabled rows too.</para>
/// </remarks>
public sealed partial class EfPortalRepository : IPortalRepository, IAsyncDisposable
{
    private const int MaxNameLength = 200;
    private const int MaxFormatLength = 50;
    private const int MaxUrlLength = 2000;
    private const int MaxKeyLength = 4000;

    // Rows per upsert statement: 12 parameters a row stays far below the parameter limits of both providers
    // (SQLite 32,766, PostgreSQL 65,535); larger batches use several statements in one transaction.
    private const int HealthRowsPerStatement = 500;

    private readonly StorageOptions _options;
    private readonly DbContextOptions _contextOptions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _sqliteConnectionString;
    private readonly ConfigCache _cache;
    private StatsRetention? _retention;
    private int _disposed;

    private EfPortalRepository(StorageOptions options, string provider, DbContextOptions contextOptions, NpgsqlDataSource? dataSource, string? sqliteConnectionString, TimeProvider timeProvider, ILoggerFactory loggerFactory)
    {
        _options = options;
        Provider = provider;
        _contextOptions = contextOptions;
        _dataSource = dataSource;
        _sqliteConnectionString = sqliteConnectionString;
        _time = timeProvider;
        _logger = loggerFactory.CreateLogger("Portal.Storage");
        _cache = new ConfigCache(LoadConfigAsync, options.CacheTtl, timeProvider, _logger);
    }

    /// <summary>The provider in use: <see cref="StorageProviders.Sqlite"/> or <see cref="StorageProviders.Postgres"/>.</summary>
    public string Provider { get; }

    /// <summary>The settings the repository was opened with.</summary>
    internal StorageOptions Options => _options;

    /// <summary>The clock.</summary>
    internal TimeProvider Time => _time;

    /// <summary>The storage logger (category <c>Portal.Storage</c>).</summary>
    internal ILogger Logger => _logger;

    /// <summary>Whether the provider is PostgreSQL (otherwise SQLite).</summary>
    internal bool IsPostgres => _dataSource is not null;

    /// <summary>The configuration snapshot being served (for tests and the other parts of the repository).</summary>
    internal ConfigSnapshot CachedConfig => _cache.Current;

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
        var provider = Validate(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        timeProvider ??= TimeProvider.System;

        EfPortalRepository repository;
        string database;
        if (provider == StorageProviders.Sqlite)
        {
            var builder = ParseSqlite(options.ConnectionString);
            database = CreateSqliteDirectory(builder);
            var contextOptions = Configure(new DbContextOptionsBuilder<SqlitePortalDbContext>(), loggerFactory)
                .UseSqlite(builder.ConnectionString)
                .AddInterceptors(SqliteConnectionSetup.Instance)
                .Options;
            repository = new EfPortalRepository(options, provider, contextOptions, null, builder.ConnectionString, timeProvider, loggerFactory);
        }
        else
        {
            var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
            builder.UseLoggerFactory(loggerFactory);
            database = $"{builder.ConnectionStringBuilder.Host}:{builder.ConnectionStringBuilder.Port}/{builder.ConnectionStringBuilder.Database}";
            var dataSource = builder.Build();
            var contextOptions = Configure(new DbContextOptionsBuilder<PostgresPortalDbContext>(), loggerFactory)
                .UseNpgsql(dataSource)
                .Options;
            repository = new EfPortalRepository(options, provider, contextOptions, dataSource, null, timeProvider, loggerFactory);
        }

        StorageLog.Opening(repository._logger, provider, database);
        try
        {
            await repository.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return repository;
    }

    /// <summary>A new short-lived context of the configured provider.</summary>
    /// <summary>Opens the context's connection in a read transaction, so every read through it sees one committed state.</summary>
    /// <remarks>SQLite's default BEGIN IMMEDIATE would take the write lock, so it gets a deferred (read) transaction instead.</remarks>
    internal async Task<DbTransaction> BeginReadTransactionAsync(PortalDbContext context, CancellationToken cancellationToken)
    {
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var transaction = IsPostgres
            ? await context.Database.GetDbConnection().BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false)
            : ((SqliteConnection)context.Database.GetDbConnection()).BeginTransaction(deferred: true);
        try
        {
            await context.Database.UseTransactionAsync(transaction, cancellationToken).ConfigureAwait(false);
            return transaction;
        }
        catch
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    internal PortalDbContext CreateContext() => IsPostgres
        ? new PostgresPortalDbContext((DbContextOptions<PostgresPortalDbContext>)_contextOptions)
        : new SqlitePortalDbContext((DbContextOptions<SqlitePortalDbContext>)_contextOptions);

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        var snapshot = _cache.GetAsync(cancellationToken);
        return snapshot.IsCompletedSuccessfully
            ? new(snapshot.Result.FindModels(name))
            : Await(snapshot, name);

        static async ValueTask<IReadOnlyList<Model>> Await(ValueTask<ConfigSnapshot> snapshot, string name) =>
            (await snapshot.ConfigureAwait(false)).FindModels(name);
    }

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken)
    {
        var snapshot = _cache.GetAsync(cancellationToken);
        return snapshot.IsCompletedSuccessfully
            ? new(snapshot.Result.GetPlatform(platformId))
            : Await(snapshot, platformId);

        static async ValueTask<Platform?> Await(ValueTask<ConfigSnapshot> snapshot, long platformId) =>
            (await snapshot.ConfigureAwait(false)).GetPlatform(platformId);
    }

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken)
    {
        var snapshot = _cache.GetAsync(cancellationToken);
        return snapshot.IsCompletedSuccessfully
            ? new(snapshot.Result.GetKeys(platformId))
            : Await(snapshot, platformId);

        static async ValueTask<IReadOnlyList<ApiKey>> Await(ValueTask<ConfigSnapshot> snapshot, long platformId) =>
            (await snapshot.ConfigureAwait(false)).GetKeys(platformId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var rows = await context.Health.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => r.ToDomain())];
        }
    }

    /// <inheritdoc />
    /// <remarks>One upsert statement per 500 states, all in one transaction: the batch is saved entirely or not at all.</remarks>
    public async Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0)
        {
            return;
        }

        // The last state of a resource wins, as with one row per resource; one statement may not touch a row twice.
        var rows = new Dictionary<(ResourceKind, long), HealthState>();
        foreach (var state in states)
        {
            rows[(state.ResourceKind, state.ResourceId)] = state;
        }

        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var connection = context.Database.GetDbConnection();
            var chunks = rows.Values.Chunk(HealthRowsPerStatement).ToList();
            if (chunks.Count == 1)
            {
                await HealthUpsert.ExecuteAsync(connection, null, chunks[0], cancellationToken).ConfigureAwait(false);
                return;
            }

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                foreach (var chunk in chunks)
                {
                    await HealthUpsert.ExecuteAsync(connection, transaction, chunk, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Marks the configuration cache stale and reloads it in the background; the next request-path read waits briefly for that reload.</summary>
    /// <remarks>
    /// Changes made through this instance's admin methods and config import already do this. Call it after changing
    /// the configuration tables another way. Never throws: if the database cannot be read, the cached configuration
    /// keeps serving and the periodic reload tries again.
    /// </remarks>
    public void InvalidateCache() => _cache.Invalidate();

    /// <summary>Reads the configuration from the database now and serves it to the request path.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A task that completes when the new configuration is being served.</returns>
    /// <exception cref="DbException">The database could not be read; the cached configuration keeps serving.</exception>
    public Task RefreshCacheAsync(CancellationToken cancellationToken = default) => _cache.LoadAsync(cancellationToken);

    /// <summary>Stops the background loops (cache reload, stats retention) and releases the connections.</summary>
    /// <returns>A task that completes when they have stopped.</returns>
    /// <remarks>Idempotent. After disposal the request-path reads keep answering from the last snapshot.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_retention is not null)
        {
            await _retention.DisposeAsync().ConfigureAwait(false);
        }

        await _cache.DisposeAsync().ConfigureAwait(false);
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            // Pooled connections keep the file (and its WAL) open after the repository is gone.
            using var connection = new SqliteConnection(_sqliteConnectionString);
            SqliteConnection.ClearPool(connection);
        }
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            if (!IsPostgres)
            {
                // WAL is stored in the file: set once, it holds for every later connection (readers never block the writer).
                await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var command = context.Database.GetDbConnection().CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = "PRAGMA journal_mode=WAL";
                    var mode = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        StorageLog.NotWal(_logger, mode ?? "unknown");
                    }
                }
            }

            // With nothing pending, Migrate would still build the model snapshot and diff it against the model (EF Core's
            // pending-model-changes check, which a storage test makes instead): work and JIT-compiled code that would
            // stay resident for the life of the process.
            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            if (pending.Count > 0)
            {
                StorageLog.ApplyingMigrations(_logger, pending.Count, string.Join(", ", pending));
                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await _cache.LoadAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = _cache.Current;
        StorageLog.Opened(_logger, snapshot.Platforms.Count, snapshot.Models.Count, snapshot.Keys.Count);
        _cache.Start();
        _retention = new StatsRetention(this);
        _retention.Start();
    }

    /// <summary>Reads the three configuration tables as one consistent view.</summary>
    private async Task<ConfigData> LoadConfigAsync(CancellationToken cancellationToken)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            // All three reads see the same committed state.
            var transaction = await BeginReadTransactionAsync(context, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var platforms = await context.Platforms.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
                var models = await context.Models.AsNoTracking().OrderBy(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
                var keys = await context.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new ConfigData(
                    [.. platforms.Select(p => p.ToDomain())],
                    [.. models.Select(m => m.ToDomain())],
                    [.. keys.Select(k => k.ToDomain())]);
            }
        }
    }

    /// <summary>
    /// After a change to the configuration tables (admin write, config import): reloads the cache and waits (briefly)
    /// for the reload, so requests see the change once this returns. Never throws; if the reload fails, the periodic
    /// one catches up.
    /// </summary>
    internal async Task ApplyConfigChangeAsync(CancellationToken cancellationToken)
    {
        _cache.Invalidate();
        await _cache.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string Validate(StorageOptions options)
    {
        var provider = options.Provider?.Trim().ToLowerInvariant() switch
        {
            StorageProviders.Sqlite => StorageProviders.Sqlite,
            StorageProviders.Postgres => StorageProviders.Postgres,
            _ => throw new ArgumentException(
                $"{StorageOptions.SectionName}:Provider is '{options.Provider}'; it must be '{StorageProviders.Sqlite}' or '{StorageProviders.Postgres}'.",
                nameof(options)),
        };
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:ConnectionString is empty.", nameof(options));
        }

        if (options.CacheTtl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:CacheTtl must be positive; it is {options.CacheTtl}.", nameof(options));
        }

        if (options.RetentionDays < 0)
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:RetentionDays must be 0 (keep for ever) or more; it is {options.RetentionDays}.", nameof(options));
        }

        if (options.RetentionInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:RetentionInterval must be positive; it is {options.RetentionInterval}.", nameof(options));
        }

        if (options.RetentionBatchSize <= 0)
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:RetentionBatchSize must be positive; it is {options.RetentionBatchSize}.", nameof(options));
        }

        if (provider == StorageProviders.Postgres)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"{StorageOptions.SectionName}:ConnectionString is not a valid PostgreSQL connection string: {ex.Message}", nameof(options), ex);
            }
        }

        return provider;
    }

    private static SqliteConnectionStringBuilder ParseSqlite(string connectionString)
    {
        try
        {
            return new SqliteConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{StorageOptions.SectionName}:ConnectionString is not a valid SQLite connection string: {ex.Message}", ex);
        }
    }

    /// <summary>Creates the folder of the database file when missing; returns the file's path (for the log).</summary>
    private static string CreateSqliteDirectory(SqliteConnectionStringBuilder builder)
    {
        var dataSource = builder.DataSource;
        if (string.IsNullOrEmpty(dataSource) || builder.Mode == SqliteOpenMode.Memory
            || dataSource.StartsWith(':') || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return dataSource;
        }

        var path = Path.GetFullPath(dataSource);
        if (Path.GetDirectoryName(path) is { Length: > 0 } directory)
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"{StorageOptions.SectionName}:ConnectionString: cannot create the folder '{directory}' of the database file: {ex.Message}", ex);
            }
        }

        return path;
    }

    /// <summary>Settings both providers share.</summary>
    private static DbContextOptionsBuilder<T> Configure<T>(DbContextOptionsBuilder<T> builder, ILoggerFactory loggerFactory)
        where T : DbContext
    {
        return builder
            .UseLoggerFactory(loggerFactory)
            .ConfigureWarnings(w => w
                // Every statement at Information would flood the log at thousands of stats rows a second.
                .Log((RelationalEventId.CommandExecuted, LogLevel.Debug))
                // Failures reach the caller as exceptions, and the background writers log them with context, once;
                // EF's own error events would log each one again, at Error, while the database is down.
                .Log((RelationalEventId.CommandError, LogLevel.Debug))
                .Log((RelationalEventId.ConnectionError, LogLevel.Debug))
                .Log((RelationalEventId.TransactionError, LogLevel.Debug))
                .Log((CoreEventId.SaveChangesFailed, LogLevel.Debug))
                .Log((CoreEventId.QueryIterationFailed, LogLevel.Debug))
                // Each repository has its own options (and a PostgreSQL data source), hence its own EF service
                // provider; a process that opens many (tests) is expected, not a leak to fail on.
                .Log((CoreEventId.ManyServiceProvidersCreatedWarning, LogLevel.Debug)));
    }
}
