using Portal.Health;

namespace Portal;

/// <summary>A (platform, model, key) triple: the unit of routing.</summary>
/// <remarks>
/// The gateway builds channels from the repository and reuses the same instances while the underlying records do not
/// change, so that their health references cost no lookup per request. Routing state (recency, load, latency) lives in
/// the routing layer, not here.
/// </remarks>
public sealed class Channel
{
    /// <summary>Creates a channel with health of its own (for custom selectors and tests).</summary>
    /// <param name="platform">The platform.</param>
    /// <param name="model">The model on that platform.</param>
    /// <param name="apiKey">A key of that platform.</param>
    public Channel(Platform platform, Model model, ApiKey apiKey)
        : this(platform, model, apiKey,
            new HealthEntry(ResourceKind.Platform, platform.Id),
            new HealthEntry(ResourceKind.Model, model.Id),
            new HealthEntry(ResourceKind.ApiKey, apiKey.Id))
    {
    }

    internal Channel(Platform platform, Model model, ApiKey apiKey, HealthEntry platformHealth, HealthEntry modelHealth, HealthEntry keyHealth)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(apiKey);
        Platform = platform;
        Model = model;
        ApiKey = apiKey;
        PlatformHealth = platformHealth;
        ModelHealth = modelHealth;
        KeyHealth = keyHealth;
    }

    /// <summary>The platform requests are sent to.</summary>
    public Platform Platform { get; }

    /// <summary>The model asked for upstream (by its <see cref="Model.Name"/>).</summary>
    public Model Model { get; }

    /// <summary>The key that authenticates the request.</summary>
    public ApiKey ApiKey { get; }

    /// <summary>The health status of the channel's key (selectors prefer untried keys).</summary>
    public HealthStatus KeyStatus => KeyHealth.Status;

    internal HealthEntry PlatformHealth { get; }

    internal HealthEntry ModelHealth { get; }

    internal HealthEntry KeyHealth { get; }

    /// <summary>Whether the platform, the model and the key are all usable at <paramref name="utcNowTicks"/>.</summary>
    internal bool IsUsable(long utcNowTicks) =>
        KeyHealth.IsUsable(utcNowTicks) && ModelHealth.IsUsable(utcNowTicks) && PlatformHealth.IsUsable(utcNowTicks);

    /// <summary>Describes the channel by ids only (never the key).</summary>
    public override string ToString() => $"Channel {{ Platform = {Platform.Id}, Model = {Model.Id}, ApiKey = {ApiKey.Id} }}";
}
