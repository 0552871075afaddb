using System.Buffers;
using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Writes a non-streamed chat completion as an Anthropic Message (the rules are on <see cref="AnthropicInbound"/>).</summary>
internal static class AnthropicInboundResponseWriter
{
    /// <summary>Writes the Message JSON.</summary>
    /// <param name="response">The chat completion; only its first choice is converted.</param>
    /// <param name="model">The model as the client named it.</param>
    /// <returns>The UTF-8 JSON.</returns>
    public static byte[] Write(ChatCompletionResponse response, string model)
    {
        var choice = response.Choices.Count > 0 ? response.Choices[0] : null;
        var message = choice?.Message;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, AnthropicInboundJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, AnthropicInboundWire.MessageId(response.Id));
            writer.WriteString("type"u8, "message"u8);
            writer.WriteString("role"u8, "assistant"u8);
            writer.WriteString("model"u8, model);
            writer.WriteStartArray("content"u8);
            WriteText(writer, message?.Content?.Text);
            WriteText(writer, message?.Refusal);
            var toolUses = WriteToolUses(writer, message?.ToolCalls);
            writer.WriteEndArray();
            writer.WriteString("stop_reason"u8, AnthropicInboundWire.StopReason(choice?.FinishReason, toolUses > 0));
            writer.WriteNull("stop_sequence"u8);
            AnthropicInboundUsage.From(response.Usage).WriteTo(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteText(Utf8JsonWriter writer, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type"u8, "text"u8);
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    }

    /// <summary>Writes a <c>tool_use</c> block per function call; other tool call types are skipped (none were offered).</summary>
    private static int WriteToolUses(Utf8JsonWriter writer, IList<ToolCall>? calls)
    {
        var written = 0;
        foreach (var call in calls ?? [])
        {
            if (call.Function is not { } function)
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_use"u8);
            writer.WriteString("id"u8, string.IsNullOrEmpty(call.Id) ? AnthropicInboundWire.NewToolUseId() : call.Id);
            writer.WriteString("name"u8, function.Name ?? "");
            writer.WritePropertyName("input"u8);
            WriteInput(writer, function.Arguments);
            writer.WriteEndObject();
            written++;
        }

        return written;
    }

    /// <summary>Writes the arguments when they are a JSON object, otherwise <c>{}</c> (Anthropic's <c>input</c> is always an object).</summary>
    private static void WriteInput(Utf8JsonWriter writer, string? arguments)
    {
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                using var document = JsonDocument.Parse(arguments);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    document.RootElement.WriteTo(writer);
                    return;
                }
            }
            catch (JsonException)
            {
                // Not JSON: written as an empty object, as documented.
            }
        }

        writer.WriteStartObject();
        writer.WriteEndObject();
    }
}
