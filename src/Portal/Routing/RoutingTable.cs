using System.Collections.Concurrent;

namespace Portal.Routing;

/// <summary>The routing layer's per-channel state (<see cref="ChannelRoute"/>), by (platform, model, key) ids.</summary>
/// <remarks>Thread-safe. Entries are never removed: there is one per channel ever configured, a few hundred bytes each.</remarks>
internal sealed class RoutingTable
{
    private readonly ConcurrentDictionary<(long Platform, long Model, long Key), ChannelRoute> _routes = new();

    /// <summary>The state of the channel with these ids, created on first use.</summary>
    public ChannelRoute Get(Channel channel) =>
        _routes.GetOrAdd((channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id), static _ => new ChannelRoute());
}
