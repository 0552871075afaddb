namespace Portal.Storage;

/// <summary>What <see cref="EfPortalRepository.AggregateStatsAsync"/> groups request stats by.</summary>
public enum StatsGroupBy
{
    /// <summary>One aggregate per requested model name (<see cref="RequestStat.ModelName"/>).</summary>
    Model,

    /// <summary>One aggregate per platform that served the requests (<see cref="RequestStat.PlatformId"/>).</summary>
    Platform,

    /// <summary>
    /// One aggregate per key that served the requests (<see cref="RequestStat.ApiKeyId"/>). On SQLite no covering index
    /// is led by the key, so this reads the table rows of the range once per key: slower than the other groupings on
    /// very large tables.
    /// </summary>
    ApiKey,
}

/// <summary>The time range and grouping of <see cref="EfPortalRepository.AggregateStatsAsync"/>.</summary>
public sealed record StatsAggregateQuery
{
    /// <summary>Only rows at or after this time; <see langword="null"/> for no lower bound.</summary>
    public DateTimeOffset? StartTime { get; init; }

    /// <summary>Only rows before this time; <see langword="null"/> for no upper bound.</summary>
    public DateTimeOffset? EndTime { get; init; }

    /// <summary>One aggregate per model, per platform or per key.</summary>
    /// <value>The default is <see cref="StatsGroupBy.Model"/>.</value>
    public StatsGroupBy GroupBy { get; init; } = StatsGroupBy.Model;
}

/// <summary>Request stats of one model, platform or key over a time range, computed in the database.</summary>
/// <remarks>
/// Percentiles use the nearest-rank definition: of the group's n durations in ascending order, p50 is the one at rank
/// ⌈0.50·n⌉ and p95 the one at rank ⌈0.95·n⌉ (1-based), so each is a duration that was actually measured and both
/// providers return the same value for the same rows.
/// </remarks>
public sealed record StatsAggregate
{
    /// <summary>The requested model name, when grouped by <see cref="StatsGroupBy.Model"/>; otherwise <see langword="null"/>.</summary>
    public string? ModelName { get; init; }

    /// <summary>The platform, when grouped by <see cref="StatsGroupBy.Platform"/>; otherwise <see langword="null"/>.</summary>
    public long? PlatformId { get; init; }

    /// <summary>The key, when grouped by <see cref="StatsGroupBy.ApiKey"/>; otherwise <see langword="null"/>.</summary>
    public long? ApiKeyId { get; init; }

    /// <summary>Requests (upstream attempts) in the group.</summary>
    public long Requests { get; init; }

    /// <summary>Requests that succeeded.</summary>
    public long Successes { get; init; }

    /// <summary>The share of requests that failed, from 0 to 1.</summary>
    public double ErrorRate { get; init; }

    /// <summary>The median duration in milliseconds (nearest rank).</summary>
    public double P50DurationMs { get; init; }

    /// <summary>The 95th percentile duration in milliseconds (nearest rank).</summary>
    public double P95DurationMs { get; init; }

    /// <summary>The average time to first byte in milliseconds over streaming requests that have one; <see langword="null"/> when none has.</summary>
    public double? AverageFirstByteMs { get; init; }

    /// <summary>The sum of reported prompt tokens (requests without usage count as 0).</summary>
    public long PromptTokens { get; init; }

    /// <summary>The sum of reported completion tokens (requests without usage count as 0).</summary>
    public long CompletionTokens { get; init; }
}
