namespace Portal.Storage;

/// <summary>What <see cref="IRequestStatsStore.AggregateStatsAsync"/> groups request stats by.</summary>
public enum StatsGroupBy
{
    /// <summary>One aggregate per requested model name (<see cref="RequestStat.ModelName"/>).</summary>
    Model,

    /// <summary>One aggregate per platform that was tried (<see cref="RequestStat.PlatformId"/>).</summary>
    Platform,

    /// <summary>
    /// One aggregate per key that was tried (<see cref="RequestStat.ApiKeyId"/>). On SQLite no covering index
    /// is led by the key, so this reads the table rows of the range once per key: slower than the other groupings on
    /// very large tables.
    /// </summary>
    ApiKey,
}

/// <summary>The time range and grouping of <see cref="IRequestStatsStore.AggregateStatsAsync"/>.</summary>
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

/// <summary>Request stats of one model, platform or key over a time range, as client requests and as upstream attempts, computed in the database.</summary>
/// <remarks>
/// <para>
/// Every row is one upstream attempt. A client request is counted once in a group however many of its attempts the group
/// holds: rows that share a <see cref="RequestStat.RequestId"/> are one request, and a row without one (written before
/// request ids were recorded) is a request of its own. A request counts in every group it had an attempt in, and is
/// served only in the group of its successful attempt: a request that failed on platform 1 and was served by platform 2
/// counts as a request in both, served (and a failover) in platform 2's. Per model (the name the client asked for, the
/// same on all attempts) each request is in one group. Summing <see cref="Requests"/> over platforms or keys can
/// therefore count a request more than once; <see cref="IStatsStore.CountRequestStatsAsync"/> counts the total.
/// </para>
/// <para>
/// Durations, time to first byte and tokens are per attempt. Percentiles use the nearest-rank definition: of the
/// group's n attempt durations in ascending order, p50 is the one at rank ⌈0.50·n⌉ and p95 the one at rank ⌈0.95·n⌉
/// (1-based), so each is a duration that was actually measured and both providers return the same value for the same rows.
/// </para>
/// </remarks>
public sealed record StatsAggregate
{
    /// <summary>The requested model name, when grouped by <see cref="StatsGroupBy.Model"/>; otherwise <see langword="null"/>.</summary>
    public string? ModelName { get; init; }

    /// <summary>The platform, when grouped by <see cref="StatsGroupBy.Platform"/>; otherwise <see langword="null"/>.</summary>
    public long? PlatformId { get; init; }

    /// <summary>The key, when grouped by <see cref="StatsGroupBy.ApiKey"/>; otherwise <see langword="null"/>.</summary>
    public long? ApiKeyId { get; init; }

    /// <summary>Client requests with at least one attempt in the group.</summary>
    public long Requests { get; init; }

    /// <summary>Client requests served by an attempt in the group (the client got its answer from this group).</summary>
    public long Successes { get; init; }

    /// <summary>The share of <see cref="Requests"/> the group did not serve, from 0 to 1: the client's error rate.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Requests served in the group on a later attempt than their first, after one or more failed attempts.</summary>
    public long Failovers { get; init; }

    /// <summary>Upstream attempts (rows) in the group, one per channel tried.</summary>
    public long Attempts { get; init; }

    /// <summary>Attempts in the group that succeeded.</summary>
    public long SuccessAttempts { get; init; }

    /// <summary>The share of <see cref="Attempts"/> that failed, from 0 to 1: the upstreams' error rate.</summary>
    public double AttemptErrorRate { get; init; }

    /// <summary>The median attempt duration in milliseconds (nearest rank).</summary>
    public double P50DurationMs { get; init; }

    /// <summary>The 95th percentile attempt duration in milliseconds (nearest rank).</summary>
    public double P95DurationMs { get; init; }

    /// <summary>The average time to first byte in milliseconds over streaming attempts that have one; <see langword="null"/> when none has.</summary>
    public double? AverageFirstByteMs { get; init; }

    /// <summary>The sum of reported prompt tokens over the attempts (attempts without usage count as 0).</summary>
    public long PromptTokens { get; init; }

    /// <summary>The sum of reported completion tokens over the attempts (attempts without usage count as 0).</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, the sum of those read from the platforms' prompt caches (<see cref="RequestStat.CachedInputTokens"/>; attempts that did not report them count as 0).</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, the sum of those written to the platforms' prompt caches (<see cref="RequestStat.CacheWriteTokens"/>; attempts that did not report them count as 0).</summary>
    public long CacheWriteTokens { get; init; }
}
