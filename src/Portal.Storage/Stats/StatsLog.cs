using Microsoft.Extensions.Logging;

namespace Portal.Storage;

/// <summary>The log messages of request stats storage, source-generated; event ids 1100-1199 (StorageLog lists the ranges).</summary>
internal static partial class StatsLog
{
    [LoggerMessage(1100, LogLevel.Information, "Deleted {Count} request stats older than {Cutoff:O} (retention {RetentionDays} days)")]
    public static partial void RetentionDeleted(ILogger logger, long count, DateTimeOffset cutoff, int retentionDays);

    [LoggerMessage(1101, LogLevel.Warning, "Deleting request stats older than {Cutoff:O} failed after {Count} rows; retrying in {Interval}")]
    public static partial void RetentionFailed(ILogger logger, Exception exception, DateTimeOffset cutoff, long count, TimeSpan interval);
}
