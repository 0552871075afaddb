using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Portal.Providers.Anthropic;

/// <summary>
/// Typed reads of an Anthropic request's JSON that fail with the client-facing error Anthropic would give
/// (<c>max_tokens: Field required</c>, <c>messages.0.content: Input should be a valid string or list</c>).
/// </summary>
/// <remarks>A JSON <c>null</c> counts as absent, for optional and required fields alike.</remarks>
internal static class AnthropicInboundJson
{
    /// <summary>
    /// How the gateway writes Anthropic JSON: compact, and non-ASCII text of the Basic Multilingual Plane kept as UTF-8
    /// (the bodies are JSON, never HTML, so the relaxed encoder is safe; the same choice as the OpenAI contracts' writer).
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Creates the error for a request the client got wrong.</summary>
    /// <param name="message">The message, naming the field.</param>
    /// <returns>The exception, to throw.</returns>
    public static PortalException Invalid(string message) => new(PortalErrorCode.InvalidRequest, message);

    /// <summary>Gets a field's value, unless it is absent or <c>null</c>.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <param name="value">The value.</param>
    /// <returns>Whether the field has a non-null value.</returns>
    public static bool TryGet(JsonElement obj, string name, out JsonElement value) =>
        obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>Whether a field is present with a non-null value.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <returns><see langword="true"/> when the field carries a value.</returns>
    public static bool Has(JsonElement obj, string name) => TryGet(obj, name, out _);

    /// <summary>Reads a required string field.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <param name="at">Where <paramref name="obj"/> is.</param>
    /// <param name="parent">The field of <paramref name="at"/> that holds <paramref name="obj"/> (such as <c>source</c>), when it is nested.</param>
    /// <returns>The string.</returns>
    /// <exception cref="PortalException">The field is absent or not a string.</exception>
    public static string RequiredString(JsonElement obj, string name, AnthropicInboundPath at, string? parent = null) =>
        TryGet(obj, name, out var value)
            ? String(value, at, Label(name, parent))
            : throw Invalid($"{at.Field(Label(name, parent))}: Field required");

    /// <summary>Reads an optional string field.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <param name="at">Where <paramref name="obj"/> is.</param>
    /// <param name="parent">The field of <paramref name="at"/> that holds <paramref name="obj"/>, when it is nested.</param>
    /// <returns>The string, or <see langword="null"/> when absent.</returns>
    /// <exception cref="PortalException">The field is not a string.</exception>
    public static string? OptionalString(JsonElement obj, string name, AnthropicInboundPath at, string? parent = null) =>
        TryGet(obj, name, out var value) ? String(value, at, Label(name, parent)) : null;

    /// <summary>Reads an optional boolean field.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <param name="at">Where <paramref name="obj"/> is.</param>
    /// <returns>The boolean, or <see langword="null"/> when absent.</returns>
    /// <exception cref="PortalException">The field is not a boolean.</exception>
    public static bool? OptionalBool(JsonElement obj, string name, AnthropicInboundPath at)
    {
        if (!TryGet(obj, name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid($"{at.Field(name)}: Input should be a valid boolean"),
        };
    }

    /// <summary>Reads an optional number field.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <param name="at">Where <paramref name="obj"/> is.</param>
    /// <returns>The number, or <see langword="null"/> when absent.</returns>
    /// <exception cref="PortalException">The field is not a number.</exception>
    public static double? OptionalNumber(JsonElement obj, string name, AnthropicInboundPath at) =>
        !TryGet(obj, name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) ? number
        : throw Invalid($"{at.Field(name)}: Input should be a valid number");

    /// <summary>Reads a required object field.</summary>
    /// <param name="obj">The object.</param>
    /// <param name="name">The field name.</param>
    /// <param name="at">Where <paramref name="obj"/> is.</param>
    /// <returns>The object.</returns>
    /// <exception cref="PortalException">The field is absent or not an object.</exception>
    public static JsonElement RequiredObject(JsonElement obj, string name, AnthropicInboundPath at) =>
        !TryGet(obj, name, out var value) ? throw Invalid($"{at.Field(name)}: Field required")
        : value.ValueKind == JsonValueKind.Object ? value
        : throw Invalid($"{at.Field(name)}: Input should be a valid dictionary");

    /// <summary>Checks that a value is an object.</summary>
    /// <param name="value">The value.</param>
    /// <param name="at">Where it is.</param>
    /// <exception cref="PortalException">It is not an object.</exception>
    public static void EnsureObject(JsonElement value, AnthropicInboundPath at)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid($"{at}: Input should be a valid dictionary");
        }
    }

    /// <summary>Writes a JSON value compactly (the whitespace of the client's JSON removed), as text.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The compact JSON.</returns>
    public static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string String(JsonElement value, AnthropicInboundPath at, string label) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Invalid($"{at.Field(label)}: Input should be a valid string");

    private static string Label(string name, string? parent) => parent is null ? name : $"{parent}.{name}";
}
