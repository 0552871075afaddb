namespace Portal.Selection;

/// <summary>Picks uniformly at random, among the channels whose key is untried when there are any.</summary>
/// <remarks>Two passes over the span, no allocation; <see cref="System.Random.Shared"/> is thread-safe.</remarks>
internal sealed class RandomChannelSelector : IChannelSelector
{
    public string Name => SelectorStrategies.Random;

    public int Select(ReadOnlySpan<Channel> candidates)
    {
        var unknown = 0;
        foreach (var channel in candidates)
        {
            if (channel.KeyStatus == HealthStatus.Unknown)
            {
                unknown++;
            }
        }

        if (unknown == 0 || unknown == candidates.Length)
        {
            return System.Random.Shared.Next(candidates.Length);
        }

        var pick = System.Random.Shared.Next(unknown);
        for (var i = 0; i < candidates.Length; i++)
        {
            if (candidates[i].KeyStatus == HealthStatus.Unknown && pick-- == 0)
            {
                return i;
            }
        }

        return 0; // Unreachable unless health changed between the passes; any candidate is fine then.
    }
}
