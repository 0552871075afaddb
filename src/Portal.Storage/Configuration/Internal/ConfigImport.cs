using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Portal.Storage.Entities;

namespace Portal.Storage.Configuration.Internal;

/// <summary>
/// Applies a configuration file to the database in one transaction; the rules are documented on
/// <see cref="IConfigStore.ImportConfigAsync"/>.
/// </summary>
/// <remarks>
/// Loads every platform, model and key row (configuration tables are small), matches the file against them in memory
/// and saves only what differs, so an import of an unchanged file issues no write.
/// </remarks>
internal sealed class ConfigImport
{
    // Serializes the imports of PostgreSQL replicas starting together (the second one then sees the first one's rows
    // instead of failing on the unique names). The number is arbitrary: "portal" in ASCII. SQLite needs no lock:
    // Microsoft.Data.Sqlite begins transactions IMMEDIATE, which takes the database's single write lock up front.
    private const string PostgresLockSql = "SELECT pg_advisory_xact_lock(123623963910508)";

    private readonly PortalDbContext _db;
    private readonly PortalConfigFile _file;
    private readonly long _now;
    private readonly ILogger _logger;
    private readonly List<Action> _logs = [];
    private int _added;
    private int _updated;
    private int _disabled;
    private int _unchanged;

    private ConfigImport(PortalDbContext db, PortalConfigFile file, long now, ILogger logger)
    {
        _db = db;
        _file = file;
        _now = now;
        _logger = logger;
    }

    public static async Task<ConfigImportResult> RunAsync(PortalDbContext db, PortalConfigFile file, long now, ILogger logger, CancellationToken cancellationToken)
    {
        var import = new ConfigImport(db, file, now, logger);

        // A user transaction must run inside the execution strategy (which may retry the whole of it).
        var result = await db.Database.CreateExecutionStrategy()
            .ExecuteAsync(import.ApplyAsync, cancellationToken)
            .ConfigureAwait(false);
        foreach (var log in import._logs)
        {
            log();
        }

        ConfigLog.Imported(logger, file.FilePath, result.Added, result.Updated, result.Disabled, result.Unchanged);
        return result;
    }

    private async Task<ConfigImportResult> ApplyAsync(CancellationToken cancellationToken)
    {
        // Start clean: a retried attempt must not see the tracked rows or the counts of a failed one.
        _db.ChangeTracker.Clear();
        (_added, _updated, _disabled, _unchanged) = (0, 0, 0, 0);
        _logs.Clear();

        var transaction = await _db.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            if (_db is PostgresPortalDbContext)
            {
                await _db.Database.ExecuteSqlRawAsync(PostgresLockSql, cancellationToken).ConfigureAwait(false);
            }

            var platforms = await _db.Platforms.OrderBy(p => p.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            var models = await _db.Models.OrderBy(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            var keys = await _db.ApiKeys.OrderBy(k => k.Id).ToListAsync(cancellationToken).ConfigureAwait(false);

            var imported = ImportPlatforms(platforms);
            if (_db.ChangeTracker.HasChanges())
            {
                // Inserted platforms get their ids here; their models and keys need them.
                await _db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }

            ImportModels(imported, models);
            ImportKeys(imported, keys);
            if (_db.ChangeTracker.HasChanges())
            {
                await _db.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        return new ConfigImportResult { Added = _added, Updated = _updated, Disabled = _disabled, Unchanged = _unchanged };
    }

    private List<(PlatformConfig Config, PlatformEntity Row)> ImportPlatforms(List<PlatformEntity> rows)
    {
        var byName = rows.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var imported = new List<(PlatformConfig, PlatformEntity)>(_file.Platforms.Count);
        var claimed = new HashSet<PlatformEntity>(ReferenceEqualityComparer.Instance);
        foreach (var config in _file.Platforms)
        {
            if (byName.TryGetValue(config.Name, out var row))
            {
                var changed = row.Format != config.Format || row.BaseUrl != config.BaseUrl
                    || row.ApiVersion != config.ApiVersion || row.DefaultMaxTokens != config.DefaultMaxTokens
                    || row.Rpm != config.RateLimit.Rpm || row.Tpm != config.RateLimit.Tpm
                    || row.Enabled != config.Enabled || row.Source != RowSource.Config;
                if (changed)
                {
                    TakeOver(row.Source, "platform", row.Id, row.Name);
                    row.Format = config.Format;
                    row.BaseUrl = config.BaseUrl;
                    row.ApiVersion = config.ApiVersion;
                    row.DefaultMaxTokens = config.DefaultMaxTokens;
                    row.Rpm = config.RateLimit.Rpm;
                    row.Tpm = config.RateLimit.Tpm;
                    row.Enabled = config.Enabled;
                    row.Source = RowSource.Config;
                    row.UpdatedAt = _now;
                }

                Count(changed);
            }
            else
            {
                row = new PlatformEntity
                {
                    Name = config.Name,
                    Format = config.Format,
                    BaseUrl = config.BaseUrl,
                    ApiVersion = config.ApiVersion,
                    DefaultMaxTokens = config.DefaultMaxTokens,
                    Rpm = config.RateLimit.Rpm,
                    Tpm = config.RateLimit.Tpm,
                    Enabled = config.Enabled,
                    Source = RowSource.Config,
                    CreatedAt = _now,
                    UpdatedAt = _now,
                };
                _db.Platforms.Add(row);
                _added++;
            }

            claimed.Add(row);
            imported.Add((config, row));
        }

        DisableUnclaimed(rows, claimed, "platform");

        return imported;
    }

    private void ImportModels(List<(PlatformConfig Config, PlatformEntity Row)> platforms, List<ModelEntity> rows)
    {
        // (platform, name) is unique in the database.
        var byName = rows.ToDictionary(m => (m.PlatformId, m.Name));
        var claimed = new HashSet<ModelEntity>(ReferenceEqualityComparer.Instance);
        foreach (var (platformConfig, platform) in platforms)
        {
            foreach (var config in platformConfig.Models)
            {
                if (byName.TryGetValue((platform.Id, config.Name), out var row))
                {
                    var changed = row.Alias != config.Alias || row.Enabled != config.Enabled || row.Source != RowSource.Config;
                    if (changed)
                    {
                        TakeOver(row.Source, "model", row.Id, row.Name);
                        row.Alias = config.Alias;
                        row.Enabled = config.Enabled;
                        row.Source = RowSource.Config;
                        row.UpdatedAt = _now;
                    }

                    Count(changed);
                }
                else
                {
                    row = new ModelEntity
                    {
                        PlatformId = platform.Id,
                        Name = config.Name,
                        Alias = config.Alias,
                        Enabled = config.Enabled,
                        Source = RowSource.Config,
                        CreatedAt = _now,
                        UpdatedAt = _now,
                    };
                    _db.Models.Add(row);
                    _added++;
                }

                claimed.Add(row);
            }
        }

        DisableUnclaimed(rows, claimed, "model");
    }

    private void ImportKeys(List<(PlatformConfig Config, PlatformEntity Row)> platforms, List<ApiKeyEntity> rows)
    {
        var byPlatform = rows.ToLookup(k => k.PlatformId);
        var claimed = new HashSet<ApiKeyEntity>(ReferenceEqualityComparer.Instance);
        foreach (var (platformConfig, platform) in platforms)
        {
            var existing = byPlatform[platform.Id];
            foreach (var config in platformConfig.Keys)
            {
                // Identity: the name when the key has one (unique per platform), else the value. Should the admin
                // have stored one unnamed value twice, the oldest row is the one matched.
                var row = config.Name is { } name
                    ? existing.FirstOrDefault(k => k.Name == name)
                    : existing.FirstOrDefault(k => k.Name is null && k.Value == config.Value && !claimed.Contains(k));
                if (row is not null)
                {
                    var changed = row.Value != config.Value || row.Enabled != config.Enabled || row.Source != RowSource.Config;
                    if (changed)
                    {
                        TakeOver(row.Source, "key", row.Id, row.Name);
                        row.Value = config.Value;
                        row.Enabled = config.Enabled;
                        row.Source = RowSource.Config;
                        row.UpdatedAt = _now;
                    }

                    Count(changed);
                }
                else
                {
                    row = new ApiKeyEntity
                    {
                        PlatformId = platform.Id,
                        Name = config.Name,
                        Value = config.Value,
                        Enabled = config.Enabled,
                        Source = RowSource.Config,
                        CreatedAt = _now,
                        UpdatedAt = _now,
                    };
                    _db.ApiKeys.Add(row);
                    _added++;
                }

                claimed.Add(row);
            }
        }

        DisableUnclaimed(rows, claimed, "key");
    }

    // Logged only once the transaction has committed: a rolled-back attempt changed nothing.
    private void TakeOver(string source, string kind, long id, string? name)
    {
        if (source != RowSource.Config)
        {
            _logs.Add(() => ConfigLog.TakenOver(_logger, _file.FilePath, kind, id, name));
        }
    }

    /// <summary>Disables the rows the file managed but no longer lists (never deletes them: their stats keep meaning).</summary>
    private void DisableUnclaimed<T>(List<T> rows, HashSet<T> claimed, string kind)
        where T : IConfigRow
    {
        foreach (var row in rows)
        {
            if (row.Source == RowSource.Config && row.Enabled && !claimed.Contains(row))
            {
                row.Enabled = false;
                row.UpdatedAt = _now;
                _disabled++;
                var (id, name) = (row.Id, row.Name);
                _logs.Add(() => ConfigLog.Disabled(_logger, _file.FilePath, kind, id, name));
            }
        }
    }

    private void Count(bool changed)
    {
        if (changed)
        {
            _updated++;
        }
        else
        {
            _unchanged++;
        }
    }
}
