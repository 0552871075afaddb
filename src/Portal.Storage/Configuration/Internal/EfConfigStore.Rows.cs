using Microsoft.EntityFrameworkCore;
using Portal.Storage.Entities;

namespace Portal.Storage.Configuration.Internal;

/// <content>The admin reads: rows as stored now, with their source and timestamps.</content>
internal sealed partial class EfConfigStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<StoredRow<Platform>>> ListPlatformRowsAsync(CancellationToken cancellationToken = default) =>
        ListRowsAsync(ConfigTables.Platforms, null, cancellationToken);

    /// <inheritdoc />
    public Task<StoredRow<Platform>?> GetPlatformRowAsync(long platformId, CancellationToken cancellationToken = default) =>
        GetRowAsync(ConfigTables.Platforms, platformId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredRow<Model>>> ListModelRowsAsync(long? platformId = null, CancellationToken cancellationToken = default) =>
        ListRowsAsync(ConfigTables.Models, platformId, cancellationToken);

    /// <inheritdoc />
    public Task<StoredRow<Model>?> GetModelRowAsync(long modelId, CancellationToken cancellationToken = default) =>
        GetRowAsync(ConfigTables.Models, modelId, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredRow<ApiKey>>> ListApiKeyRowsAsync(long? platformId = null, CancellationToken cancellationToken = default) =>
        ListRowsAsync(ConfigTables.ApiKeys, platformId, cancellationToken);

    /// <inheritdoc />
    public Task<StoredRow<ApiKey>?> GetApiKeyRowAsync(long apiKeyId, CancellationToken cancellationToken = default) =>
        GetRowAsync(ConfigTables.ApiKeys, apiKeyId, cancellationToken);

    private async Task<IReadOnlyList<StoredRow<T>>> ListRowsAsync<TEntity, T>(ConfigTable<TEntity, T> table, long? platformId, CancellationToken cancellationToken)
        where TEntity : class, IConfigRow, new()
        where T : class
    {
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var query = table.Rows(context).AsNoTracking();
            if (platformId is { } id)
            {
                query = table.OfPlatform(query, id);
            }

            var rows = await query.OrderBy(r => r.Id).ToListAsync(cancellationToken).ConfigureAwait(false);
            return rows.ConvertAll(table.ToStoredRow);
        }
    }

    private async Task<StoredRow<T>?> GetRowAsync<TEntity, T>(ConfigTable<TEntity, T> table, long id, CancellationToken cancellationToken)
        where TEntity : class, IConfigRow, new()
        where T : class
    {
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var row = await table.Rows(context).AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken).ConfigureAwait(false);
            return row is null ? null : table.ToStoredRow(row);
        }
    }
}
