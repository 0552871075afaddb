using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Portal.Providers;

/// <summary>The platform formats a gateway speaks: one <see cref="IProviderAdapter"/> per format, the only list of formats there is.</summary>
/// <remarks>
/// Everything that names or checks a format asks the catalog: the gateway when it routes, <c>portal.json</c> import, the
/// admin API, <c>config validate</c> and the error messages that list the known formats. Formats compare ignoring case;
/// <see cref="Formats"/> holds their canonical spelling (the adapter's <see cref="IProviderAdapter.Format"/>).
/// Thread-safe and immutable.
/// </remarks>
public sealed class ProviderCatalog
{
    private readonly FrozenDictionary<string, IProviderAdapter> _adapters;

    /// <summary>Creates a catalog of <paramref name="adapters"/>; of two adapters for one format, the later one wins.</summary>
    /// <param name="adapters">The adapters, built-in ones first.</param>
    public ProviderCatalog(IEnumerable<IProviderAdapter> adapters)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        var byFormat = new Dictionary<string, IProviderAdapter>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (var adapter in adapters)
        {
            ArgumentNullException.ThrowIfNull(adapter, nameof(adapters));
            ArgumentException.ThrowIfNullOrWhiteSpace(adapter.Format, nameof(adapters));
            if (byFormat.TryGetValue(adapter.Format, out var replaced))
            {
                order.Remove(replaced.Format);
            }

            byFormat[adapter.Format] = adapter;
            order.Add(adapter.Format);
        }

        _adapters = byFormat.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Formats = [.. order];
    }

    /// <summary>The formats, in their canonical spelling, in registration order.</summary>
    public IReadOnlyList<string> Formats { get; }

    /// <summary>The formats as a message lists them: <c>openai, mock</c>.</summary>
    public string Describe() => string.Join(", ", Formats);

    /// <summary>Finds the adapter of a format (ignoring case).</summary>
    /// <param name="format">The format.</param>
    /// <param name="adapter">The adapter, when there is one.</param>
    /// <returns>Whether the format is known.</returns>
    public bool TryGet(string format, [NotNullWhen(true)] out IProviderAdapter? adapter) => _adapters.TryGetValue(format, out adapter);

    /// <summary>The canonical spelling of a known format (compared ignoring case), or <see langword="null"/> when it is unknown.</summary>
    /// <param name="format">The format as written.</param>
    /// <returns>The adapter's spelling, or <see langword="null"/>.</returns>
    public string? Canonical(string format) => _adapters.TryGetValue(format, out var adapter) ? adapter.Format : null;

    /// <summary>Checks a platform's format and base URL together.</summary>
    /// <param name="format">The platform's format.</param>
    /// <param name="baseUrl">The platform's base URL.</param>
    /// <returns>Why they are not acceptable, as a sentence fragment (<c>must be an absolute http or https URL</c>); <see langword="null"/> when they are.</returns>
    public string? CheckBaseUrl(string format, string baseUrl) =>
        _adapters.TryGetValue(format, out var adapter)
            ? adapter.CheckBaseUrl(baseUrl)
            : $"cannot be checked: the format '{format}' is unknown (known: {Describe()})";

    /// <summary>The adapter of a format that routing has checked exists.</summary>
    internal IProviderAdapter Get(string format) => _adapters[format];

    /// <summary>This catalog with <paramref name="adapters"/> added after its own (replacing those of the same format); this catalog itself when they are in it already.</summary>
    internal ProviderCatalog With(IReadOnlyList<IProviderAdapter> adapters)
    {
        foreach (var adapter in adapters)
        {
            if (adapter is null || !_adapters.TryGetValue(adapter.Format ?? "", out var current) || !ReferenceEquals(current, adapter))
            {
                return new ProviderCatalog(Formats.Select(Get).Concat(adapters));
            }
        }

        return this;
    }

    /// <summary>The rule most formats share: an absolute http or https URL.</summary>
    /// <param name="baseUrl">The URL.</param>
    /// <returns>Why it is not acceptable, or <see langword="null"/>.</returns>
    public static string? CheckHttpUrl(string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? null
            : "must be an absolute http or https URL";
}

/// <summary>A format whose platforms take a client's OpenAI-shaped request as bytes: the relay forwards it with only <c>model</c> rewritten.</summary>
internal interface IByteRelayProvider
{
    /// <summary>Creates the attempt that sends <paramref name="request"/>'s bytes to <paramref name="channel"/>.</summary>
    Relay.Internal.RelayAttempt CreateRelay(Channel channel, Relay.ChatRelayRequest request);
}

/// <summary>A format whose platforms take a client's Anthropic Messages request as bytes: the relay forwards it with only <c>model</c> rewritten.</summary>
internal interface IMessagesRelayProvider
{
    /// <summary>Creates the attempt that sends <paramref name="request"/>'s bytes to <paramref name="channel"/>.</summary>
    Relay.Internal.MessagesAttempt CreateMessagesRelay(Channel channel, Relay.MessagesRelayRequest request);
}
