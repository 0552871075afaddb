using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Reads an Anthropic Message as a contract response (see <see cref="AnthropicOutbound.FromAnthropic(ReadOnlySpan{byte}, long)"/>).</summary>
/// <remarks>
/// <c>text</c> blocks are concatenated into <c>content</c>, <c>thinking</c> blocks into <c>reasoning_content</c>, and
/// <c>tool_use</c> blocks become function <c>tool_calls</c>. Other blocks (<c>redacted_thinking</c>, server tool blocks,
/// types added later) are skipped.
/// </remarks>
internal static class AnthropicOutboundResponse
{
    private const string What = "a response";

    /// <summary>Tool arguments as compact JSON, with non-ASCII text kept as UTF-8 (see <see cref="AnthropicOutboundRequest"/>).</summary>
    private static readonly JsonWriterOptions CompactOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc cref="AnthropicOutbound.FromAnthropic(ReadOnlySpan{byte}, long, out AnthropicOutboundUsage)"/>
    public static ChatCompletionResponse Read(ReadOnlySpan<byte> json, long created, out AnthropicOutboundUsage usage)
    {
        using var document = AnthropicOutboundMapping.ParseObject(json, What);
        var root = document.RootElement;
        var type = AnthropicOutboundMapping.StringOf(root, "type");
        if (type == "error")
        {
            throw AnthropicOutboundMapping.Error(root);
        }

        if (type != "message" || !root.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream sent a response that is not an Anthropic Message (type \"message\" with a content array).");
        }

        var message = ReadContent(content);
        usage = root.TryGetProperty("usage", out var counts) ? default(AnthropicOutboundUsage).With(counts) : default;
        return new ChatCompletionResponse
        {
            Id = AnthropicOutboundMapping.StringOf(root, "id") ?? "",
            Created = created,
            Model = AnthropicOutboundMapping.StringOf(root, "model") ?? "",
            Choices =
            {
                new ChatChoice
                {
                    Message = message,
                    FinishReason = AnthropicOutboundMapping.FinishReason(AnthropicOutboundMapping.StringOf(root, "stop_reason")),
                },
            },
            Usage = usage.ToUsage(),
        };
    }

    private static ChatMessage ReadContent(JsonElement content)
    {
        StringBuilder? text = null, reasoning = null;
        List<ToolCall>? calls = null;
        foreach (var block in content.EnumerateArray())
        {
            if (block.ValueKind != JsonValueKind.Object)
            {
                throw AnthropicOutboundMapping.Protocol("Upstream sent a response whose content holds something other than blocks.");
            }

            switch (AnthropicOutboundMapping.StringOf(block, "type"))
            {
                case "text":
                    (text ??= new StringBuilder()).Append(AnthropicOutboundMapping.StringOf(block, "text"));
                    break;
                case "thinking":
                    (reasoning ??= new StringBuilder()).Append(AnthropicOutboundMapping.StringOf(block, "thinking"));
                    break;
                case "tool_use":
                    (calls ??= []).Add(ReadToolUse(block));
                    break;
                default:
                    break;
            }
        }

        return new ChatMessage
        {
            Role = "assistant",
            Content = text?.ToString(),
            ToolCalls = calls,
            ReasoningContent = reasoning?.ToString(),
        };
    }

    private static ToolCall ReadToolUse(JsonElement block)
    {
        var id = AnthropicOutboundMapping.StringOf(block, "id");
        var name = AnthropicOutboundMapping.StringOf(block, "name");
        if (id is null || name is null || !block.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream sent a tool_use block without an id, a name and an input object.");
        }

        return new ToolCall
        {
            Id = id,
            Type = "function",
            Function = new FunctionCall { Name = name, Arguments = Compact(input) },
        };
    }

    private static string Compact(JsonElement input)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, CompactOptions))
        {
            input.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
