namespace Portal.Providers.Anthropic;

/// <summary>Collects what a request conversion dropped, each name once, in the order first met.</summary>
/// <remarks>A request names few distinct things, so a list scan beats a set; not thread-safe (one per conversion).</remarks>
internal sealed class AnthropicInboundDrops
{
    private readonly List<string> _names = [];

    /// <summary>What was dropped so far.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Records that something was dropped; a name already recorded is not repeated.</summary>
    /// <param name="name">What was dropped, such as <c>top_k</c> or <c>content: thinking</c>.</param>
    public void Add(string name)
    {
        if (!_names.Contains(name))
        {
            _names.Add(name);
        }
    }
}
