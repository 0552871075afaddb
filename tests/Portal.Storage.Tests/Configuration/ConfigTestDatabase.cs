using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Portal.Storage.Configuration;
using Portal.Storage.Configuration.Internal;
using Portal.Storage.Entities;

namespace Portal.Storage.Tests.Configuration;

/// <summary>A SQLite database in a temp file, created from the model, for import tests that need no repository.</summary>
internal sealed class ConfigTestDatabase : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"portal-config-{Guid.NewGuid():N}.db");
    private readonly DbContextOptions<SqlitePortalDbContext> _options;

    public ConfigTestDatabase()
    {
        _options = new DbContextOptionsBuilder<SqlitePortalDbContext>()
            .UseSqlite($"Data Source={_path}")
            .AddInterceptors(Commands)
            .Options;
        using var context = CreateContext();
        context.Database.EnsureCreated();
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Every command the database ran.</summary>
    public CommandRecorder Commands { get; } = new();

    public long Now => Time.GetUtcNow().ToUnixTimeMilliseconds();

    public SqlitePortalDbContext CreateContext() => new(_options);

    public async Task<ConfigImportResult> ImportAsync(string json, Func<string, string?>? environment = null)
    {
        var file = PortalConfigLoader.Parse(json, "portal.json", environment ?? (_ => null));
        using var context = CreateContext();
        return await ConfigImport.RunAsync(context, file, Now, NullLogger.Instance, CancellationToken.None);
    }

    public async Task<(List<PlatformEntity> Platforms, List<ModelEntity> Models, List<ApiKeyEntity> Keys)> ReadAllAsync()
    {
        using var context = CreateContext();
        return (
            await context.Platforms.AsNoTracking().OrderBy(p => p.Id).ToListAsync(),
            await context.Models.AsNoTracking().OrderBy(m => m.Id).ToListAsync(),
            await context.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync());
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    /// <summary>Records the text of every command, so a test can assert that nothing was written.</summary>
    internal sealed class CommandRecorder : DbCommandInterceptor
    {
        private readonly List<string> _commands = [];

        public IReadOnlyList<string> Writes
        {
            get
            {
                lock (_commands)
                {
                    return _commands.Where(c => c.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase)
                        || c.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
                        || c.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase)).ToList();
                }
            }
        }

        public void Clear()
        {
            lock (_commands)
            {
                _commands.Clear();
            }
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        private void Record(DbCommand command)
        {
            lock (_commands)
            {
                // EF batches statements into one command; record each.
                _commands.AddRange(command.CommandText.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }
    }
}
