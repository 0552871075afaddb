using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Portal.Providers;

/// <summary>Removes secrets from text that came from an upstream before it reaches a log, a stat or a client.</summary>
/// <remarks>
/// <para>
/// Upstreams echo keys in their errors, and not always as sent: upper-cased, base64-encoded (as in a Basic header),
/// percent-encoded, JSON-escaped, or cut to a fragment ("Incorrect API key provided: sk-abc***xyz"). For the key of the
/// call, every case-insensitive occurrence of any run of <see cref="MinRun"/> or more consecutive characters of the key,
/// or of its base64, base64url, percent-encoded or JSON-escaped form, is redacted; so is any word that starts with more
/// than <see cref="MaxMaskEdge"/> of the key's first characters or ends with more than that many of its last ones (a
/// masked echo such as <c>hunter...5Rt8Vw</c>); a redaction covers the whole word around the match. A mask keeping at most 4 leading and 4 trailing characters, as the
/// admin API shows keys, may stay. Anything else shaped like a provider key or a bearer token is redacted as well.
/// </para>
/// <para>Runs on error paths only; it allocates freely.</para>
/// </remarks>
public static partial class SecretScrubber
{
    /// <summary>The longest upstream message kept; longer ones are cut.</summary>
    public const int MaxMessageLength = 512;

    /// <summary>The shortest run of a key's characters (or of an encoded form) that is redacted wherever it appears.</summary>
    public const int MinRun = 8;

    /// <summary>How many of a key's first or last characters a masked echo may keep.</summary>
    public const int MaxMaskEdge = 4;

    private const string Redacted = "[redacted]";

    private static readonly JavaScriptEncoder[] JsonEncoders = [JavaScriptEncoder.Default, JavaScriptEncoder.UnsafeRelaxedJsonEscaping];

    /// <summary>Returns <paramref name="text"/> without <paramref name="secret"/> (in any of its echoed forms) or anything shaped like a key, cut to <see cref="MaxMessageLength"/>.</summary>
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
            text = RedactForms(text, secret);
            if (secret.Length > MaxMaskEdge * 2)
            {
                text = RedactMaskedWords(text, secret);
            }
        }

        text = KeyPattern().Replace(text, Redacted);
        return text.Length <= MaxMessageLength ? text : string.Concat(text.AsSpan(0, MaxMessageLength), "…");
    }

    /// <summary>Redacts every occurrence (ignoring case) of a form of the key, and of any run of <see cref="MinRun"/> characters of one.</summary>
    private static string RedactForms(string text, string secret)
    {
        var forms = Forms(secret);
        var lower = text.ToLowerInvariant();
        var redact = new bool[text.Length];
        var runs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var form in forms)
        {
            var lowered = form.ToLowerInvariant();
            if (lowered.Length < MinRun)
            {
                // A short key (or form) is redacted only where it appears whole.
                Mark(lower, lowered, redact);
                continue;
            }

            for (var i = 0; i + MinRun <= lowered.Length; i++)
            {
                runs.Add(lowered.Substring(i, MinRun));
            }
        }

        if (runs.Count > 0)
        {
            var lookup = runs.GetAlternateLookup<ReadOnlySpan<char>>();
            for (var i = 0; i + MinRun <= lower.Length; i++)
            {
                if (lookup.Contains(lower.AsSpan(i, MinRun)))
                {
                    redact.AsSpan(i, MinRun).Fill(true);
                }
            }
        }

        ExtendToWords(text, redact);
        return Apply(text, redact);
    }

    /// <summary>Widens each redacted run to the whole word around it: the edges of an encoded echo still carry bits of the key.</summary>
    private static void ExtendToWords(string text, bool[] redact)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!redact[i] || (i > 0 && redact[i - 1]))
            {
                continue;
            }

            for (var left = i - 1; left >= 0 && IsWordChar(text[left]); left--)
            {
                redact[left] = true;
            }

            var right = i;
            while (right < text.Length && redact[right])
            {
                right++;
            }

            for (; right < text.Length && IsWordChar(text[right]); right++)
            {
                redact[right] = true;
            }

            i = right;
        }
    }

    /// <summary>The key as sent and as upstreams re-encode it.</summary>
    private static List<string> Forms(string secret)
    {
        var forms = new List<string> { secret, Uri.EscapeDataString(secret), WebUtility.UrlEncode(secret) };
        forms.Add(secret.Replace("/", "\\/", StringComparison.Ordinal));
        foreach (var encoder in JsonEncoders)
        {
            forms.Add(JsonEncodedText.Encode(secret, encoder).ToString());
        }

        // Base64 of the key alone and inside a longer value ("Basic base64(user:key)", "Bearer key"): for each of the three
        // alignments, the characters that depend on the key's bytes only.
        var bytes = Encoding.UTF8.GetBytes(secret);
        for (var offset = 0; offset < 3; offset++)
        {
            var padded = new byte[offset + bytes.Length];
            bytes.CopyTo(padded, offset);
            var encoded = Convert.ToBase64String(padded);
            var start = ((offset * 8) + 5) / 6;
            var end = padded.Length * 8 / 6;
            if (end > start)
            {
                var core = encoded[start..end];
                forms.Add(core);
                forms.Add(core.Replace('+', '-').Replace('/', '_'));
            }
        }

        return forms;
    }

    private static void Mark(string lower, string form, bool[] redact)
    {
        for (var at = lower.IndexOf(form, StringComparison.Ordinal); at >= 0; at = lower.IndexOf(form, at + 1, StringComparison.Ordinal))
        {
            redact.AsSpan(at, form.Length).Fill(true);
        }
    }

    /// <summary>Redacts words that keep more of the key's start or end than a mask may: <c>hunter...5Rt8Vw</c>, <c>sk-abc***xyz</c>.</summary>
    private static string RedactMaskedWords(string text, string secret)
    {
        var edge = MaxMaskEdge + 1;
        var head = secret.AsSpan(0, edge);
        var tail = secret.AsSpan(secret.Length - edge);
        var redact = new bool[text.Length];
        var start = 0;
        while (start < text.Length)
        {
            if (!IsWordChar(text[start]))
            {
                start++;
                continue;
            }

            var end = start;
            while (end < text.Length && IsWordChar(text[end]))
            {
                end++;
            }

            var word = text.AsSpan(start, end - start);
            if (word.Contains(head, StringComparison.OrdinalIgnoreCase) || word.Contains(tail, StringComparison.OrdinalIgnoreCase))
            {
                redact.AsSpan(start, end - start).Fill(true);
            }

            start = end;
        }

        return Apply(text, redact);
    }

    /// <summary>Replaces each run of marked characters with one <c>[redacted]</c>.</summary>
    private static string Apply(string text, bool[] redact)
    {
        if (Array.IndexOf(redact, true) < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (!redact[i])
            {
                result.Append(text[i]);
            }
            else if (i == 0 || !redact[i - 1])
            {
                result.Append(Redacted);
            }
        }

        return result.ToString();
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '*' or '.' or '…' or '+' or '/' or '=' or '%';

    // Provider key shapes (sk-..., sk-ant-..., AIza..., xai-..., gsk_...) and bearer tokens, also partly masked with '*'.
    [GeneratedRegex(@"(?:\b(?:sk|rk|pk|xai|gsk|key)[-_][A-Za-z0-9_\-\*\.]{6,}|\bAIza[A-Za-z0-9_\-\*]{10,}|(?i:bearer)\s+[A-Za-z0-9_\-\*\.=]{6,})", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
