using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Portal.Storage.Internal;

/// <summary>
/// The one database the configuration, health and stats stores share: its provider and settings, short-lived contexts
/// over it, consistent reads, and its opening (WAL, migrations) and closing.
/// </summary>
/// <remarks>Thread-safe. Each operation of a store creates its own context.</remarks>
internal sealed class StorageDatabase : IAsyncDisposable
{
    private readonly DbContextOptions _contextOptions;
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _sqliteConnectionString;

    private StorageDatabase(StorageOptions options, string provider, string location, DbContextOptions contextOptions, NpgsqlDataSource? dataSource, string? sqliteConnectionString, TimeProvider time, ILoggerFactory loggerFactory)
    {
        Options = options;
        Provider = provider;
        Location = location;
        _contextOptions = contextOptions;
        _dataSource = dataSource;
        _sqliteConnectionString = sqliteConnectionString;
        Time = time;
        Logger = loggerFactory.CreateLogger("Portal.Storage");
    }

    /// <summary>The settings the database was opened with.</summary>
    public StorageOptions Options { get; }

    /// <summary><see cref="StorageProviders.Sqlite"/> or <see cref="StorageProviders.Postgres"/>.</summary>
    public string Provider { get; }

    /// <summary>The SQLite file or the PostgreSQL host, port and database (for the log).</summary>
    public string Location { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The storage logger (category <c>Portal.Storage</c>).</summary>
    public ILogger Logger { get; }

    /// <summary>Whether the provider is PostgreSQL (otherwise SQLite).</summary>
    public bool IsPostgres => _dataSource is not null;

    /// <summary>Now, as stored: UTC Unix milliseconds.</summary>
    public long Now() => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Checks the settings and builds the provider's context options; touches no database yet (but creates the SQLite folder).</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static StorageDatabase Create(StorageOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        var provider = Validate(options);
        if (provider == StorageProviders.Sqlite)
        {
            var builder = ParseSqlite(options.ConnectionString);
            var file = CreateSqliteDirectory(builder);
            var contextOptions = Configure(new DbContextOptionsBuilder<SqlitePortalDbContext>(), loggerFactory)
                .UseSqlite(builder.ConnectionString)
                .AddInterceptors(SqliteConnectionSetup.Instance)
                .Options;
            return new StorageDatabase(options, provider, file, contextOptions, null, builder.ConnectionString, time, loggerFactory);
        }

        var sourceBuilder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        sourceBuilder.UseLoggerFactory(loggerFactory);
        var connection = sourceBuilder.ConnectionStringBuilder;
        var location = $"{connection.Host}:{connection.Port}/{connection.Database}";
        var dataSource = sourceBuilder.Build();
        var postgresOptions = Configure(new DbContextOptionsBuilder<PostgresPortalDbContext>(), loggerFactory)
            .UseNpgsql(dataSource)
            .Options;
        return new StorageDatabase(options, provider, location, postgresOptions, dataSource, null, time, loggerFactory);
    }

    /// <summary>A new short-lived context of the configured provider.</summary>
    public PortalDbContext CreateContext() => IsPostgres
        ? new PostgresPortalDbContext((DbContextOptions<PostgresPortalDbContext>)_contextOptions)
        : new SqlitePortalDbContext((DbContextOptions<SqlitePortalDbContext>)_contextOptions);

    /// <summary>Opens the context's connection in a read transaction, so every read through it sees one committed state.</summary>
    /// <remarks>SQLite's default BEGIN IMMEDIATE would take the write lock, so it gets a deferred (read) transaction instead.</remarks>
    public async Task<DbTransaction> BeginReadTransactionAsync(PortalDbContext context, CancellationToken cancellationToken)
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

    /// <summary>Turns on SQLite's WAL journal and applies pending migrations.</summary>
    /// <exception cref="DbException">The database could not be reached, created or migrated.</exception>
    public async Task MigrateAsync(CancellationToken cancellationToken)
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
                        StorageLog.NotWal(Logger, mode ?? "unknown");
                    }
                }
            }

            // With nothing pending, Migrate would still build the model snapshot and diff it against the model (EF Core's
            // pending-model-changes check, which a storage test makes instead): work and JIT-compiled code that would
            // stay resident for the life of the process.
            var pending = (await context.Database.GetPendingMigrationsAsync(cancellationToken).ConfigureAwait(false)).ToList();
            if (pending.Count > 0)
            {
                StorageLog.ApplyingMigrations(Logger, pending.Count, string.Join(", ", pending));
                await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs the cheapest possible query (<c>SELECT 1</c>).</summary>
    /// <exception cref="DbException">The database could not be reached.</exception>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            await context.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases the connections.</summary>
    public async ValueTask DisposeAsync()
    {
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
