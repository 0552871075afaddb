using System.Buffers;

namespace Portal.Server.Cors;

/// <summary>Which web pages may call the client API from a browser (CORS), bound from <c>Portal:Cors</c>.</summary>
public sealed class CorsOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Cors";

    /// <summary>Any origin, when listed in <see cref="AllowedOrigins"/>.</summary>
    public const string AnyOrigin = "*";

    // What may not follow "scheme://" in an origin: a path, query, fragment, user info, or a wildcard host.
    private static readonly SearchValues<char> NotInOrigin = SearchValues.Create("/?#@\\*");

    /// <summary>
    /// The origins (<c>scheme://host[:port]</c>, such as <c>https://app.example.com</c>) whose pages may call the client
    /// API (<c>/v1/...</c>) with a client token, or <c>*</c> for any origin. Never the admin API or the public endpoints.
    /// Takes effect only when <c>Portal:Auth:ClientTokens</c> is set: without client tokens Portal answers only local
    /// requests.
    /// </summary>
    /// <value>The default is empty: no browser page of another origin may call the gateway.</value>
    public IList<string> AllowedOrigins { get; } = [];

    internal IEnumerable<string> Validate()
    {
        for (var i = 0; i < AllowedOrigins.Count; i++)
        {
            var key = $"{SectionName}:AllowedOrigins:{i}";
            var origin = AllowedOrigins[i];
            if (string.IsNullOrWhiteSpace(origin))
            {
                yield return $"{key}: the origin is empty; remove it or write one such as https://app.example.com.";
            }
            else if (origin != AnyOrigin && !TryNormalize(origin, out _))
            {
                yield return $"{key}: '{origin}' is not an origin; write scheme://host[:port] with http or https and nothing after it "
                    + "(no path, not even a trailing /), such as https://app.example.com, or * for any origin.";
            }
        }
    }

    /// <summary>
    /// Reads an origin as a browser sends it in the <c>Origin</c> header: an absolute http or https URL with a host, an
    /// optional port and nothing else. The result has a lower-case scheme and host and no default port.
    /// </summary>
    internal static bool TryNormalize(string origin, out string normalized)
    {
        normalized = "";
        var schemeEnd = origin.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0
            || origin.AsSpan(schemeEnd + 3).IndexOfAny(NotInOrigin) >= 0
            || origin.Any(char.IsWhiteSpace)
            || !Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }

        normalized = uri.GetLeftPart(UriPartial.Authority);
        return true;
    }
}
