namespace Portal.Storage;

/// <content>Request stats aggregated per key.</content>
public sealed partial class EfPortalRepository
{
    /// <summary>Aggregates request stats per key over a time range, in the database, as <see cref="AggregateStatsAsync"/> does per model or platform.</summary>
    /// <param name="startTime">Only rows at or after this time; <see langword="null"/> for no lower bound.</param>
    /// <param name="endTime">Only rows before this time; <see langword="null"/> for no upper bound.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One aggregate per key id (ascending) with rows in the range.</returns>
    /// <remarks>
    /// Same statements and nearest-rank percentiles as the other groupings. The SQLite schema has covering indexes
    /// led by model and by platform but none led by key, so on SQLite this reads the table rows of the range once per
    /// key: fine for the admin API on typical tables, slower than the other groupings on very large ones.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="endTime"/> is before <paramref name="startTime"/>.</exception>
    public async Task<IReadOnlyList<ApiKeyStatsAggregate>> AggregateStatsByApiKeyAsync(DateTimeOffset? startTime, DateTimeOffset? endTime, CancellationToken cancellationToken = default)
    {
        if (startTime > endTime)
        {
            throw new ArgumentException($"The end time ({endTime:O}) is before the start time ({startTime:O}).", nameof(endTime));
        }

        var groups = await StatsAggregator.AggregateAsync(CreateContext, "api_key_id", startTime, endTime, cancellationToken).ConfigureAwait(false);
        var result = groups.ConvertAll(g => new ApiKeyStatsAggregate
        {
            ApiKeyId = StatsSql.ToInt64(g.Key),
            Stats = new StatsAggregate
            {
                Requests = g.Requests,
                Successes = g.Successes,
                ErrorRate = g.Requests == 0 ? 0 : (double)(g.Requests - g.Successes) / g.Requests,
                P50DurationMs = g.P50DurationMs,
                P95DurationMs = g.P95DurationMs,
                AverageFirstByteMs = g.AverageFirstByteMs,
                PromptTokens = g.PromptTokens,
                CompletionTokens = g.CompletionTokens,
            },
        });
        result.Sort((a, b) => a.ApiKeyId.CompareTo(b.ApiKeyId));
        return result;
    }
}
