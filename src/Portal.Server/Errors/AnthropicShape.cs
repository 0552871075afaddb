using System.Text.Encodings.Web;
using System.Text.Json;
using Portal.Providers.Anthropic;

namespace Portal.Server.Errors;

/// <summary>Errors in Anthropic's shape, for Anthropic's clients: <c>{"type":"error","error":{"type":"not_found_error","message":"…"}}</c>.</summary>
internal static class AnthropicShape
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether a request is an Anthropic client's: a path under <c>/v1/messages</c>, or an <c>anthropic-version</c> header.</summary>
    public static bool Applies(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/v1/messages", StringComparison.OrdinalIgnoreCase)
        || context.Request.Headers.ContainsKey(MessagesHeaders.Version);

    /// <summary>The error body for <paramref name="status"/> (its type from <see cref="AnthropicErrors.TypeOf"/>).</summary>
    public static byte[] Body(int status, string message)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "error"u8);
            json.WriteStartObject("error"u8);
            json.WriteString("type"u8, AnthropicErrors.TypeOf(status));
            json.WriteString("message"u8, ClientText.Cut(message, ClientText.MaxMessage));
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An <c>error</c> event that ends a broken stream: <c>event: error\ndata: {…}\n\n</c>.</summary>
    public static byte[] ErrorEvent(PortalException exception)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        AnthropicEventEncoder.WriteError(buffer, AnthropicErrors.TypeOf(ApiError.From(exception).Status), ClientText.Cut(exception.Message, ClientText.MaxMessage));
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The Anthropic headers a Messages request may carry.</summary>
internal static class MessagesHeaders
{
    /// <summary>The API version; forwarded to Anthropic platforms.</summary>
    public const string Version = "anthropic-version";

    /// <summary>Beta features; forwarded to Anthropic platforms.</summary>
    public const string Beta = "anthropic-beta";
}
