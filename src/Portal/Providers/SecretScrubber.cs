using System.Text.RegularExpressions;

namespace Portal.Providers;

/// <summary>Removes secrets from text that came from an upstream before it reaches a log, a stat or a client.</summary>
/// <remarks>
/// Upstreams echo keys in their errors ("Incorrect API key provided: sk-abc***xyz"). The channel's own key is replaced
/// wherever it appears (also where only its first or last eight characters do), and so is anything shaped like a key or
/// a bearer token.
/// </remarks>
public static partial class SecretScrubber
{
    /// <summary>The longest upstream message kept; longer ones are cut.</summary>
    public const int MaxMessageLength = 512;

    // A key of at least 16 characters is also redacted where only its first or last 8 characters appear.
    private const int PartialLength = 8;
    private const int MinPartialSecret = PartialLength;

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

            // A partly masked echo ("9f8e7d6c5b4a****b1a0") keeps the key's start or end: redact the whole word holding either.
            if (secret.Length >= MinPartialSecret * 2)
            {
                text = RedactWordsContaining(text, secret.AsSpan(0, PartialLength));
                text = RedactWordsContaining(text, secret.AsSpan(secret.Length - PartialLength));
            }
        }

        text = KeyPattern().Replace(text, "[redacted]");
        return text.Length <= MaxMessageLength ? text : string.Concat(text.AsSpan(0, MaxMessageLength), "…");
    }

    private static string RedactWordsContaining(string text, ReadOnlySpan<char> fragment)
    {
        var at = text.AsSpan().IndexOf(fragment, StringComparison.Ordinal);
        while (at >= 0)
        {
            var start = at;
            while (start > 0 && IsWordChar(text[start - 1]))
            {
                start--;
            }

            var end = at + fragment.Length;
            while (end < text.Length && IsWordChar(text[end]))
            {
                end++;
            }

            text = string.Concat(text.AsSpan(0, start), "[redacted]", text.AsSpan(end));
            var next = text.AsSpan(start + "[redacted]".Length).IndexOf(fragment, StringComparison.Ordinal);
            at = next < 0 ? -1 : start + "[redacted]".Length + next;
        }

        return text;
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '*' or '.' or '…';

    // Provider key shapes (sk-..., sk-ant-..., AIza..., xai-..., gsk_...) and bearer tokens, also partly masked with '*'.
    [GeneratedRegex(@"(?:\b(?:sk|rk|pk|xai|gsk|key)[-_][A-Za-z0-9_\-\*\.]{6,}|\bAIza[A-Za-z0-9_\-\*]{10,}|(?i:bearer)\s+[A-Za-z0-9_\-\*\.=]{6,})", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
