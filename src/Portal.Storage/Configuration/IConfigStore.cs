namespace Portal.Storage.Configuration;

/// <summary>
/// The stored configuration (platforms, models, keys): the request path's cached reads, the administration's reads and
/// writes, and the import of the configuration file.
/// </summary>
/// <remarks>
/// <para>Thread-safe.</para>
/// <para>
/// The request-path reads (<see cref="IConfigReader"/>) answer from a snapshot in memory and never query the database;
/// every other member reads or writes the database as it is now, disabled rows included. A write reaches the request
/// path by the time it returns; a change made to the tables another way, within the cache's time to live, or at once
/// after <see cref="InvalidateCache"/>.
/// </para>
/// <para>
/// Writes report what only the database can decide (a missing row, a taken name, a row the configuration file manages,
/// a platform still in use) as a <see cref="ConfigWriteResult{T}"/>; a database failure is an exception.
/// </para>
/// </remarks>
public interface IConfigStore : IConfigReader
{
    /// <summary>Lists every platform, enabled or not, ordered by id, with its source.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platforms.</returns>
    Task<IReadOnlyList<StoredRow<Platform>>> ListPlatformRowsAsync(CancellationToken cancellationToken = default);

    /// <summary>Gets one platform with its source.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platform, or <see langword="null"/> when there is none with that id.</returns>
    Task<StoredRow<Platform>?> GetPlatformRowAsync(long platformId, CancellationToken cancellationToken = default);

    /// <summary>Lists models, enabled or not, ordered by id, with their source.</summary>
    /// <param name="platformId">Only the models of this platform; all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The models.</returns>
    Task<IReadOnlyList<StoredRow<Model>>> ListModelRowsAsync(long? platformId = null, CancellationToken cancellationToken = default);

    /// <summary>Gets one model with its source.</summary>
    /// <param name="modelId">The model's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The model, or <see langword="null"/> when there is none with that id.</returns>
    Task<StoredRow<Model>?> GetModelRowAsync(long modelId, CancellationToken cancellationToken = default);

    /// <summary>Lists keys, enabled or not, ordered by id, with their source and name.</summary>
    /// <param name="platformId">Only the keys of this platform; all when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The keys (with their values: mask them with <see cref="ApiKey.Masked"/> before showing them).</returns>
    Task<IReadOnlyList<StoredRow<ApiKey>>> ListApiKeyRowsAsync(long? platformId = null, CancellationToken cancellationToken = default);

    /// <summary>Gets one key with its source and name.</summary>
    /// <param name="apiKeyId">The key's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The key (with its value: mask it before showing it), or <see langword="null"/> when there is none with that id.</returns>
    Task<StoredRow<ApiKey>?> GetApiKeyRowAsync(long apiKeyId, CancellationToken cancellationToken = default);

    /// <summary>Adds a platform, with source <see cref="RowSources.Admin"/>.</summary>
    /// <param name="platform">The platform. An <see cref="Platform.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored platform; refused as <see cref="ConfigWriteErrorKind.Invalid"/> or <see cref="ConfigWriteErrorKind.Conflict"/> (id or name taken).</returns>
    Task<ConfigWriteResult<StoredRow<Platform>>> AddPlatformAsync(Platform platform, CancellationToken cancellationToken = default);

    /// <summary>Replaces the platform with the same id.</summary>
    /// <param name="platform">The new version.</param>
    /// <param name="force">Whether to write a row the configuration file manages (its next import undoes the change).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>
    /// The stored platform; refused as <see cref="ConfigWriteErrorKind.Invalid"/>, <see cref="ConfigWriteErrorKind.NotFound"/>,
    /// <see cref="ConfigWriteErrorKind.ConfigManaged"/> or <see cref="ConfigWriteErrorKind.Conflict"/> (name taken).
    /// </returns>
    Task<ConfigWriteResult<StoredRow<Platform>>> UpdatePlatformAsync(Platform platform, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Deletes a platform and the health of it, its models and its keys.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cascade">Whether to delete its models and keys with it; otherwise a platform that has any is refused.</param>
    /// <param name="force">Whether to delete a row the configuration file manages (its next import adds it back).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>
    /// What was deleted; refused as <see cref="ConfigWriteErrorKind.NotFound"/>, <see cref="ConfigWriteErrorKind.ConfigManaged"/>
    /// or <see cref="ConfigWriteErrorKind.PlatformInUse"/>.
    /// </returns>
    /// <remarks>Stats rows keep the deleted ids. To keep a platform's configuration but stop routing to it, disable it instead.</remarks>
    Task<ConfigWriteResult<DeletedRow<Platform>>> DeletePlatformAsync(long platformId, bool cascade = false, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Adds a model, with source <see cref="RowSources.Admin"/>.</summary>
    /// <param name="model">The model. An <see cref="Model.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored model; refused as <see cref="ConfigWriteErrorKind.Invalid"/> or <see cref="ConfigWriteErrorKind.Conflict"/> (id taken, no such platform, or the platform has a model with that name).</returns>
    Task<ConfigWriteResult<StoredRow<Model>>> AddModelAsync(Model model, CancellationToken cancellationToken = default);

    /// <summary>Replaces the model with the same id.</summary>
    /// <param name="model">The new version.</param>
    /// <param name="force">Whether to write a row the configuration file manages (its next import undoes the change).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>
    /// The stored model; refused as <see cref="ConfigWriteErrorKind.Invalid"/>, <see cref="ConfigWriteErrorKind.NotFound"/>,
    /// <see cref="ConfigWriteErrorKind.ConfigManaged"/> or <see cref="ConfigWriteErrorKind.Conflict"/> (no such platform, or a name taken on it).
    /// </returns>
    Task<ConfigWriteResult<StoredRow<Model>>> UpdateModelAsync(Model model, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Deletes a model and its health.</summary>
    /// <param name="modelId">The model's id.</param>
    /// <param name="force">Whether to delete a row the configuration file manages (its next import adds it back).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>What was deleted; refused as <see cref="ConfigWriteErrorKind.NotFound"/> or <see cref="ConfigWriteErrorKind.ConfigManaged"/>.</returns>
    Task<ConfigWriteResult<DeletedRow<Model>>> DeleteModelAsync(long modelId, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Adds a key, with source <see cref="RowSources.Admin"/>.</summary>
    /// <param name="apiKey">The key. An <see cref="ApiKey.Id"/> of 0 lets the database assign one.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The stored key; refused as <see cref="ConfigWriteErrorKind.Invalid"/> or <see cref="ConfigWriteErrorKind.Conflict"/> (id taken, no such platform, or the platform has a key with the same value).</returns>
    Task<ConfigWriteResult<StoredRow<ApiKey>>> AddApiKeyAsync(ApiKey apiKey, CancellationToken cancellationToken = default);

    /// <summary>Replaces the key with the same id.</summary>
    /// <param name="apiKey">The new version.</param>
    /// <param name="force">Whether to write a row the configuration file manages (its next import undoes the change).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>
    /// The stored key; refused as <see cref="ConfigWriteErrorKind.Invalid"/>, <see cref="ConfigWriteErrorKind.NotFound"/>,
    /// <see cref="ConfigWriteErrorKind.ConfigManaged"/> or <see cref="ConfigWriteErrorKind.Conflict"/> (no such platform, or its value taken on it).
    /// </returns>
    Task<ConfigWriteResult<StoredRow<ApiKey>>> UpdateApiKeyAsync(ApiKey apiKey, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Deletes a key and its health.</summary>
    /// <param name="apiKeyId">The key's id.</param>
    /// <param name="force">Whether to delete a row the configuration file manages (its next import adds it back).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>What was deleted; refused as <see cref="ConfigWriteErrorKind.NotFound"/> or <see cref="ConfigWriteErrorKind.ConfigManaged"/>.</returns>
    Task<ConfigWriteResult<DeletedRow<ApiKey>>> DeleteApiKeyAsync(long apiKeyId, bool force = false, CancellationToken cancellationToken = default);

    /// <summary>Imports a configuration file: the database is brought in line with it, in one transaction.</summary>
    /// <param name="file">The validated file, from <see cref="PortalConfigLoader"/>.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is written then.</param>
    /// <returns>How many platforms, models and keys were added, updated, disabled or left unchanged.</returns>
    /// <remarks>
    /// <para>
    /// Platforms are matched by name, models by (platform, name), keys by (platform, name) when the key has a name and
    /// by (platform, value) otherwise. Rows in the file but not in the database are added and marked as coming from the
    /// file; rows that differ are updated, the others are left alone (not even their update time changes), so a second
    /// import of the same file writes nothing.
    /// </para>
    /// <para>
    /// Rows the file added earlier but no longer lists are disabled, never deleted, so their stats keep their meaning;
    /// if they come back in the file they are enabled again. The file is the source of truth for its rows: an admin's
    /// change to one of them is undone at the next import.
    /// </para>
    /// <para>
    /// Rows the admin created are never touched, except one the file lists under the same identity: the file takes it
    /// over (it keeps its id, so its stats and health stay attached) and manages it from then on. Taking over rather
    /// than failing lets an installation move admin-made configuration into the file without losing history.
    /// </para>
    /// <para>The configuration cache is invalidated afterwards, so requests see the result at once.</para>
    /// </remarks>
    Task<ConfigImportResult> ImportConfigAsync(PortalConfigFile file, CancellationToken cancellationToken = default);

    /// <summary>Marks the configuration cache stale and reloads it in the background; the next request-path read waits briefly for that reload.</summary>
    /// <remarks>
    /// The writes and the import of this store already do this. Call it after changing the configuration tables another
    /// way. Never throws: if the database cannot be read, the cached configuration keeps serving and the periodic reload
    /// tries again.
    /// </remarks>
    void InvalidateCache();

    /// <summary>Reads the configuration from the database now and serves it to the request path.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A task that completes when the new configuration is being served.</returns>
    /// <exception cref="System.Data.Common.DbException">The database could not be read; the cached configuration keeps serving.</exception>
    Task RefreshCacheAsync(CancellationToken cancellationToken = default);
}
