using Portal.Providers;

namespace Portal.Storage.Configuration.Internal;

/// <summary>
/// The platform formats a configuration file may name, the one list to extend when Portal gains a format, and the
/// one rule for a platform's base URL. The admin API uses both (adding the formats of adapters registered in DI).
/// </summary>
internal static class ConfigFormats
{
    /// <summary>The known formats, in their canonical spelling.</summary>
    public static readonly IReadOnlyList<string> Known = [PlatformFormats.OpenAI, PlatformFormats.Mock];

    /// <summary>Returns the canonical spelling of a known format (compared ignoring case, as the gateway resolves adapters), or <see langword="null"/>.</summary>
    public static string? Canonical(string format)
    {
        foreach (var known in Known)
        {
            if (string.Equals(known, format, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="baseUrl"/> suits a platform of <paramref name="format"/> (canonical): an absolute http or https URL; a mock platform also accepts <c>mock://local?latency=…</c>.</summary>
    public static bool IsBaseUrl(string format, string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps || (format == PlatformFormats.Mock && uri.Scheme == "mock"));

    /// <summary>The schemes <see cref="IsBaseUrl"/> accepts for <paramref name="format"/>, in words for messages: "mock, http or https" or "http or https".</summary>
    public static string BaseUrlSchemes(string format) => format == PlatformFormats.Mock ? "mock, http or https" : "http or https";
}
