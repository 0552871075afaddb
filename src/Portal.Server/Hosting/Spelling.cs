namespace Portal.Server.Hosting;

/// <summary>"Did you mean ...?" for settings, options and commands: the known name closest to a misspelt one.</summary>
internal static class Spelling
{
    /// <summary>
    /// The candidate closest to <paramref name="typed"/>, ignoring case, when it is close enough to be what was meant:
    /// at most 2 edits apart, or a third of its length for long names; <see langword="null"/> otherwise.
    /// </summary>
    /// <remarks>Edits are insertions, deletions, substitutions and swaps of neighbours (optimal string alignment distance).</remarks>
    public static T? Closest<T>(string typed, IEnumerable<T> candidates, Func<T, string> name)
        where T : class
    {
        T? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            if (CloseDistance(typed, name(candidate)) is { } distance && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>How many edits apart two names are, when that is close enough for a suggestion; <see langword="null"/> otherwise.</summary>
    public static int? CloseDistance(string typed, string known)
    {
        var distance = Distance(typed, known);
        return distance <= Math.Max(2, known.Length / 3) ? distance : null;
    }

    /// <inheritdoc cref="Closest{T}(string, IEnumerable{T}, Func{T, string})"/>
    public static string? Closest(string typed, IEnumerable<string> candidates) => Closest(typed, candidates, c => c);

    internal static int Distance(string a, string b)
    {
        // Three rows of the dynamic-programming table: two back for swaps.
        var before = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1
                    && char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 2])
                    && char.ToUpperInvariant(a[i - 2]) == char.ToUpperInvariant(b[j - 1]))
                {
                    current[j] = Math.Min(current[j], before[j - 2] + 1);
                }
            }

            (before, previous, current) = (previous, current, before);
        }

        return previous[b.Length];
    }
}
