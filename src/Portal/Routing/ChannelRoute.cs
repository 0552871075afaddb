namespace Portal.Routing;

/// <summary>What routing knows about one channel beyond its health: recency of selection, attempts running on it, recent latency.</summary>
/// <remarks>
/// Kept by <see cref="RoutingTable"/> per (platform, model, key) ids, so it survives a channel being rebuilt after an
/// unrelated configuration change. Updated without locks; the latency average tolerates a lost update under a race.
/// </remarks>
internal sealed class ChannelRoute
{
    /// <summary>How much a new latency sample weighs in the moving average.</summary>
    internal const double LatencyWeight = 0.2;

    private long _lastSelected;
    private int _inFlight;
    private long _latencyTicks = -1;

    /// <summary>A global sequence number of the last selection (for least-recently-used order); 0 when never selected.</summary>
    public ref long LastSelected => ref _lastSelected;

    /// <summary>Attempts running on the channel now (started, outcome not yet recorded).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The exponentially weighted moving average of time to first byte (streams) or duration (non-streaming), or <see langword="null"/> before the first success.</summary>
    public TimeSpan? Latency => Volatile.Read(ref _latencyTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    public void AttemptStarted() => Interlocked.Increment(ref _inFlight);

    public void AttemptEnded() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Adds a latency sample to the moving average.</summary>
    public void ObserveLatency(TimeSpan latency)
    {
        var sample = Math.Max(0, latency.Ticks);
        var current = Volatile.Read(ref _latencyTicks);
        var next = current < 0 ? sample : (long)(current + (LatencyWeight * (sample - current)));
        Volatile.Write(ref _latencyTicks, next);
    }
}
