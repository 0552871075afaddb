using Portal.Providers;

namespace Portal.Storage.Configuration.Internal;

/// <summary>The platform formats a configuration file may name: the one list to extend when Portal gains a format.</summary>
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
}
