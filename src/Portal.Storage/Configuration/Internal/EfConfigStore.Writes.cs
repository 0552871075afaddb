using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Portal.Storage.Entities;

namespace Portal.Storage.Configuration.Internal;

/// <content>
/// The admin writes: one add, update and delete for the three tables (<see cref="ConfigTables"/>). What only the
/// database knows is a <see cref="ConfigWriteError"/>; every change reaches the request path before the write returns.
/// </content>
internal sealed partial class EfConfigStore
{
    /// <inheritdoc />
    public Task<ConfigWriteResult<StoredRow<Platform>>> AddPlatformAsync(Platform platform, CancellationToken cancellationToken = default) =>
        WriteAsync(ConfigTables.Platforms, platform, adding: true, force: false, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<StoredRow<Platform>>> UpdatePlatformAsync(Platform platform, bool force = false, CancellationToken cancellationToken = default) =>
        WriteAsync(ConfigTables.Platforms, platform, adding: false, force, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<DeletedRow<Platform>>> DeletePlatformAsync(long platformId, bool cascade = false, bool force = false, CancellationToken cancellationToken = default) =>
        DeleteAsync(ConfigTables.Platforms, platformId, cascade, force, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<StoredRow<Model>>> AddModelAsync(Model model, CancellationToken cancellationToken = default) =>
        WriteAsync(ConfigTables.Models, model, adding: true, force: false, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<StoredRow<Model>>> UpdateModelAsync(Model model, bool force = false, CancellationToken cancellationToken = default) =>
        WriteAsync(ConfigTables.Models, model, adding: false, force, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<DeletedRow<Model>>> DeleteModelAsync(long modelId, bool force = false, CancellationToken cancellationToken = default) =>
        DeleteAsync(ConfigTables.Models, modelId, cascade: false, force, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<StoredRow<ApiKey>>> AddApiKeyAsync(ApiKey apiKey, CancellationToken cancellationToken = default) =>
        WriteAsync(ConfigTables.ApiKeys, apiKey, adding: true, force: false, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<StoredRow<ApiKey>>> UpdateApiKeyAsync(ApiKey apiKey, bool force = false, CancellationToken cancellationToken = default) =>
        WriteAsync(ConfigTables.ApiKeys, apiKey, adding: false, force, cancellationToken);

    /// <inheritdoc />
    public Task<ConfigWriteResult<DeletedRow<ApiKey>>> DeleteApiKeyAsync(long apiKeyId, bool force = false, CancellationToken cancellationToken = default) =>
        DeleteAsync(ConfigTables.ApiKeys, apiKeyId, cascade: false, force, cancellationToken);

    /// <summary>Adds a row (<paramref name="adding"/>) or replaces the row with the item's id.</summary>
    private async Task<ConfigWriteResult<StoredRow<T>>> WriteAsync<TEntity, T>(ConfigTable<TEntity, T> table, T item, bool adding, bool force, CancellationToken cancellationToken)
        where TEntity : class, IConfigRow, new()
        where T : class
    {
        ArgumentNullException.ThrowIfNull(item);
        if (table.Invalid(item) is { } invalid)
        {
            return new(new ConfigWriteError(ConfigWriteErrorKind.Invalid, invalid));
        }

        StoredRow<T> stored;
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var id = table.Id(item);
            var now = _database.Now();
            var row = adding
                ? new TEntity { Id = id, CreatedAt = now }
                : await table.Rows(context).FirstOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false);
            var refusal = adding
                ? await IdTakenAsync(table, context, id, cancellationToken).ConfigureAwait(false)
                : Refuse(table, row, id, force, delete: false);
            refusal ??= Conflict(await table.ConflictAsync(context, item, cancellationToken).ConfigureAwait(false));
            if (refusal is not null)
            {
                return new(refusal);
            }

            table.Apply(row!, item);
            row!.UpdatedAt = now;
            if (adding)
            {
                table.Rows(context).Add(row);
            }

            if (await SaveAsync(context, table.UniqueViolation(item, adding), cancellationToken).ConfigureAwait(false) is { } failed)
            {
                return new(failed);
            }

            if (adding)
            {
                await SyncIdentityAsync(context, table.TableName, id, cancellationToken).ConfigureAwait(false);
            }

            stored = table.ToStoredRow(row);
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return new(stored);
    }

    private async Task<ConfigWriteResult<DeletedRow<T>>> DeleteAsync<TEntity, T>(ConfigTable<TEntity, T> table, long id, bool cascade, bool force, CancellationToken cancellationToken)
        where TEntity : class, IConfigRow, new()
        where T : class
    {
        DeletedRow<T> deleted;
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var row = await table.Rows(context).AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false);
                if (Refuse(table, row, id, force, delete: true) is { } refusal)
                {
                    return new(refusal);
                }

                var (models, keys) = await table.CountOwnedAsync(context, id, cancellationToken).ConfigureAwait(false);
                if ((models > 0 || keys > 0) && !cascade)
                {
                    return new(new ConfigWriteError(
                        ConfigWriteErrorKind.PlatformInUse,
                        $"The {table.Resource} {id} still has {models} model(s) and {keys} key(s); delete them first, or delete with cascade to delete them with it.")
                    {
                        Models = models,
                        Keys = keys,
                    });
                }

                await table.DeleteOwnedAsync(context, id, cancellationToken).ConfigureAwait(false);
                if (await table.Rows(context).Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false) == 0)
                {
                    return new(NotFound(table, id)); // deleted meanwhile
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                deleted = new DeletedRow<T>(table.ToStoredRow(row!), models, keys);
            }
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return new(deleted);
    }

    /// <summary>Refuses a change to a row that does not exist, or that the configuration file manages unless forced.</summary>
    private static ConfigWriteError? Refuse<TEntity, T>(ConfigTable<TEntity, T> table, TEntity? row, long id, bool force, bool delete)
        where TEntity : class, IConfigRow, new()
        where T : class
    {
        if (row is null)
        {
            return NotFound(table, id);
        }

        return row.Source == RowSource.Config && !force
            ? new ConfigWriteError(
                ConfigWriteErrorKind.ConfigManaged,
                $"The {table.Resource} {id} is managed by the config file (setting {StorageServiceCollectionExtensions.ConfigFileSetting}) and its next import would undo this {(delete ? "deletion" : "change")}: "
                + $"{(delete ? "remove it from" : "change it in")} that file, or write with force to {(delete ? "delete" : "change")} it here until then.")
            : null;
    }

    private static ConfigWriteError NotFound<TEntity, T>(ConfigTable<TEntity, T> table, long id)
        where TEntity : class, IConfigRow, new()
        where T : class =>
        new(ConfigWriteErrorKind.NotFound, $"No {table.Resource} with id {id}.");

    /// <summary>A new row's explicit id that another row has.</summary>
    private static async Task<ConfigWriteError?> IdTakenAsync<TEntity, T>(ConfigTable<TEntity, T> table, PortalDbContext context, long id, CancellationToken cancellationToken)
        where TEntity : class, IConfigRow, new()
        where T : class =>
        id != 0 && await table.Rows(context).AnyAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false)
            ? Conflict($"A {table.Resource} with id {id} already exists.")
            : null;

    [return: NotNullIfNotNull(nameof(message))]
    private static ConfigWriteError? Conflict(string? message) => message is null ? null : new(ConfigWriteErrorKind.Conflict, message);

    /// <summary>Saves; a constraint violation that raced past the checks is the conflict the checks would have reported.</summary>
    private static async Task<ConfigWriteError?> SaveAsync(PortalDbContext context, string uniqueMessage, CancellationToken cancellationToken)
    {
        try
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            return Conflict(uniqueMessage);
        }
        catch (DbUpdateException ex) when (IsForeignKeyViolation(ex))
        {
            return Conflict("The platform does not exist.");
        }
    }

    /// <summary>
    /// PostgreSQL identity sequences do not move when a row is inserted with an explicit id; move it past the largest id
    /// so the next generated one does not collide. SQLite's AUTOINCREMENT does this by itself.
    /// </summary>
    private async Task SyncIdentityAsync(PortalDbContext context, string table, long explicitId, CancellationToken cancellationToken)
    {
        if (!_database.IsPostgres || explicitId == 0)
        {
            return;
        }

        // The table name is one of three constants, never user input.
#pragma warning disable EF1002 // Risk of SQL injection: see above.
        await context.Database.ExecuteSqlRawAsync(
            $"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))",
            cancellationToken).ConfigureAwait(false);
#pragma warning restore EF1002
    }

    private static bool IsUniqueViolation(DbUpdateException ex) => ex.InnerException switch
    {
        SqliteException e => e.SqliteExtendedErrorCode is 2067 or 1555, // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
        PostgresException e => e.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    private static bool IsForeignKeyViolation(DbUpdateException ex) => ex.InnerException switch
    {
        SqliteException e => e.SqliteExtendedErrorCode == 787, // SQLITE_CONSTRAINT_FOREIGNKEY
        PostgresException e => e.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        _ => false,
    };
}
