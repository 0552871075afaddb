using Microsoft.Extensions.Logging;

namespace Portal.Storage.Internal;

/// <summary>Log messages of the storage core (open, migrations, configuration cache), source-generated; event ids are stable.</summary>
/// <remarks>
/// Event ids: 1000-1099 here; request stats and retention use 1100-1199, the config file import 1200-1299.
/// No message takes a key value.
/// </remarks>
internal static partial class StorageLog
{
    [LoggerMessage(1000, LogLevel.Information, "Opening {Provider} storage ({Database})")]
    public static partial void Opening(ILogger logger, string provider, string database);

    [LoggerMessage(1001, LogLevel.Information, "Applying {Count} storage migrations: {Migrations}")]
    public static partial void ApplyingMigrations(ILogger logger, int count, string migrations);

    [LoggerMessage(1002, LogLevel.Information, "Storage open: {Platforms} platforms, {Models} models, {Keys} keys")]
    public static partial void Opened(ILogger logger, int platforms, int models, int keys);

    [LoggerMessage(1003, LogLevel.Warning, "Reading configuration from the database failed; serving the cached configuration until it succeeds")]
    public static partial void CacheRefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Debug, "Reading configuration from the database still fails: {Error}")]
    public static partial void CacheRefreshStillFailing(ILogger logger, string error);

    [LoggerMessage(1005, LogLevel.Information, "Reading configuration from the database works again")]
    public static partial void CacheRefreshRecovered(ILogger logger);

    [LoggerMessage(1006, LogLevel.Debug, "Configuration changed: {Platforms} platforms, {Models} models, {Keys} keys")]
    public static partial void CacheChanged(ILogger logger, int platforms, int models, int keys);

    [LoggerMessage(1007, LogLevel.Warning, "SQLite journal mode is '{Mode}', not WAL; concurrent reads and writes will block each other")]
    public static partial void NotWal(ILogger logger, string mode);
}
