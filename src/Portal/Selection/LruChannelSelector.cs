namespace Portal.Selection;

/// <summary>Picks the channel selected longest ago; never-selected channels first, in candidate order.</summary>
/// <remarks>
/// Recency is a global sequence number rather than a clock, so that two selections never tie. Under concurrency,
/// a compare-and-swap claims the chosen channel: two requests racing for the same least-recently-used channel
/// end up on different channels.
/// </remarks>
internal sealed class LruChannelSelector : IChannelSelector
{
    private const int MaxClaimAttempts = 4;
    private long _sequence;

    public string Name => SelectorStrategies.Lru;

    public int Select(ReadOnlySpan<Channel> candidates)
    {
        var best = 0;
        for (var attempt = 0; attempt < MaxClaimAttempts; attempt++)
        {
            best = 0;
            var bestUsed = Volatile.Read(ref candidates[0].LastUsed);
            for (var i = 1; i < candidates.Length && bestUsed != 0; i++)
            {
                var used = Volatile.Read(ref candidates[i].LastUsed);
                if (used < bestUsed)
                {
                    best = i;
                    bestUsed = used;
                }
            }

            var next = Interlocked.Increment(ref _sequence);
            if (Interlocked.CompareExchange(ref candidates[best].LastUsed, next, bestUsed) == bestUsed)
            {
                return best;
            }
        }

        // Heavy contention: settle for the last scan's choice rather than spin.
        Volatile.Write(ref candidates[best].LastUsed, Interlocked.Increment(ref _sequence));
        return best;
    }
}
