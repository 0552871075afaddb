namespace Portal.Selection;

/// <summary>Chooses one channel among the usable candidates of a request.</summary>
/// <remarks>
/// Implementations are called concurrently from many requests and must be thread-safe. They should not allocate:
/// selection runs once per upstream attempt.
/// </remarks>
public interface IChannelSelector
{
    /// <summary>The strategy's name, as used in <see cref="PortalOptions.SelectorStrategy"/>.</summary>
    string Name { get; }

    /// <summary>Chooses a channel.</summary>
    /// <param name="candidates">The usable channels not yet tried by this request; never empty.</param>
    /// <returns>The index of the chosen channel in <paramref name="candidates"/>.</returns>
    int Select(ReadOnlySpan<Channel> candidates);
}

/// <summary>The names of the built-in selection strategies.</summary>
public static class SelectorStrategies
{
    /// <summary>Uniformly random, preferring channels whose key has never been used (health Unknown). The default.</summary>
    public const string Random = "random";

    /// <summary>Least recently used channel first; channels never used come first of all.</summary>
    public const string Lru = "lru";
}
