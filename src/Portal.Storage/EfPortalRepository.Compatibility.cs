using Portal.Storage.Configuration;

namespace Portal.Storage;

/// <content>
/// The members from before the repository was split into stores, for code written against them. Each forwards to
/// <see cref="Config"/> or <see cref="Stats"/>; the writes turn a refusal back into the exception they threw then, and
/// write rows of the configuration file too (as they did), deleting a platform with its models and keys.
/// </content>
public sealed partial class EfPortalRepository
{
    /// <summary>Lists every platform, enabled or not, ordered by id, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platforms.</returns>
    public async Task<IReadOnlyList<Platform>> ListPlatformsAsync(CancellationToken cancellationToken = default) =>
        Items(await _config.ListPlatformRowsAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Lists every model, enabled or not, ordered by id, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The models.</returns>
    public async Task<IReadOnlyList<Model>> ListModelsAsync(CancellationToken cancellationToken = default) =>
        Items(await _config.ListModelRowsAsync(null, cancellationToken).ConfigureAwait(false));

    /// <summary>Lists every key, enabled or not, ordered by id, as stored now.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The keys (with their values: mask them with <see cref="ApiKey.Masked"/> before showing them).</returns>
    public async Task<IReadOnlyList<ApiKey>> ListApiKeysAsync(CancellationToken cancellationToken = default) =>
        Items(await _config.ListApiKeyRowsAsync(null, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc cref="IConfigStore.ListPlatformRowsAsync"/>
    public Task<IReadOnlyList<StoredRow<Platform>>> ListPlatformRowsAsync(CancellationToken cancellationToken = default) =>
        _config.ListPlatformRowsAsync(cancellationToken);

    /// <inheritdoc cref="IConfigStore.GetPlatformRowAsync"/>
    public Task<StoredRow<Platform>?> GetPlatformRowAsync(long platformId, CancellationToken cancellationToken = default) =>
        _config.GetPlatformRowAsync(platformId, cancellationToken);

    /// <inheritdoc cref="IConfigStore.ListModelRowsAsync"/>
    public Task<IReadOnlyList<StoredRow<Model>>> ListModelRowsAsync(long? platformId = null, CancellationToken cancellationToken = default) =>
        _config.ListModelRowsAsync(platformId, cancellationToken);

    /// <inheritdoc cref="IConfigStore.GetModelRowAsync"/>
    public Task<StoredRow<Model>?> GetModelRowAsync(long modelId, CancellationToken cancellationToken = default) =>
        _config.GetModelRowAsync(modelId, cancellationToken);

    /// <inheritdoc cref="IConfigStore.ListApiKeyRowsAsync"/>
    public Task<IReadOnlyList<StoredRow<ApiKey>>> ListApiKeyRowsAsync(long? platformId = null, CancellationToken cancellationToken = default) =>
        _config.ListApiKeyRowsAsync(platformId, cancellationToken);

    /// <inheritdoc cref="IConfigStore.GetApiKeyRowAsync"/>
    public Task<StoredRow<ApiKey>?> GetApiKeyRowAsync(long apiKeyId, CancellationToken cancellationToken = default) =>
        _config.GetApiKeyRowAsync(apiKeyId, cancellationToken);

    /// <summary>Adds a platform; requests see it as soon as this returns.</summary>
    /// <param name="platform">The platform. An <see cref="Platform.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored platform, with its id.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">A platform with the same id or name exists.</exception>
    public async Task<Platform> AddPlatformAsync(Platform platform, CancellationToken cancellationToken = default) =>
        Written(await _config.AddPlatformAsync(platform, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Replaces the platform with the same id; requests see the change as soon as this returns.</summary>
    /// <param name="platform">The new version.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored platform.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="KeyNotFoundException">No platform has that id.</exception>
    /// <exception cref="InvalidOperationException">Another platform has that name.</exception>
    public async Task<Platform> UpdatePlatformAsync(Platform platform, CancellationToken cancellationToken = default) =>
        Written(await _config.UpdatePlatformAsync(platform, force: true, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Deletes a platform with its models, keys and their health; requests stop using it as soon as this returns.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether a platform was deleted.</returns>
    /// <remarks>Stats rows keep the deleted ids. To keep a platform's configuration but stop routing to it, disable it instead.</remarks>
    public async Task<bool> DeletePlatformAsync(long platformId, CancellationToken cancellationToken = default) =>
        Deleted(await _config.DeletePlatformAsync(platformId, cascade: true, force: true, cancellationToken).ConfigureAwait(false));

    /// <summary>Adds a model; requests see it as soon as this returns.</summary>
    /// <param name="model">The model. An <see cref="Model.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored model, with its id.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">The id exists, the platform does not, or the platform already has a model with that name.</exception>
    public async Task<Model> AddModelAsync(Model model, CancellationToken cancellationToken = default) =>
        Written(await _config.AddModelAsync(model, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Replaces the model with the same id; requests see the change as soon as this returns.</summary>
    /// <param name="model">The new version.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored model.</returns>
    /// <exception cref="ArgumentException">A field is empty or too long.</exception>
    /// <exception cref="KeyNotFoundException">No model has that id.</exception>
    /// <exception cref="InvalidOperationException">The platform does not exist or already has another model with that name.</exception>
    public async Task<Model> UpdateModelAsync(Model model, CancellationToken cancellationToken = default) =>
        Written(await _config.UpdateModelAsync(model, force: true, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Deletes a model and its health; requests stop using it as soon as this returns.</summary>
    /// <param name="modelId">The model's id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether a model was deleted.</returns>
    public async Task<bool> DeleteModelAsync(long modelId, CancellationToken cancellationToken = default) =>
        Deleted(await _config.DeleteModelAsync(modelId, force: true, cancellationToken).ConfigureAwait(false));

    /// <summary>Adds a key; requests can use it as soon as this returns.</summary>
    /// <param name="apiKey">The key. An <see cref="ApiKey.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored key, with its id.</returns>
    /// <exception cref="ArgumentException">The value is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">The id exists, the platform does not, or the platform already has a key with the same value.</exception>
    public async Task<ApiKey> AddApiKeyAsync(ApiKey apiKey, CancellationToken cancellationToken = default) =>
        Written(await _config.AddApiKeyAsync(apiKey, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Replaces the key with the same id; requests see the change as soon as this returns.</summary>
    /// <param name="apiKey">The new version.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored key.</returns>
    /// <exception cref="ArgumentException">The value is empty or too long.</exception>
    /// <exception cref="KeyNotFoundException">No key has that id.</exception>
    /// <exception cref="InvalidOperationException">The platform does not exist or already has another key with the same value.</exception>
    public async Task<ApiKey> UpdateApiKeyAsync(ApiKey apiKey, CancellationToken cancellationToken = default) =>
        Written(await _config.UpdateApiKeyAsync(apiKey, force: true, cancellationToken).ConfigureAwait(false)).Item;

    /// <summary>Deletes a key and its health; requests stop using it as soon as this returns.</summary>
    /// <param name="apiKeyId">The key's id.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether a key was deleted.</returns>
    public async Task<bool> DeleteApiKeyAsync(long apiKeyId, CancellationToken cancellationToken = default) =>
        Deleted(await _config.DeleteApiKeyAsync(apiKeyId, force: true, cancellationToken).ConfigureAwait(false));

    /// <inheritdoc cref="IConfigStore.ImportConfigAsync"/>
    public Task<ConfigImportResult> ImportConfigAsync(PortalConfigFile file, CancellationToken cancellationToken = default) =>
        _config.ImportConfigAsync(file, cancellationToken);

    /// <inheritdoc cref="IConfigStore.InvalidateCache"/>
    public void InvalidateCache() => _config.InvalidateCache();

    /// <inheritdoc cref="IConfigStore.RefreshCacheAsync"/>
    public Task RefreshCacheAsync(CancellationToken cancellationToken = default) => _config.RefreshCacheAsync(cancellationToken);

    /// <inheritdoc cref="IRequestStatsStore.AggregateStatsAsync"/>
    public Task<IReadOnlyList<StatsAggregate>> AggregateStatsAsync(StatsAggregateQuery query, CancellationToken cancellationToken = default) =>
        _stats.AggregateStatsAsync(query, cancellationToken);

    /// <inheritdoc cref="IRequestStatsStore.GetStatsTimeSeriesAsync"/>
    public Task<IReadOnlyList<StatsTimeBucket>> GetStatsTimeSeriesAsync(StatsTimeSeriesQuery query, CancellationToken cancellationToken = default) =>
        _stats.GetStatsTimeSeriesAsync(query, cancellationToken);

    /// <inheritdoc cref="IRequestStatsStore.DeleteStatsBeforeAsync"/>
    public Task<int> DeleteStatsBeforeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken = default) =>
        _stats.DeleteStatsBeforeAsync(cutoff, batchSize, cancellationToken);

    private static List<T> Items<T>(IReadOnlyList<StoredRow<T>> rows)
        where T : class =>
        [.. rows.Select(r => r.Item)];

    /// <summary>The written value, or the exception these members threw before the stores reported refusals as results.</summary>
    private static T Written<T>(ConfigWriteResult<T> result)
        where T : class =>
        result.Succeeded
            ? result.Value
            : throw result.Error.Kind switch
            {
                ConfigWriteErrorKind.NotFound => new KeyNotFoundException(result.Error.Message),
                ConfigWriteErrorKind.Invalid => new ArgumentException(result.Error.Message),
                _ => new InvalidOperationException(result.Error.Message),
            };

    /// <summary>Whether a row was deleted; a refusal other than a missing row as its exception.</summary>
    private static bool Deleted<T>(ConfigWriteResult<DeletedRow<T>> result)
        where T : class =>
        result.Error?.Kind != ConfigWriteErrorKind.NotFound && Written(result) is not null;
}
