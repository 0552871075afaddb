namespace Portal;

/// <summary>Where the engine writes request stats (one row per upstream attempt) and reads them back.</summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IStatsStore
{
    /// <summary>Saves a batch of request stats.</summary>
    /// <param name="stats">The rows to save.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is saved.</returns>
    Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken);

    /// <summary>Queries request stats, newest first (in attempt order with <see cref="StatsQuery.RequestId"/>), honouring <see cref="StatsQuery.Limit"/> and <see cref="StatsQuery.Offset"/>.</summary>
    /// <param name="query">The filters.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The matching rows.</returns>
    Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken);

    /// <summary>Counts the client requests and the upstream attempts matching the filters (limit and offset are ignored), as <see cref="StatsSummary"/> defines them.</summary>
    /// <param name="query">The filters.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Requests and served requests; attempts and successful attempts.</returns>
    Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken);
}
