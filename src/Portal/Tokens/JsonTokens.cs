using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Portal.Tokens;

/// <summary>Counts the tokens of JSON strings and JSON values without building .NET strings for them.</summary>
/// <remarks>Text is unescaped or transcoded into pooled buffers; nothing is allocated per call beyond the tokenizer's own work.</remarks>
internal static class JsonTokens
{
    /// <summary>Counts the tokens of the string the reader is on, unescaped.</summary>
    /// <param name="reader">A reader over a single span, positioned on a string token.</param>
    /// <returns>The number of tokens.</returns>
    /// <exception cref="InvalidOperationException">The string is not valid UTF-8 or holds a lone surrogate escape.</exception>
    public static int CountString(ref Utf8JsonReader reader)
    {
        var raw = reader.ValueSpan;
        if (raw.IsEmpty)
        {
            return 0;
        }

        // UTF-16 never needs more code units than UTF-8 needs bytes, and unescaping only shortens.
        var chars = ArrayPool<char>.Shared.Rent(raw.Length);
        try
        {
            var length = reader.CopyString(chars);
            return TokenEstimator.CountText(chars.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>Counts the tokens of a JSON value written compactly: its text with the whitespace between tokens removed.</summary>
    /// <param name="json">One JSON value, as UTF-8 (valid JSON; strings keep the escapes they were written with).</param>
    /// <returns>The number of tokens.</returns>
    /// <remarks>A client's indentation would otherwise count; a platform renders tool schemas and inputs in its own layout.</remarks>
    public static int CountCompact(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return 0;
        }

        var compact = ArrayPool<byte>.Shared.Rent(json.Length);
        char[]? chars = null;
        try
        {
            var length = Compact(json, compact);
            chars = ArrayPool<char>.Shared.Rent(length);
            var count = Encoding.UTF8.GetChars(compact.AsSpan(0, length), chars);
            return TokenEstimator.CountText(chars.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(compact);
            if (chars is not null)
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }

    /// <summary>Copies <paramref name="json"/> without the whitespace outside its strings.</summary>
    private static int Compact(ReadOnlySpan<byte> json, Span<byte> destination)
    {
        var written = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in json)
        {
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == (byte)'\\')
                {
                    escaped = true;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }
            else if (b == (byte)'"')
            {
                inString = true;
            }

            destination[written++] = b;
        }

        return written;
    }
}
