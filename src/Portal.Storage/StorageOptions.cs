namespace Portal.Storage;

/// <summary>The storage providers Portal supports.</summary>
public static class StorageProviders
{
    /// <summary>An embedded SQLite file: the default, no external service.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>PostgreSQL, for several gateway replicas sharing configuration, health and stats.</summary>
    public const string Postgres = "postgres";
}

/// <summary>Storage settings, bound from <c>Portal:Storage</c>.</summary>
public sealed class StorageOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Storage";

    /// <summary>The provider: <see cref="StorageProviders.Sqlite"/> or <see cref="StorageProviders.Postgres"/>.</summary>
    /// <value>The default is <c>sqlite</c>.</value>
    public string Provider { get; set; } = StorageProviders.Sqlite;

    /// <summary>The provider's connection string.</summary>
    /// <value>The default is <c>Data Source=./data/portal.db</c> (the folder is created when missing).</value>
    public string ConnectionString { get; set; } = "Data Source=./data/portal.db";

    /// <summary>Request stats older than this many days are deleted in the background; 0 keeps them for ever.</summary>
    /// <value>The default is 30.</value>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often the retention job runs.</summary>
    /// <value>The default is 1 hour.</value>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How many old rows the retention job deletes per statement (small batches keep locks short).</summary>
    /// <value>The default is 5,000.</value>
    public int RetentionBatchSize { get; set; } = 5_000;

    /// <summary>
    /// The configuration file imported when storage opens (setting <c>Portal:ConfigFile</c>, outside this section).
    /// When <see langword="null"/>, <c>./portal.json</c> is imported if it exists; a path that is set must exist.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? ConfigFile { get; set; }

    /// <summary>
    /// How long configuration read on the request path (models, platforms, keys) is served from memory before it is
    /// read again, so replicas see each other's changes. Changes made through this process apply at once.
    /// </summary>
    /// <value>The default is 5 seconds.</value>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(5);
}
