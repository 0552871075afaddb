using System.Text.RegularExpressions;

namespace Portal.Providers;

/// <summary>Removes secrets from text that came from an upstream before it reaches a log, a stat or a client.</summary>
/// <remarks>
/// Upstreams echo keys in their errors ("Incorrect API key provided: sk-abc***xyz"). The channel's own key is replaced
/// wherever it appears, and so is anything shaped like a key or a bearer token.
/// </remarks>
public static partial class SecretScrubber
{
    /// <summary>The longest upstream message kept; longer ones are cut.</summary>
    public const int MaxMessageLength = 512;

    /// <summary>Returns <paramref name="text"/> without <paramref name="secret"/> or anything shaped like a key, cut to <see cref="MaxMessageLength"/>.</summary>
    /// <param name="text">Text from an upstream.</param>
    /// <param name="secret">The key used for the call, if any.</param>
    /// <returns>The scrubbed text.</returns>
    public static string Scrub(string? text, string? secret)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        if (!string.IsNullOrEmpty(secret) && secret.Length >= 4)
        {
            text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        }

        text = KeyPattern().Replace(text, "[redacted]");
        return text.Length <= MaxMessageLength ? text : string.Concat(text.AsSpan(0, MaxMessageLength), "…");
    }

    // Provider key shapes (sk-..., sk-ant-..., AIza..., xai-..., gsk_...) and bearer tokens, also partly masked with '*'.
    [GeneratedRegex(@"(?:\b(?:sk|rk|pk|xai|gsk|key)[-_][A-Za-z0-9_\-\*\.]{6,}|\bAIza[A-Za-z0-9_\-\*]{10,}|(?i:bearer)\s+[A-Za-z0-9_\-\*\.=]{6,})", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
