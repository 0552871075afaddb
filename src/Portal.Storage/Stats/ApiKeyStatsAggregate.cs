namespace Portal.Storage;

/// <summary>Request stats of one key over a time range (<see cref="EfPortalRepository.AggregateStatsByApiKeyAsync"/>).</summary>
public sealed record ApiKeyStatsAggregate
{
    /// <summary>The key that served the requests (<see cref="RequestStat.ApiKeyId"/>).</summary>
    public long ApiKeyId { get; init; }

    /// <summary>The aggregates, with the same meaning as per model or platform (<see cref="StatsAggregate.ModelName"/> and <see cref="StatsAggregate.PlatformId"/> are <see langword="null"/>).</summary>
    public required StatsAggregate Stats { get; init; }
}
