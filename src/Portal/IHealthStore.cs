namespace Portal;

/// <summary>Where the engine keeps the health of platforms, models and keys: loaded at start, saved in batches.</summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IHealthStore
{
    /// <summary>Loads the health of every resource that has any.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>All stored health states.</returns>
    Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken);

    /// <summary>Saves a batch of health states, inserting or replacing one row per resource kind and id.</summary>
    /// <param name="states">The states to save.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the batch is saved.</returns>
    Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken);
}
