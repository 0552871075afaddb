using System.Text.Json;

namespace Portal.Providers.Anthropic;

/// <summary>The Anthropic values that map one to one onto the contract: stop reasons and error types.</summary>
internal static class AnthropicOutboundMapping
{
    /// <summary>The contract's <c>finish_reason</c> for an Anthropic <c>stop_reason</c>.</summary>
    /// <param name="stopReason">The stop reason, or <see langword="null"/> while the message is not finished.</param>
    /// <returns>
    /// <c>stop</c> for <c>end_turn</c>, <c>stop_sequence</c> and <c>pause_turn</c>; <c>length</c> for <c>max_tokens</c> and
    /// <c>model_context_window_exceeded</c>; <c>tool_calls</c> for <c>tool_use</c>; <c>content_filter</c> for <c>refusal</c>;
    /// <see langword="null"/> for <see langword="null"/>. An unknown reason is <c>stop</c>: OpenAI clients reject values
    /// outside their enumeration, and the message did end.
    /// </returns>
    public static string? FinishReason(string? stopReason) => stopReason switch
    {
        null => null,
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    /// <summary>The failure an Anthropic error object (<c>{"type": "error", "error": {"type", "message"}}</c>) stands for.</summary>
    /// <param name="body">The whole error object.</param>
    /// <returns>An <see cref="UpstreamErrorKind.Http"/> failure whose status comes from the error type and whose message is the error's.</returns>
    public static UpstreamException Error(JsonElement body) =>
        AnthropicErrors.FromError(body.TryGetProperty("error", out var error) ? error : default, status: null, key: null, retryAfter: null);

    /// <summary>The client's mistake, found while converting its request: the request can't be sent to any platform.</summary>
    public static PortalException InvalidRequest(string message) => new(PortalErrorCode.InvalidRequest, message);

    /// <summary>A failure of kind <see cref="UpstreamErrorKind.Protocol"/>: the answer is not what Anthropic documents.</summary>
    public static UpstreamException Protocol(string message, Exception? innerException = null) =>
        new(UpstreamErrorKind.Protocol, message, innerException: innerException);

    /// <summary>Parses one JSON object from <paramref name="json"/>, rejecting anything else, including trailing data.</summary>
    /// <param name="json">The UTF-8 JSON.</param>
    /// <param name="what">What the JSON is, for the message: "a response", "an event".</param>
    /// <returns>The document, which the caller disposes.</returns>
    /// <exception cref="UpstreamException">The JSON is malformed or not an object.</exception>
    public static JsonDocument ParseObject(ReadOnlySpan<byte> json, string what)
    {
        JsonDocument? document = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);

            // Anything but whitespace after the value makes Read throw; it returns false at the end.
            if (reader.Read())
            {
                throw new JsonException("Data after the JSON value.");
            }
        }
        catch (JsonException ex)
        {
            document?.Dispose();
            throw Protocol($"Upstream sent {what} that is not valid JSON (at byte {ex.BytePositionInLine ?? 0} of line {(ex.LineNumber ?? 0) + 1}).", ex);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            throw Protocol($"Upstream sent {what} that is a JSON {kind}, not an object.");
        }

        return document;
    }

    /// <summary>A string property, or <see langword="null"/> when it is absent or not a string.</summary>
    public static string? StringOf(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
