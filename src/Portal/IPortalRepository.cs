namespace Portal;

/// <summary>The one port between the engine and its data: configuration reads, health and request stats.</summary>
/// <remarks>
/// <para>
/// The composite of the three concerns, each its own interface so a consumer can depend on the part it uses:
/// <see cref="IConfigReader"/> (the request path's reads), <see cref="IHealthStore"/> (load and batch-save health) and
/// <see cref="IStatsStore"/> (save, query and count request stats). It adds no member of its own.
/// </para>
/// <para>Implementations must be thread-safe.</para>
/// </remarks>
public interface IPortalRepository : IConfigReader, IHealthStore, IStatsStore;
