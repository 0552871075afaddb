namespace Portal.Selection;

/// <summary>Picks uniformly at random, among the channels whose key is untried when there are any.</summary>
/// <remarks>Two passes over the span, no allocation; randomness from the gateway's source (<see cref="PortalOptions.Random"/>).</remarks>
internal sealed class RandomChannelSelector : IChannelSelector, DependencyInjection.IBuiltIn
{
    public string Name => SelectorStrategies.Random;

    public int Select(ReadOnlySpan<Channel> candidates)
    {
        var range = Range(candidates, out var untriedOnly);
        return Map(candidates, System.Random.Shared.Next(range), untriedOnly);
    }

    public int Select(in ChannelSelection selection)
    {
        var range = Range(selection.Candidates, out var untriedOnly);
        return Map(selection.Candidates, selection.NextRandom(range), untriedOnly);
    }

    /// <summary>How many candidates the draw is among: those with an untried key when some (not all) have one, else all.</summary>
    private static int Range(ReadOnlySpan<Channel> candidates, out bool untriedOnly)
    {
        var unknown = 0;
        foreach (var channel in candidates)
        {
            if (channel.KeyStatus == HealthStatus.Unknown)
            {
                unknown++;
            }
        }

        untriedOnly = unknown > 0 && unknown < candidates.Length;
        return untriedOnly ? unknown : candidates.Length;
    }

    /// <summary>The index of the <paramref name="pick"/>-th candidate of the range.</summary>
    private static int Map(ReadOnlySpan<Channel> candidates, int pick, bool untriedOnly)
    {
        if (!untriedOnly)
        {
            return pick;
        }

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
