using Portal.Routing;

namespace Portal.Selection;

/// <summary>Picks the channel selected longest ago; never-selected channels first, in candidate order.</summary>
/// <remarks>
/// Recency is a global sequence number rather than a clock, so that two selections never tie; it lives in the routing
/// layer's state of each channel (<see cref="ChannelRoute.LastSelected"/>). Under concurrency, a compare-and-swap claims
/// the chosen channel: two requests racing for the same least-recently-used channel end up on different channels.
/// Without the routing state (the candidates-only overload) it degrades to the first candidate.
/// </remarks>
internal sealed class LruChannelSelector : IChannelSelector, DependencyInjection.IBuiltIn
{
    private const int MaxClaimAttempts = 4;
    private long _sequence;

    public string Name => SelectorStrategies.Lru;

    public int Select(ReadOnlySpan<Channel> candidates) => 0;

    public int Select(in ChannelSelection selection)
    {
        var routes = selection.Routes;
        var best = 0;
        for (var attempt = 0; attempt < MaxClaimAttempts; attempt++)
        {
            best = 0;
            var bestUsed = Volatile.Read(ref routes[0].LastSelected);
            for (var i = 1; i < routes.Length && bestUsed != 0; i++)
            {
                var used = Volatile.Read(ref routes[i].LastSelected);
                if (used < bestUsed)
                {
                    best = i;
                    bestUsed = used;
                }
            }

            var next = Interlocked.Increment(ref _sequence);
            if (Interlocked.CompareExchange(ref routes[best].LastSelected, next, bestUsed) == bestUsed)
            {
                return best;
            }
        }

        // Heavy contention: settle for the last scan's choice rather than spin.
        Volatile.Write(ref routes[best].LastSelected, Interlocked.Increment(ref _sequence));
        return best;
    }
}
