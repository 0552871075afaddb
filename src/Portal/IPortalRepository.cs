namespace Portal;

/// <summary>The one port between the engine and its data: configuration reads, health and request stats.</summary>
/// <remarks>
/// Implementations must be thread-safe. The three reads used on every request (<see cref="FindModelsByNameAsync"/>,
/// <see cref="GetPlatformAsync"/>, <see cref="GetApiKeysAsync"/>) return <see cref="ValueTask{TResult}"/> so a cached
/// implementation answers without allocating; returning the same list instance while the data has not changed lets
/// the gateway reuse its channels without rebuilding them.
/// </remarks>
public interface IPortalRepository
{
    /// <summary>Finds the models whose upstream name or alias equals <paramref name="name"/> (ordinal comparison).</summary>
    /// <param name="name">The name a client asked for.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The matching models, possibly on several platforms; empty when none match.</returns>
    ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken);

    /// <summary>Gets a platform by id.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platform, or <see langword="null"/> when there is none with that id.</returns>
    ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken);

    /// <summary>Gets the keys of a platform.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The platform's keys; empty when it has none.</returns>
    ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken);

    /// <summary>Loads the health of every resource that has any.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>All stored health states.</returns>
    Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken);

    /// <summary>Saves a batch of health states, inserting or replacing one row per resource kind and id.</summary>
    /// <param name="states">The states to save.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is saved.</returns>
    Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken);

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
