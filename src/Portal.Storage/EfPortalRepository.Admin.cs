using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Storage.Entities;

namespace Portal.Storage;

/// <content>Administration: list, add, update and delete platforms, models and keys; every change reaches the request path at once.</content>
public sealed partial class EfPortalRepository
{
    /// <summary>Lists every platform, enabled or not, ordered by id, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platforms.</returns>
    public async Task<IReadOnlyList<Platform>> ListPlatformsAsync(CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var rows = await context.Platforms.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => r.ToDomain())];
        }
    }

    /// <summary>Lists every model, enabled or not, ordered by id, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The models.</returns>
    public async Task<IReadOnlyList<Model>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var rows = await context.Models.AsNoTracking().OrderBy(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => r.ToDomain())];
        }
    }

    /// <summary>Lists every key, enabled or not, ordered by id, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The keys (with their values: mask them with <see cref="ApiKey.Masked"/> before showing them).</returns>
    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var rows = await context.ApiKeys.AsNoTracking().OrderBy(k => k.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => r.ToDomain())];
        }
    }

    /// <summary>Adds a platform; requests see it as soon as this returns.</summary>
    /// <param name="platform">The platform. An <see cref="Platform.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored platform, with its id.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">A platform with the same id or name exists.</exception>
    public async Task<Platform> AddPlatformAsync(Platform platform, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(platform);
        CheckPlatform(platform);
        Platform stored;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            if (platform.Id != 0 && await context.Platforms.AnyAsync(p => p.Id == platform.Id, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"A platform with id {platform.Id} already exists.");
            }

            await CheckPlatformNameAsync(context, platform, cancellationToken).ConfigureAwait(false);
            var now = Now();
            var row = new PlatformEntity { Id = platform.Id, CreatedAt = now, UpdatedAt = now };
            row.Apply(platform);
            context.Platforms.Add(row);
            await SaveAsync(context, () => $"A platform named '{platform.Name}' already exists.", cancellationToken).ConfigureAwait(false);
            await SyncIdentityAsync(context, "platforms", platform.Id, cancellationToken).ConfigureAwait(false);
            stored = row.ToDomain();
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Replaces the platform with the same id; requests see the change as soon as this returns.</summary>
    /// <param name="platform">The new version.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored platform.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="KeyNotFoundException">No platform has that id.</exception>
    /// <exception cref="InvalidOperationException">Another platform has that name.</exception>
    public async Task<Platform> UpdatePlatformAsync(Platform platform, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(platform);
        CheckPlatform(platform);
        Platform stored;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await context.Platforms.FirstOrDefaultAsync(p => p.Id == platform.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"No platform with id {platform.Id}.");
            await CheckPlatformNameAsync(context, platform, cancellationToken).ConfigureAwait(false);
            row.Apply(platform);
            row.UpdatedAt = Now();
            await SaveAsync(context, () => $"A platform named '{platform.Name}' already exists.", cancellationToken).ConfigureAwait(false);
            stored = row.ToDomain();
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Deletes a platform with its models, keys and their health; requests stop using it as soon as this returns.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether a platform was deleted.</returns>
    /// <remarks>Stats rows keep the deleted ids. To keep a platform's configuration but stop routing to it, disable it instead.</remarks>
    public async Task<bool> DeletePlatformAsync(long platformId, CancellationToken cancellationToken = default)
    {
        int deleted;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                var models = context.Models.Where(m => m.PlatformId == platformId).Select(m => m.Id);
                var keys = context.ApiKeys.Where(k => k.PlatformId == platformId).Select(k => k.Id);
                await context.Health
                    .Where(h => (h.ResourceKind == (int)ResourceKind.Platform && h.ResourceId == platformId)
                        || (h.ResourceKind == (int)ResourceKind.Model && models.Contains(h.ResourceId))
                        || (h.ResourceKind == (int)ResourceKind.ApiKey && keys.Contains(h.ResourceId)))
                    .ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);

                // The foreign keys cascade too; deleting the children explicitly does not depend on that.
                await context.ApiKeys.Where(k => k.PlatformId == platformId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                await context.Models.Where(m => m.PlatformId == platformId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                deleted = await context.Platforms.Where(p => p.Id == platformId).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (deleted > 0)
        {
            await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted > 0;
    }

    /// <summary>Adds a model; requests see it as soon as this returns.</summary>
    /// <param name="model">The model. An <see cref="Model.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored model, with its id.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">The id exists, the platform does not, or the platform already has a model with that name.</exception>
    public async Task<Model> AddModelAsync(Model model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckModel(model);
        Model stored;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            if (model.Id != 0 && await context.Models.AnyAsync(m => m.Id == model.Id, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"A model with id {model.Id} already exists.");
            }

            await CheckModelAsync(context, model, cancellationToken).ConfigureAwait(false);
            var now = Now();
            var row = new ModelEntity { Id = model.Id, CreatedAt = now, UpdatedAt = now };
            row.Apply(model);
            context.Models.Add(row);
            await SaveAsync(context, () => ModelConflict(model), cancellationToken).ConfigureAwait(false);
            await SyncIdentityAsync(context, "models", model.Id, cancellationToken).ConfigureAwait(false);
            stored = row.ToDomain();
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Replaces the model with the same id; requests see the change as soon as this returns.</summary>
    /// <param name="model">The new version.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored model.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="KeyNotFoundException">No model has that id.</exception>
    /// <exception cref="InvalidOperationException">The platform does not exist or already has another model with that name.</exception>
    public async Task<Model> UpdateModelAsync(Model model, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckModel(model);
        Model stored;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await context.Models.FirstOrDefaultAsync(m => m.Id == model.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"No model with id {model.Id}.");
            await CheckModelAsync(context, model, cancellationToken).ConfigureAwait(false);
            row.Apply(model);
            row.UpdatedAt = Now();
            await SaveAsync(context, () => ModelConflict(model), cancellationToken).ConfigureAwait(false);
            stored = row.ToDomain();
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Deletes a model and its health; requests stop using it as soon as this returns.</summary>
    /// <param name="modelId">The model's id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether a model was deleted.</returns>
    public Task<bool> DeleteModelAsync(long modelId, CancellationToken cancellationToken = default) =>
        DeleteAsync(c => c.Models.Where(m => m.Id == modelId), ResourceKind.Model, modelId, cancellationToken);

    /// <summary>Adds a key; requests can use it as soon as this returns.</summary>
    /// <param name="apiKey">The key. An <see cref="ApiKey.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored key, with its id.</returns>
    /// <exception cref="ArgumentException">The value is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">The id exists, the platform does not, or the platform already has a key with the same value.</exception>
    public async Task<ApiKey> AddApiKeyAsync(ApiKey apiKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        CheckApiKey(apiKey);
        ApiKey stored;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            if (apiKey.Id != 0 && await context.ApiKeys.AnyAsync(k => k.Id == apiKey.Id, cancellationToken).ConfigureAwait(false))
            {
                throw new InvalidOperationException($"A key with id {apiKey.Id} already exists.");
            }

            await CheckApiKeyAsync(context, apiKey, cancellationToken).ConfigureAwait(false);
            var now = Now();
            var row = new ApiKeyEntity { Id = apiKey.Id, CreatedAt = now, UpdatedAt = now };
            row.Apply(apiKey);
            context.ApiKeys.Add(row);
            await SaveAsync(context, () => $"A key with id {apiKey.Id} already exists.", cancellationToken).ConfigureAwait(false);
            await SyncIdentityAsync(context, "api_keys", apiKey.Id, cancellationToken).ConfigureAwait(false);
            stored = row.ToDomain();
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Replaces the key with the same id; requests see the change as soon as this returns.</summary>
    /// <param name="apiKey">The new version.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored key.</returns>
    /// <exception cref="ArgumentException">The value is empty or too long.</exception>
    /// <exception cref="KeyNotFoundException">No key has that id.</exception>
    /// <exception cref="InvalidOperationException">The platform does not exist or already has another key with the same value.</exception>
    public async Task<ApiKey> UpdateApiKeyAsync(ApiKey apiKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        CheckApiKey(apiKey);
        ApiKey stored;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await context.ApiKeys.FirstOrDefaultAsync(k => k.Id == apiKey.Id, cancellationToken).ConfigureAwait(false)
                ?? throw new KeyNotFoundException($"No key with id {apiKey.Id}.");
            await CheckApiKeyAsync(context, apiKey, cancellationToken).ConfigureAwait(false);
            row.Apply(apiKey);
            row.UpdatedAt = Now();
            await SaveAsync(context, () => $"The key {apiKey.Id} conflicts with another key of platform {apiKey.PlatformId}.", cancellationToken).ConfigureAwait(false);
            stored = row.ToDomain();
        }

        await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    /// <summary>Deletes a key and its health; requests stop using it as soon as this returns.</summary>
    /// <param name="apiKeyId">The key's id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether a key was deleted.</returns>
    public Task<bool> DeleteApiKeyAsync(long apiKeyId, CancellationToken cancellationToken = default) =>
        DeleteAsync(c => c.ApiKeys.Where(k => k.Id == apiKeyId), ResourceKind.ApiKey, apiKeyId, cancellationToken);

    private async Task<bool> DeleteAsync<T>(Func<PortalDbContext, IQueryable<T>> rows, ResourceKind kind, long id, CancellationToken cancellationToken)
    {
        int deleted;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var transaction = await context.Database.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await context.Health.Where(h => h.ResourceKind == (int)kind && h.ResourceId == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                deleted = await rows(context).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        if (deleted > 0)
        {
            await ApplyConfigChangeAsync(cancellationToken).ConfigureAwait(false);
        }

        return deleted > 0;
    }

    /// <summary>Saves, turning constraint violations that raced past the checks into the same exceptions the checks throw.</summary>
    private static async Task SaveAsync(PortalDbContext context, Func<string> uniqueMessage, CancellationToken cancellationToken)
    {
        try
        {
            await context.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbUpdateException ex) when (IsUniqueViolation(ex))
        {
            throw new InvalidOperationException(uniqueMessage(), ex);
        }
        catch (DbUpdateException ex) when (IsForeignKeyViolation(ex))
        {
            throw new InvalidOperationException("The platform does not exist.", ex);
        }
    }

    /// <summary>
    /// PostgreSQL identity sequences do not move when a row is inserted with an explicit id; move it past the largest id
    /// so the next generated one does not collide. SQLite's AUTOINCREMENT does this by itself.
    /// </summary>
    private async Task SyncIdentityAsync(PortalDbContext context, string table, long explicitId, CancellationToken cancellationToken)
    {
        if (!IsPostgres || explicitId == 0)
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

    private static async Task CheckPlatformNameAsync(PortalDbContext context, Platform platform, CancellationToken cancellationToken)
    {
        if (await context.Platforms.AnyAsync(p => p.Name == platform.Name && p.Id != platform.Id, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"A platform named '{platform.Name}' already exists.");
        }
    }

    private static async Task CheckModelAsync(PortalDbContext context, Model model, CancellationToken cancellationToken)
    {
        await CheckPlatformExistsAsync(context, model.PlatformId, cancellationToken).ConfigureAwait(false);
        if (await context.Models.AnyAsync(m => m.PlatformId == model.PlatformId && m.Name == model.Name && m.Id != model.Id, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException(ModelConflict(model));
        }
    }

    private static async Task CheckApiKeyAsync(PortalDbContext context, ApiKey apiKey, CancellationToken cancellationToken)
    {
        await CheckPlatformExistsAsync(context, apiKey.PlatformId, cancellationToken).ConfigureAwait(false);

        // The same value twice on a platform is one key counted twice (and the config file matches unnamed keys by
        // value); the message never contains the value.
        if (await context.ApiKeys.AnyAsync(k => k.PlatformId == apiKey.PlatformId && k.Value == apiKey.Value && k.Id != apiKey.Id, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"Platform {apiKey.PlatformId} already has a key with the same value.");
        }
    }

    private static async Task CheckPlatformExistsAsync(PortalDbContext context, long platformId, CancellationToken cancellationToken)
    {
        if (!await context.Platforms.AnyAsync(p => p.Id == platformId, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"No platform with id {platformId}.");
        }
    }

    private static string ModelConflict(Model model) => $"Platform {model.PlatformId} already has a model named '{model.Name}'.";

    private static void CheckPlatform(Platform platform)
    {
        CheckText(platform.Name, MaxNameLength, "Platform.Name");
        CheckText(platform.Format, MaxFormatLength, "Platform.Format");
        CheckText(platform.BaseUrl, MaxUrlLength, "Platform.BaseUrl");
    }

    private static void CheckModel(Model model)
    {
        CheckText(model.Name, MaxNameLength, "Model.Name");
        if (model.Alias is { Length: > MaxNameLength })
        {
            throw new ArgumentException($"Model.Alias is longer than {MaxNameLength} characters.", nameof(model));
        }
    }

    private static void CheckApiKey(ApiKey apiKey) => CheckText(apiKey.Value, MaxKeyLength, "ApiKey.Value");

    private static void CheckText(string? value, int maxLength, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{name} is required.", name);
        }

        if (value.Length > maxLength)
        {
            throw new ArgumentException($"{name} is longer than {maxLength} characters.", name);
        }
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
