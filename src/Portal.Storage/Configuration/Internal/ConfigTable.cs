using Microsoft.EntityFrameworkCore;
using Portal.Storage.Entities;

namespace Portal.Storage.Configuration.Internal;

/// <summary>
/// What the admin reads and writes of <see cref="EfConfigStore"/> need to know about one configuration table: its rows,
/// the checks of its fields and of what is stored, its messages and what its rows own. The three tables are
/// <see cref="ConfigTables"/>; the store runs one read, add, update and delete for all of them.
/// </summary>
/// <typeparam name="TEntity">The row.</typeparam>
/// <typeparam name="T">The domain record.</typeparam>
/// <param name="resource">The resource's name in messages: <c>platform</c>, <c>model</c> or <c>key</c>.</param>
/// <param name="tableName">The table's name in SQL.</param>
internal abstract class ConfigTable<TEntity, T>(string resource, string tableName)
    where TEntity : class, IConfigRow, new()
    where T : class
{
    protected const int MaxNameLength = 200;

    /// <summary>The resource's name in messages: <c>platform</c>, <c>model</c> or <c>key</c>.</summary>
    public string Resource => resource;

    /// <summary>The table's name in SQL.</summary>
    public string TableName => tableName;

    /// <summary>The rows of the table.</summary>
    public abstract DbSet<TEntity> Rows(PortalDbContext context);

    /// <summary>The record's id.</summary>
    public abstract long Id(T item);

    /// <summary>The rows of one platform.</summary>
    public abstract IQueryable<TEntity> OfPlatform(IQueryable<TEntity> rows, long platformId);

    /// <summary>The first field that breaks its rule (empty, too long, out of range), as a message; <see langword="null"/> when all are valid.</summary>
    public abstract string? Invalid(T item);

    /// <summary>What stored rows forbid the write (a name or value taken, the platform missing), as a message; <see langword="null"/> when nothing does.</summary>
    public abstract Task<string?> ConflictAsync(PortalDbContext context, T item, CancellationToken cancellationToken);

    /// <summary>The message for a unique constraint that a concurrent write made fail after <see cref="ConflictAsync"/> passed.</summary>
    public abstract string UniqueViolation(T item, bool adding);

    /// <summary>Copies the domain fields onto a row; identity, source and timestamps are left to the caller.</summary>
    public abstract void Apply(TEntity row, T item);

    /// <summary>The row's domain record.</summary>
    public abstract T ToDomain(TEntity row);

    /// <summary>How many models and keys a row owns (a platform's); they go with it on a cascading delete.</summary>
    public virtual Task<(int Models, int Keys)> CountOwnedAsync(PortalDbContext context, long id, CancellationToken cancellationToken) =>
        Task.FromResult((0, 0));

    /// <summary>Deletes the health of the row and of what it owns, then what it owns; the caller deletes the row in the same transaction.</summary>
    public abstract Task DeleteOwnedAsync(PortalDbContext context, long id, CancellationToken cancellationToken);

    /// <summary>The row with its source and timestamps.</summary>
    public StoredRow<T> ToStoredRow(TEntity row) => new()
    {
        Item = ToDomain(row),
        Source = row.Source,
        KeyName = KeyName(row),
        CreatedAt = EntityMapping.FromUnixMs(row.CreatedAt),
        UpdatedAt = EntityMapping.FromUnixMs(row.UpdatedAt),
    };

    /// <summary>The name <see cref="StoredRow{T}.KeyName"/> shows: only keys have one apart from their record.</summary>
    protected virtual string? KeyName(TEntity row) => null;

    /// <summary>"<paramref name="name"/> is required." or "… is longer than … characters.", or <see langword="null"/>.</summary>
    protected static string? CheckText(string? value, int maxLength, string name) =>
        string.IsNullOrWhiteSpace(value) ? $"{name} is required."
        : value.Length > maxLength ? $"{name} is longer than {maxLength} characters."
        : null;

    /// <summary>"No platform with id …" when the platform of a model or key does not exist.</summary>
    protected static async Task<string?> MissingPlatformAsync(PortalDbContext context, long platformId, CancellationToken cancellationToken) =>
        await context.Platforms.AnyAsync(p => p.Id == platformId, cancellationToken).ConfigureAwait(false)
            ? null
            : $"No platform with id {platformId}.";

    /// <summary>Deletes the health rows of one resource.</summary>
    protected static Task DeleteHealthAsync(PortalDbContext context, ResourceKind kind, long id, CancellationToken cancellationToken) =>
        context.Health.Where(h => h.ResourceKind == (int)kind && h.ResourceId == id).ExecuteDeleteAsync(cancellationToken);
}

/// <summary>The three configuration tables.</summary>
internal static class ConfigTables
{
    public static readonly ConfigTable<PlatformEntity, Platform> Platforms = new PlatformTable();

    public static readonly ConfigTable<ModelEntity, Model> Models = new ModelTable();

    public static readonly ConfigTable<ApiKeyEntity, ApiKey> ApiKeys = new ApiKeyTable();

    private sealed class PlatformTable() : ConfigTable<PlatformEntity, Platform>("platform", "platforms")
    {
        private const int MaxFormatLength = 50;
        private const int MaxUrlLength = 2000;

        public override DbSet<PlatformEntity> Rows(PortalDbContext context) => context.Platforms;

        public override long Id(Platform item) => item.Id;

        public override IQueryable<PlatformEntity> OfPlatform(IQueryable<PlatformEntity> rows, long platformId) => rows.Where(p => p.Id == platformId);

        public override string? Invalid(Platform item) =>
            CheckText(item.Name, MaxNameLength, "Platform.Name")
            ?? CheckText(item.Format, MaxFormatLength, "Platform.Format")
            ?? CheckText(item.BaseUrl, MaxUrlLength, "Platform.BaseUrl")
            ?? (item.ApiVersion is { Length: > 0 } version && PlatformRules.ApiVersionProblem(version) is { } problem ? $"Platform.ApiVersion {problem}." : null)
            ?? (PlatformRules.IsValidDefaultMaxTokens(item.DefaultMaxTokens) ? null : $"Platform.DefaultMaxTokens must be at least 1 (or null for the default); it is {item.DefaultMaxTokens}.");

        public override async Task<string?> ConflictAsync(PortalDbContext context, Platform item, CancellationToken cancellationToken) =>
            await context.Platforms.AnyAsync(p => p.Name == item.Name && p.Id != item.Id, cancellationToken).ConfigureAwait(false)
                ? UniqueViolation(item, adding: true)
                : null;

        public override string UniqueViolation(Platform item, bool adding) => $"A platform named '{item.Name}' already exists.";

        public override void Apply(PlatformEntity row, Platform item) => row.Apply(item);

        public override Platform ToDomain(PlatformEntity row) => row.ToDomain();

        public override async Task<(int Models, int Keys)> CountOwnedAsync(PortalDbContext context, long id, CancellationToken cancellationToken) =>
            (await context.Models.CountAsync(m => m.PlatformId == id, cancellationToken).ConfigureAwait(false),
             await context.ApiKeys.CountAsync(k => k.PlatformId == id, cancellationToken).ConfigureAwait(false));

        public override async Task DeleteOwnedAsync(PortalDbContext context, long id, CancellationToken cancellationToken)
        {
            var models = context.Models.Where(m => m.PlatformId == id).Select(m => m.Id);
            var keys = context.ApiKeys.Where(k => k.PlatformId == id).Select(k => k.Id);
            await context.Health
                .Where(h => (h.ResourceKind == (int)ResourceKind.Platform && h.ResourceId == id)
                    || (h.ResourceKind == (int)ResourceKind.Model && models.Contains(h.ResourceId))
                    || (h.ResourceKind == (int)ResourceKind.ApiKey && keys.Contains(h.ResourceId)))
                .ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);

            // The foreign keys cascade too; deleting the children explicitly does not depend on that.
            await context.ApiKeys.Where(k => k.PlatformId == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
            await context.Models.Where(m => m.PlatformId == id).ExecuteDeleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class ModelTable() : ConfigTable<ModelEntity, Model>("model", "models")
    {
        public override DbSet<ModelEntity> Rows(PortalDbContext context) => context.Models;

        public override long Id(Model item) => item.Id;

        public override IQueryable<ModelEntity> OfPlatform(IQueryable<ModelEntity> rows, long platformId) => rows.Where(m => m.PlatformId == platformId);

        public override string? Invalid(Model item) =>
            CheckText(item.Name, MaxNameLength, "Model.Name")
            ?? (item.Alias is { Length: > MaxNameLength } ? $"Model.Alias is longer than {MaxNameLength} characters." : null);

        public override async Task<string?> ConflictAsync(PortalDbContext context, Model item, CancellationToken cancellationToken) =>
            await MissingPlatformAsync(context, item.PlatformId, cancellationToken).ConfigureAwait(false)
            ?? (await context.Models.AnyAsync(m => m.PlatformId == item.PlatformId && m.Name == item.Name && m.Id != item.Id, cancellationToken).ConfigureAwait(false)
                ? UniqueViolation(item, adding: true)
                : null);

        public override string UniqueViolation(Model item, bool adding) => $"Platform {item.PlatformId} already has a model named '{item.Name}'.";

        public override void Apply(ModelEntity row, Model item) => row.Apply(item);

        public override Model ToDomain(ModelEntity row) => row.ToDomain();

        public override Task DeleteOwnedAsync(PortalDbContext context, long id, CancellationToken cancellationToken) =>
            DeleteHealthAsync(context, ResourceKind.Model, id, cancellationToken);
    }

    private sealed class ApiKeyTable() : ConfigTable<ApiKeyEntity, ApiKey>("key", "api_keys")
    {
        private const int MaxKeyLength = 4000;

        public override DbSet<ApiKeyEntity> Rows(PortalDbContext context) => context.ApiKeys;

        public override long Id(ApiKey item) => item.Id;

        public override IQueryable<ApiKeyEntity> OfPlatform(IQueryable<ApiKeyEntity> rows, long platformId) => rows.Where(k => k.PlatformId == platformId);

        public override string? Invalid(ApiKey item) => CheckText(item.Value, MaxKeyLength, "ApiKey.Value");

        // The same value twice on a platform is one key counted twice (and the config file matches unnamed keys by
        // value); the message never contains the value.
        public override async Task<string?> ConflictAsync(PortalDbContext context, ApiKey item, CancellationToken cancellationToken) =>
            await MissingPlatformAsync(context, item.PlatformId, cancellationToken).ConfigureAwait(false)
            ?? (await context.ApiKeys.AnyAsync(k => k.PlatformId == item.PlatformId && k.Value == item.Value && k.Id != item.Id, cancellationToken).ConfigureAwait(false)
                ? $"Platform {item.PlatformId} already has a key with the same value."
                : null);

        public override string UniqueViolation(ApiKey item, bool adding) => adding
            ? $"A key with id {item.Id} already exists."
            : $"The key {item.Id} conflicts with another key of platform {item.PlatformId}.";

        public override void Apply(ApiKeyEntity row, ApiKey item) => row.Apply(item);

        public override ApiKey ToDomain(ApiKeyEntity row) => row.ToDomain();

        public override Task DeleteOwnedAsync(PortalDbContext context, long id, CancellationToken cancellationToken) =>
            DeleteHealthAsync(context, ResourceKind.ApiKey, id, cancellationToken);

        protected override string? KeyName(ApiKeyEntity row) => row.Name;
    }
}
