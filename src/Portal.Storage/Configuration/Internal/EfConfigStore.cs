using Microsoft.EntityFrameworkCore;
using Portal.Storage.Internal;

namespace Portal.Storage.Configuration.Internal;

/// <summary>
/// <see cref="IConfigStore"/> on EF Core: the request path is served from <see cref="ConfigCache"/>, the admin reads and
/// writes (<c>EfConfigStore.Rows.cs</c>, <c>EfConfigStore.Writes.cs</c>) and the import go to the database.
/// </summary>
/// <remarks>
/// Thread-safe. The request-path reads never query the database and never throw because of it: they answer from a
/// snapshot of the platforms, models and keys that is reloaded every <see cref="StorageOptions.CacheTtl"/> (so replicas
/// see each other's changes) and at once after a change made through this store. While the data is unchanged they
/// return the same list instances. When the database is unreachable the last snapshot keeps serving.
/// </remarks>
internal sealed partial class EfConfigStore : IConfigStore, IAsyncDisposable
{
    private readonly StorageDatabase _database;
    private readonly ConfigCache _cache;

    public EfConfigStore(StorageDatabase database)
    {
        _database = database;
        _cache = new ConfigCache(LoadConfigAsync, database.Options.CacheTtl, database.Time, database.Logger);
    }

    /// <summary>The snapshot being served.</summary>
    public ConfigSnapshot Current => _cache.Current;

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ReadAsync(name, static (snapshot, name) => snapshot.FindModels(name), cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) =>
        ReadAsync(platformId, static (snapshot, id) => snapshot.GetPlatform(id), cancellationToken);

    /// <inheritdoc />
    /// <remarks>Answers from the configuration cache; never queries the database.</remarks>
    public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) =>
        ReadAsync(platformId, static (snapshot, id) => snapshot.GetKeys(id), cancellationToken);

    /// <inheritdoc />
    public async Task<ConfigImportResult> ImportConfigAsync(PortalConfigFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ConfigImportResult result;
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            result = await ConfigImport.RunAsync(context, file, _database.Now(), _database.Logger, cancellationToken).ConfigureAwait(false);
        }

        InvalidateCache();
        return result;
    }

    /// <inheritdoc />
    public void InvalidateCache() => _cache.Invalidate();

    /// <inheritdoc />
    public Task RefreshCacheAsync(CancellationToken cancellationToken = default) => _cache.LoadAsync(cancellationToken);

    /// <summary>Starts reloading the cache every <see cref="StorageOptions.CacheTtl"/>.</summary>
    public void StartRefreshing() => _cache.Start();

    /// <summary>Stops the cache's reloads; the request-path reads keep answering from the last snapshot.</summary>
    public ValueTask DisposeAsync() => _cache.DisposeAsync();

    /// <summary>Answers a request-path read from the snapshot, without allocating unless a reload is awaited.</summary>
    private ValueTask<TResult> ReadAsync<TArg, TResult>(TArg arg, Func<ConfigSnapshot, TArg, TResult> read, CancellationToken cancellationToken)
    {
        var snapshot = _cache.GetAsync(cancellationToken);
        return snapshot.IsCompletedSuccessfully
            ? new(read(snapshot.Result, arg))
            : Await(snapshot, arg, read);

        static async ValueTask<TResult> Await(ValueTask<ConfigSnapshot> snapshot, TArg arg, Func<ConfigSnapshot, TArg, TResult> read) =>
            read(await snapshot.ConfigureAwait(false), arg);
    }

    /// <summary>Reads the three configuration tables as one consistent view.</summary>
    private async Task<ConfigData> LoadConfigAsync(CancellationToken cancellationToken)
    {
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            // All three reads see the same committed state.
            var transaction = await _database.BeginReadTransactionAsync(context, cancellationToken).ConfigureAwait(false);
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
    /// After a change to the configuration tables: reloads the cache and waits (briefly) for the reload, so requests see
    /// the change once this returns. Never throws; if the reload fails, the periodic one catches up.
    /// </summary>
    private async Task ApplyConfigChangeAsync(CancellationToken cancellationToken)
    {
        _cache.Invalidate();
        await _cache.GetAsync(cancellationToken).ConfigureAwait(false);
    }
}
