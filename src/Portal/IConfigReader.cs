namespace Portal;

/// <summary>The configuration reads the engine makes on every request: models by name, a platform, a platform's keys.</summary>
/// <remarks>
/// Implementations must be thread-safe. The reads return <see cref="ValueTask{TResult}"/> so a cached implementation
/// answers without allocating; returning the same list instance while the data has not changed lets the gateway reuse
/// its channels without rebuilding them.
/// </remarks>
public interface IConfigReader
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
}
