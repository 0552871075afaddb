namespace Portal.Storage;

/// <summary>
/// The stored request stats: what the engine writes and reads (<see cref="IStatsStore"/>), and the aggregates, time
/// series and retention deletes that the database computes.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public interface IRequestStatsStore : IStatsStore
{
    /// <summary>Aggregates request stats per model, platform or key over a time range, as client requests and as upstream attempts, in the database.</summary>
    /// <param name="query">The time range and grouping.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One aggregate per model name (in ordinal order), per platform id or per key id (ascending) with rows in the range.</returns>
    /// <remarks>
    /// Percentiles are nearest-rank, as described on <see cref="StatsAggregate"/>, and requests are counted as it
    /// describes: once per group they had an attempt in, served in the group of their successful attempt.
    /// </remarks>
    /// <exception cref="ArgumentException"><see cref="StatsAggregateQuery.EndTime"/> is before <see cref="StatsAggregateQuery.StartTime"/>.</exception>
    Task<IReadOnlyList<StatsAggregate>> AggregateStatsAsync(StatsAggregateQuery query, CancellationToken cancellationToken = default);

    /// <summary>Counts requests and attempts, with their failures, per minute or per hour over a time range, in the database.</summary>
    /// <param name="query">The range, bucket size and filters.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The non-empty buckets, oldest first: a bucket without requests is left out, not returned with zeros.
    /// Buckets are aligned to UTC minutes or hours, so the first and the last may be cut by the range.
    /// </returns>
    /// <remarks>
    /// A request counts in every bucket it had a matching attempt in (once per bucket, however many), and is served in
    /// the bucket of its successful attempt, as <see cref="StatsTimeBucket"/> describes; rows without request id are
    /// requests of their own. Further attempts are told from first ones as by <see cref="IStatsStore.CountRequestStatsAsync"/>.
    /// </remarks>
    /// <exception cref="ArgumentException"><see cref="StatsTimeSeriesQuery.EndTime"/> is not after <see cref="StatsTimeSeriesQuery.StartTime"/>.</exception>
    Task<IReadOnlyList<StatsTimeBucket>> GetStatsTimeSeriesAsync(StatsTimeSeriesQuery query, CancellationToken cancellationToken = default);

    /// <summary>Deletes at most <paramref name="batchSize"/> request stats older than <paramref name="cutoff"/>, oldest first.</summary>
    /// <param name="cutoff">Rows that started before this time are deleted.</param>
    /// <param name="batchSize">The most rows one call deletes, so the write lock is held briefly.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>How many rows were deleted; fewer than <paramref name="batchSize"/> means no older row is left.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    Task<int> DeleteStatsBeforeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken = default);
}
