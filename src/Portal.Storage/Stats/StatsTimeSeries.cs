namespace Portal.Storage;

/// <summary>The width of the buckets of <see cref="IRequestStatsStore.GetStatsTimeSeriesAsync"/>.</summary>
public enum StatsBucketSize
{
    /// <summary>One bucket per UTC minute.</summary>
    Minute,

    /// <summary>One bucket per UTC hour.</summary>
    Hour,
}

/// <summary>The range, bucket size and filters of <see cref="IRequestStatsStore.GetStatsTimeSeriesAsync"/>.</summary>
public sealed record StatsTimeSeriesQuery
{
    /// <summary>Only rows at or after this time.</summary>
    public required DateTimeOffset StartTime { get; init; }

    /// <summary>Only rows before this time; must be after <see cref="StartTime"/>.</summary>
    public required DateTimeOffset EndTime { get; init; }

    /// <summary>The width of a bucket.</summary>
    /// <value>The default is <see cref="StatsBucketSize.Minute"/>.</value>
    public StatsBucketSize BucketSize { get; init; } = StatsBucketSize.Minute;

    /// <summary>Only rows for this requested model name (ordinal); <see langword="null"/> for all.</summary>
    public string? ModelName { get; init; }

    /// <summary>Only rows served by this platform; <see langword="null"/> for all.</summary>
    public long? PlatformId { get; init; }
}

/// <summary>The client requests and upstream attempts of one time bucket, with their failures.</summary>
/// <remarks>
/// A request counts in every bucket it had an attempt in, once per bucket however many attempts it made there, and is
/// served in the bucket of its successful attempt: a request whose failover crossed into the next bucket counts in both,
/// as an error in the first. A row without request id (written before they were recorded) is a request of its own.
/// </remarks>
public sealed record StatsTimeBucket
{
    /// <summary>The start of the bucket (UTC, aligned to the minute or hour); the bucket ends where the next one would start.</summary>
    public DateTimeOffset Start { get; init; }

    /// <summary>Client requests with an attempt that started in the bucket.</summary>
    public long Requests { get; init; }

    /// <summary>Requests of the bucket that no attempt in the bucket served.</summary>
    public long Errors { get; init; }

    /// <summary>Upstream attempts (rows) that started in the bucket.</summary>
    public long Attempts { get; init; }

    /// <summary>Attempts of the bucket that failed.</summary>
    public long FailedAttempts { get; init; }
}
