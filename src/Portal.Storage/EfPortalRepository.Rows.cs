using Microsoft.EntityFrameworkCore;
using Portal.Storage.Entities;

namespace Portal.Storage;

/// <content>Administration reads that also return each row's source and timestamps (the admin API shows them).</content>
public sealed partial class EfPortalRepository
{
    /// <summary>Lists every platform, enabled or not, ordered by id, with its source, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platforms.</returns>
    public async Task<IReadOnlyList<StoredRow<Platform>>> ListPlatformRowsAsync(CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var rows = await context.Platforms.AsNoTracking().OrderBy(p => p.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return rows.ConvertAll(ToStoredRow);
        }
    }

    /// <summary>Gets one platform with its source, as stored now.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platform, or <see langword="null"/> when there is none with that id.</returns>
    public async Task<StoredRow<Platform>?> GetPlatformRowAsync(long platformId, CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await context.Platforms.AsNoTracking().FirstOrDefaultAsync(p => p.Id == platformId, cancellationToken).ConfigureAwait(false);
            return row is null ? null : ToStoredRow(row);
        }
    }

    /// <summary>Lists models, enabled or not, ordered by id, with their source, as stored now.</summary>
    /// <param name="platformId">Only the models of this platform; all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The models.</returns>
    public async Task<IReadOnlyList<StoredRow<Model>>> ListModelRowsAsync(long? platformId = null, CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var query = context.Models.AsNoTracking();
            if (platformId is { } id)
            {
                query = query.Where(m => m.PlatformId == id);
            }

            var rows = await query.OrderBy(m => m.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return rows.ConvertAll(ToStoredRow);
        }
    }

    /// <summary>Gets one model with its source, as stored now.</summary>
    /// <param name="modelId">The model's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The model, or <see langword="null"/> when there is none with that id.</returns>
    public async Task<StoredRow<Model>?> GetModelRowAsync(long modelId, CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await context.Models.AsNoTracking().FirstOrDefaultAsync(m => m.Id == modelId, cancellationToken).ConfigureAwait(false);
            return row is null ? null : ToStoredRow(row);
        }
    }

    /// <summary>Lists keys, enabled or not, ordered by id, with their source and name, as stored now.</summary>
    /// <param name="platformId">Only the keys of this platform; all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The keys (with their values: mask them with <see cref="ApiKey.Masked"/> before showing them).</returns>
    public async Task<IReadOnlyList<StoredRow<ApiKey>>> ListApiKeyRowsAsync(long? platformId = null, CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var query = context.ApiKeys.AsNoTracking();
            if (platformId is { } id)
            {
                query = query.Where(k => k.PlatformId == id);
            }

            var rows = await query.OrderBy(k => k.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return rows.ConvertAll(ToStoredRow);
        }
    }

    /// <summary>Gets one key with its source and name, as stored now.</summary>
    /// <param name="apiKeyId">The key's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The key (with its value: mask it before showing it), or <see langword="null"/> when there is none with that id.</returns>
    public async Task<StoredRow<ApiKey>?> GetApiKeyRowAsync(long apiKeyId, CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await context.ApiKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == apiKeyId, cancellationToken).ConfigureAwait(false);
            return row is null ? null : ToStoredRow(row);
        }
    }

    private static StoredRow<Platform> ToStoredRow(PlatformEntity e) => new()
    {
        Item = e.ToDomain(),
        Source = e.Source,
        CreatedAt = EntityMapping.FromUnixMs(e.CreatedAt),
        UpdatedAt = EntityMapping.FromUnixMs(e.UpdatedAt),
    };

    private static StoredRow<Model> ToStoredRow(ModelEntity e) => new()
    {
        Item = e.ToDomain(),
        Source = e.Source,
        CreatedAt = EntityMapping.FromUnixMs(e.CreatedAt),
        UpdatedAt = EntityMapping.FromUnixMs(e.UpdatedAt),
    };

    private static StoredRow<ApiKey> ToStoredRow(ApiKeyEntity e) => new()
    {
        Item = e.ToDomain(),
        Source = e.Source,
        KeyName = e.Name,
        CreatedAt = EntityMapping.FromUnixMs(e.CreatedAt),
        UpdatedAt = EntityMapping.FromUnixMs(e.UpdatedAt),
    };
}
