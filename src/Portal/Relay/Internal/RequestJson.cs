using System.Text.Json;

namespace Portal.Relay.Internal;

/// <summary>Reads a client's JSON request body in one pass with <see cref="Utf8JsonReader"/>; every protocol's request parses through it.</summary>
internal static class RequestJson
{
    /// <summary>How deeply JSON may nest in a request body.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>Reads a request from a reader positioned before the body's first token.</summary>
    public delegate T BodyReader<T>(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body);

    /// <summary>Validates a request body and reads it with <paramref name="read"/>; JSON and text errors become the client's 400 with a message that says where.</summary>
    /// <exception cref="PortalException">The body is empty, not valid JSON, nests too deeply, or holds invalid text (code <see cref="PortalErrorCode.InvalidRequest"/>).</exception>
    public static T Parse<T>(ReadOnlyMemory<byte> body, BodyReader<T> read)
    {
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw Invalid("The request body is empty: send a JSON object.");
        }

        var reader = new Utf8JsonReader(body.Span, ReaderOptions);
        try
        {
            return read(ref reader, body);
        }
        catch (JsonException ex)
        {
            var message = NestsTooDeep(body.Span)
                ? $"The request body nests JSON deeper than {MaxDepth} levels."
                : $"The request body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).";
            throw new PortalException(PortalErrorCode.InvalidRequest, message, innerException: ex);
        }
        catch (InvalidOperationException ex)
        {
            // A string (or property name) that is not valid UTF-8 or escapes a lone surrogate (\ud800).
            throw new PortalException(PortalErrorCode.InvalidRequest,
                "The request body holds a string that is not valid Unicode text (invalid UTF-8, or a lone surrogate escape such as \\ud800).", innerException: ex);
        }
    }

    /// <summary>Whether the JSON, read up to its first error, nests deeper than <see cref="MaxDepth"/> (only called for invalid bodies).</summary>
    private static bool NestsTooDeep(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= MaxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // The syntax error the first reading hit; the depth reached before it is what counts.
        }

        return false;
    }

    /// <summary>Skips the value the reader is on, checking that every string and property name in it is valid text.</summary>
    /// <remarks>
    /// The reader checks JSON syntax but not the text inside strings: a lone surrogate escape (<c>\ud800</c>) or invalid
    /// UTF-8 passes it and fails later, wherever the string is decoded (in an adapter, a conversion, an upstream). Found
    /// here, it is the client's 400 before any attempt, not an upstream failure.
    /// </remarks>
    public static void SkipChecked(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            CheckText(ref reader);
            return;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            CheckText(ref reader);
        }
    }

    /// <summary>
    /// Throws when the string or property name the reader is on is not valid UTF-8 or escapes a lone surrogate, or when
    /// the number it is on does not fit a double (<c>1e999</c>: it would read as infinity, which no JSON writer accepts).
    /// </summary>
    public static void CheckText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                throw Invalid("The request body holds a number out of range: JSON numbers must fit a 64-bit floating point value.");
            }

            return;
        }

        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
        {
            return;
        }

        // The body is one contiguous buffer, so ValueSpan holds the whole token.
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            if (!System.Text.Unicode.Utf8.IsValid(raw))
            {
                throw new InvalidOperationException("Invalid UTF-8 in a string.");
            }

            return;
        }

        // Unescaping validates both the bytes and the escapes; it throws InvalidOperationException on either.
        char[]? rented = null;
        Span<char> buffer = raw.Length <= 256 ? stackalloc char[raw.Length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            reader.CopyString(buffer);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    public static void Once(bool seen, string name)
    {
        if (seen)
        {
            throw Invalid($"'{name}' appears more than once in the request body.");
        }
    }

    public static PortalException Invalid(string message) => new(PortalErrorCode.InvalidRequest, message);
}
