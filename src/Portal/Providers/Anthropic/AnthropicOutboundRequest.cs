using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Writes an Anthropic Messages request body from a contract request (see <see cref="AnthropicOutbound.ToAnthropic"/>).</summary>
internal static class AnthropicOutboundRequest
{
    /// <summary>
    /// Non-ASCII text of the Basic Multilingual Plane kept as UTF-8 instead of <c>\uXXXX</c> escapes, as the gateway's
    /// contract JSON does (<c>WireJson</c>); the body is JSON, never HTML, so the relaxed encoder is safe.
    /// </summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc cref="AnthropicOutbound.ToAnthropic"/>
    public static byte[] Write(ChatCompletionRequest request, string upstreamModel, bool stream, int defaultMaxTokens)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("model", upstreamModel);
            writer.WriteNumber("max_tokens", request.MaxCompletionTokens ?? request.MaxTokens ?? defaultMaxTokens);
            AnthropicOutboundMessages.WriteSystem(writer, request.Messages);
            AnthropicOutboundMessages.WriteMessages(writer, request.Messages);
            AnthropicOutboundTools.Write(writer, request);
            WriteSampling(writer, request);
            // Anthropic's user_id serves what OpenAI's user and its successor safety_identifier serve: abuse detection.
            if ((string.IsNullOrEmpty(request.User) ? request.SafetyIdentifier : request.User) is { Length: > 0 } user)
            {
                writer.WriteStartObject("metadata");
                writer.WriteString("user_id", user);
                writer.WriteEndObject();
            }

            if (stream)
            {
                writer.WriteBoolean("stream", true);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteSampling(Utf8JsonWriter writer, ChatCompletionRequest request)
    {
        if (request.Temperature is { } temperature)
        {
            // OpenAI accepts 0 to 2, Anthropic 0 to 1: a higher temperature is sent as Anthropic's highest.
            writer.WriteNumber("temperature", Math.Clamp(temperature, 0, 1));
        }

        if (request.TopP is { } topP)
        {
            writer.WriteNumber("top_p", topP);
        }

        // OpenAI has no top_k; clients of OpenAI-compatible servers send it as an extra field.
        if (request.AdditionalProperties?.TryGetValue("top_k", out var topK) == true
            && topK.ValueKind == JsonValueKind.Number && topK.TryGetInt32(out var k))
        {
            writer.WriteNumber("top_k", k);
        }

        if (request.Stop is { Values.Count: > 0 } stop)
        {
            writer.WriteStartArray("stop_sequences");
            foreach (var sequence in stop.Values)
            {
                writer.WriteStringValue(sequence);
            }

            writer.WriteEndArray();
        }
    }
}
