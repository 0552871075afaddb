namespace Portal.Selection;

/// <summary>Chooses one channel among the usable candidates of a request.</summary>
/// <remarks>
/// Implementations are called concurrently from many requests and must be thread-safe. They should not allocate:
/// selection runs once per upstream attempt. The gateway calls <see cref="Select(in ChannelSelection)"/>, which sees the
/// request and each candidate's load; a selector written against the candidates alone implements only
/// <see cref="Select(ReadOnlySpan{Channel})"/>.
/// </remarks>
public interface IChannelSelector
{
    /// <summary>The strategy's name, as used in <see cref="PortalOptions.SelectorStrategy"/>.</summary>
    string Name { get; }

    /// <summary>Chooses a channel from the candidates alone.</summary>
    /// <param name="candidates">The usable channels not yet tried by this request; never empty.</param>
    /// <returns>The index of the chosen channel in <paramref name="candidates"/>.</returns>
    int Select(ReadOnlySpan<Channel> candidates);

    /// <summary>Chooses a channel knowing the request and the candidates' load.</summary>
    /// <param name="selection">The candidates, the request and what routing knows about each candidate.</param>
    /// <returns>The index of the chosen channel in <see cref="ChannelSelection.Candidates"/>.</returns>
    int Select(in ChannelSelection selection) => Select(selection.Candidates);
}

/// <summary>The names of the built-in selection strategies.</summary>
public static class SelectorStrategies
{
    /// <summary>Uniformly random, preferring channels whose key has never been used (health Unknown). The default.</summary>
    public const string Random = "random";

    /// <summary>Least recently used channel first; channels never used come first of all.</summary>
    public const string Lru = "lru";
}
