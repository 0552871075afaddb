namespace Portal.Internal;

/// <summary>The gateway's one source of randomness (channel selection, backoff jitter), thread-safe whatever it wraps.</summary>
/// <remarks>
/// <see cref="Random.Shared"/> is used as it is; any other <see cref="Random"/> (a seeded one, in tests) is not
/// thread-safe, so calls to it are serialized. A seeded source makes the gateway's choices reproducible when requests
/// run one at a time.
/// </remarks>
internal sealed class RandomSource(Random random)
{
    private readonly Lock? _lock = ReferenceEquals(random, Random.Shared) ? null : new Lock();

    /// <summary>A number in [0, <paramref name="maxValue"/>).</summary>
    public int Next(int maxValue)
    {
        if (_lock is null)
        {
            return random.Next(maxValue);
        }

        lock (_lock)
        {
            return random.Next(maxValue);
        }
    }

    /// <summary>A number in [0, 1).</summary>
    public double NextDouble()
    {
        if (_lock is null)
        {
            return random.NextDouble();
        }

        lock (_lock)
        {
            return random.NextDouble();
        }
    }
}
