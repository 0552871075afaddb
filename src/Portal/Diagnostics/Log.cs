using Microsoft.Extensions.Logging;

namespace Portal.Diagnostics;

/// <summary>Every log message of the engine, source-generated; event ids are stable.</summary>
/// <remarks>No message takes a key or prompt/response content.</remarks>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Attempt {Attempt} for model {Model} on channel platform={PlatformId} model={ModelId} key={ApiKeyId} succeeded in {DurationMs:F1} ms")]
    public static partial void AttemptSucceeded(ILogger logger, int attempt, string model, long platformId, long modelId, long apiKeyId, double durationMs);

    [LoggerMessage(2, LogLevel.Warning, "Attempt {Attempt} for model {Model} on channel platform={PlatformId} model={ModelId} key={ApiKeyId} failed ({Failure}, blamed {Blame}, backoff {Backoff}): {Error}")]
    public static partial void AttemptFailed(ILogger logger, int attempt, string model, long platformId, long modelId, long apiKeyId, string failure, string blame, TimeSpan? backoff, string error);

    [LoggerMessage(17, LogLevel.Error, "Attempt {Attempt} for model {Model} on channel platform={PlatformId} model={ModelId} key={ApiKeyId} failed inside the gateway; nothing was blamed and no other channel is tried")]
    public static partial void AttemptFaulted(ILogger logger, int attempt, string model, long platformId, long modelId, long apiKeyId, Exception exception);

    [LoggerMessage(16, LogLevel.Information, "Attempt {Attempt} for model {Model} on channel platform={PlatformId} model={ModelId} key={ApiKeyId} ended without blame: {Reason}")]
    public static partial void AttemptCancelled(ILogger logger, int attempt, string model, long platformId, long modelId, long apiKeyId, string reason);

    [LoggerMessage(18, LogLevel.Warning, "Platform {PlatformId} sent {Header}: {Value}, which is negative, unparsable or longer than {Absurd}; ignored (the normal backoff applies). Logged once per platform")]
    public static partial void RetryAfterIgnored(ILogger logger, long platformId, string header, string value, TimeSpan absurd);

    [LoggerMessage(3, LogLevel.Warning, "Request stats queue is full ({Capacity}); {Dropped} stats dropped since start")]
    public static partial void StatsDropped(ILogger logger, int capacity, long dropped);

    [LoggerMessage(4, LogLevel.Warning, "Saving {Count} request stats failed; retrying in {Delay}")]
    public static partial void StatsSaveFailed(ILogger logger, int count, TimeSpan delay, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Gave up saving {Count} request stats at shutdown")]
    public static partial void StatsAbandoned(ILogger logger, long count);

    [LoggerMessage(6, LogLevel.Warning, "Saving health of {Count} resources failed; they will be saved with the next sync")]
    public static partial void HealthSaveFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Loading health from the repository failed; starting with no health information")]
    public static partial void HealthLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Information, "Shutting down: waiting up to {Timeout} for {InFlight} in-flight requests")]
    public static partial void ShuttingDown(ILogger logger, TimeSpan timeout, int inFlight);

    [LoggerMessage(9, LogLevel.Warning, "Shutdown timeout passed; cancelling {InFlight} in-flight requests")]
    public static partial void CancellingInFlight(ILogger logger, int inFlight);

    [LoggerMessage(10, LogLevel.Information, "Shutdown complete")]
    public static partial void ShutdownComplete(ILogger logger);

    [LoggerMessage(11, LogLevel.Warning, "Platform {PlatformId} has format '{Format}', for which no adapter is registered; its channels are skipped")]
    public static partial void NoAdapter(ILogger logger, long platformId, string format);

    [LoggerMessage(12, LogLevel.Error, "Reading channels for model {Model} from the repository failed")]
    public static partial void RepositoryReadFailed(ILogger logger, string model, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Request for model {Model} failed: {Code}: {Error}")]
    public static partial void RequestFailed(ILogger logger, string model, PortalErrorCode code, string error);

    [LoggerMessage(15, LogLevel.Error, "The stats writer did not stop within the flush timeout (the repository ignores cancellation); leaving it behind")]
    public static partial void StatsWriterAbandoned(ILogger logger);

    [LoggerMessage(14, LogLevel.Warning, "{InFlight} requests were still running after cancellation; flushing stats without them")]
    public static partial void InFlightAbandoned(ILogger logger, int inFlight);
}
