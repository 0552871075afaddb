using Portal.Internal;
using Portal.Routing;

namespace Portal.Selection;

/// <summary>One selection: the candidates, the request they are for, and what routing knows about each candidate.</summary>
/// <remarks>A view over the gateway's buffers, valid only during <see cref="IChannelSelector.Select(in ChannelSelection)"/>; reading it allocates nothing.</remarks>
public readonly ref struct ChannelSelection
{
    private readonly ReadOnlySpan<ChannelRoute> _routes;
    private readonly RandomSource _random;

    internal ChannelSelection(ReadOnlySpan<Channel> candidates, ReadOnlySpan<ChannelRoute> routes, PortalRequestContext request, RandomSource random)
    {
        Candidates = candidates;
        _routes = routes;
        Request = request;
        _random = random;
    }

    /// <summary>The usable channels not yet tried by this request; never empty.</summary>
    public ReadOnlySpan<Channel> Candidates { get; }

    /// <summary>The request being routed.</summary>
    public PortalRequestContext Request { get; }

    /// <summary>What routing knows about the candidate at <paramref name="index"/>.</summary>
    /// <param name="index">An index into <see cref="Candidates"/>.</param>
    /// <returns>Its health, attempts in flight and recent latency.</returns>
    public ChannelLoad GetLoad(int index)
    {
        var channel = Candidates[index];
        var route = _routes[index];
        return new ChannelLoad(channel.KeyStatus, Worst(channel), route.InFlight, route.Latency);
    }

    /// <summary>A random number in [0, <paramref name="maxValue"/>) from the gateway's source (<see cref="PortalOptions.Random"/>).</summary>
    /// <param name="maxValue">The exclusive upper bound; positive.</param>
    /// <returns>The number.</returns>
    public int NextRandom(int maxValue) => _random.Next(maxValue);

    /// <summary>The per-channel routing state, for the built-in selectors.</summary>
    internal ReadOnlySpan<ChannelRoute> Routes => _routes;

    private static HealthStatus Worst(Channel channel)
    {
        var worst = channel.PlatformHealth.Status;
        foreach (var status in (ReadOnlySpan<HealthStatus>)[channel.ModelHealth.Status, channel.KeyHealth.Status])
        {
            if (status > worst)
            {
                worst = status;
            }
        }

        return worst;
    }
}

/// <summary>What routing knows about one candidate channel.</summary>
/// <param name="KeyStatus">The health of the channel's key (<see cref="HealthStatus.Unknown"/> when never used).</param>
/// <param name="Status">The most severe health of the channel's platform, model and key, in the order Unavailable, Warning, Available, Unknown.</param>
/// <param name="InFlight">Attempts running on the channel now.</param>
/// <param name="Latency">
/// A moving average of its time to first byte (streams) or duration (non-streaming requests) over recent successes;
/// <see langword="null"/> before its first success.
/// </param>
public readonly record struct ChannelLoad(HealthStatus KeyStatus, HealthStatus Status, int InFlight, TimeSpan? Latency);
