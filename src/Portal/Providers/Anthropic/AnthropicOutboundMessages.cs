using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Writes the contract's conversation as Anthropic's top-level <c>system</c> and its <c>messages</c>.</summary>
/// <remarks>
/// <para>
/// <c>system</c> and <c>developer</c> messages are lifted out of the conversation, wherever they are, into <c>system</c>.
/// Everything else becomes content blocks of <c>user</c> and <c>assistant</c> turns: Anthropic requires the roles to
/// alternate, so blocks of consecutive messages of the same Anthropic role (a run of <c>tool</c> messages and the
/// <c>user</c> message after them, or two <c>user</c> messages) join one turn. A message that yields no block adds no turn.
/// </para>
/// <para>
/// Empty text is left out (Anthropic rejects empty text blocks). Parts Anthropic cannot express are dropped:
/// <c>input_audio</c>, a <c>file</c> given only by <c>file_id</c> or of a media type other than PDF, an image's
/// <c>detail</c>, a message's <c>name</c>, an assistant's <c>reasoning_content</c> (Anthropic needs the signature of a
/// thinking block to take it back, and the contract has none), <c>audio</c>, and tool calls of type <c>custom</c>.
/// </para>
/// </remarks>
internal static class AnthropicOutboundMessages
{
    private const string User = "user";
    private const string Assistant = "assistant";

    /// <summary>Writes the <c>system</c> property: a string for one text, an array of text blocks for several, nothing for none.</summary>
    /// <param name="writer">The writer, inside the request object.</param>
    /// <param name="messages">The whole conversation.</param>
    public static void WriteSystem(Utf8JsonWriter writer, IList<ChatMessage> messages)
    {
        var texts = new List<string>();
        foreach (var message in messages)
        {
            if (message.Role is "system" or "developer")
            {
                AddTexts(message.Content, texts);
            }
        }

        if (texts.Count == 1)
        {
            writer.WriteString("system", texts[0]);
        }
        else if (texts.Count > 1)
        {
            writer.WriteStartArray("system");
            foreach (var text in texts)
            {
                WriteText(writer, text);
            }

            writer.WriteEndArray();
        }
    }

    /// <summary>Writes the <c>messages</c> property.</summary>
    /// <param name="writer">The writer, inside the request object.</param>
    /// <param name="messages">The whole conversation; its system and developer messages are skipped.</param>
    /// <exception cref="PortalException">A message has an unknown role, or a tool call or tool message is malformed.</exception>
    public static void WriteMessages(Utf8JsonWriter writer, IList<ChatMessage> messages)
    {
        writer.WriteStartArray("messages");
        var turns = new Turns(writer);
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var where = $"messages[{i}]";
            switch (message.Role)
            {
                case "system" or "developer":
                    break;
                case User:
                    WriteUser(turns, message.Content, where);
                    break;
                case Assistant:
                    WriteAssistant(turns, message, where);
                    break;
                case "tool":
                    WriteToolResult(turns, message, where);
                    break;
                default:
                    throw AnthropicOutboundMapping.InvalidRequest($"{where}: the role '{message.Role}' is not one of system, developer, user, assistant or tool.");
            }
        }

        turns.End();
        writer.WriteEndArray();
    }

    private static void WriteUser(Turns turns, MessageContent? content, string where)
    {
        if (content?.Parts is not { } parts)
        {
            WriteTextBlock(turns, User, content?.Text);
            return;
        }

        for (var p = 0; p < parts.Count; p++)
        {
            var part = parts[p];
            switch (part.Type)
            {
                case ContentPart.TextType:
                    WriteTextBlock(turns, User, part.Text);
                    break;
                case ContentPart.ImageUrlType when part.ImageUrl is { } image:
                    WriteImage(turns.Block(User), image.Url, $"{where}.content[{p}].image_url.url");
                    break;
                case ContentPart.FileType when part.File?.FileData is { Length: > 0 } data:
                    WriteDocument(turns, data, $"{where}.content[{p}].file.file_data");
                    break;
                default:
                    // input_audio, a file known only by its ID, and types Anthropic has no block for.
                    break;
            }
        }
    }

    private static void WriteImage(Utf8JsonWriter writer, string url, string where)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "image");
        writer.WriteStartObject("source");
        if (AnthropicOutboundDataUrl.IsDataUrl(url))
        {
            var data = AnthropicOutboundDataUrl.Parse(url, where);
            writer.WriteString("type", "base64");
            writer.WriteString("media_type", data.MediaType);
            writer.WriteString("data", data.Data);
        }
        else if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp))
        {
            writer.WriteString("type", "url");
            writer.WriteString("url", url);
        }
        else
        {
            throw AnthropicOutboundMapping.InvalidRequest($"{where}: an image must be an http(s) URL or a base64 data URL.");
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A PDF file becomes a <c>document</c> block; a file of another media type is dropped.</summary>
    /// <remarks>OpenAI sends <c>file_data</c> as a data URL; bare base64 is taken as PDF, the only file type OpenAI accepts.</remarks>
    private static void WriteDocument(Turns turns, string fileData, string where)
    {
        var data = AnthropicOutboundDataUrl.IsDataUrl(fileData)
            ? AnthropicOutboundDataUrl.Parse(fileData, where)
            : new AnthropicOutboundDataUrl("application/pdf", fileData);
        if (data.MediaType != "application/pdf")
        {
            return;
        }

        var writer = turns.Block(User);
        writer.WriteStartObject();
        writer.WriteString("type", "document");
        writer.WriteStartObject("source");
        writer.WriteString("type", "base64");
        writer.WriteString("media_type", data.MediaType);
        writer.WriteString("data", data.Data);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteAssistant(Turns turns, ChatMessage message, string where)
    {
        if (message.Content?.Parts is { } parts)
        {
            foreach (var part in parts)
            {
                WriteTextBlock(turns, Assistant, part.Type switch
                {
                    ContentPart.TextType => part.Text,
                    ContentPart.RefusalType => part.Refusal,
                    _ => null,
                });
            }
        }
        else
        {
            WriteTextBlock(turns, Assistant, message.Content?.Text);
        }

        WriteTextBlock(turns, Assistant, message.Refusal);
        if (message.ToolCalls is not { } calls)
        {
            return;
        }

        for (var c = 0; c < calls.Count; c++)
        {
            WriteToolUse(turns, calls[c], $"{where}.tool_calls[{c}]");
        }
    }

    private static void WriteToolUse(Turns turns, ToolCall call, string where)
    {
        if (call.Function is not { } function)
        {
            // A custom tool call has no Anthropic counterpart; any other call without a function is malformed.
            if (call.Type == "custom")
            {
                return;
            }

            throw AnthropicOutboundMapping.InvalidRequest($"{where}: a tool call must have a function.");
        }

        if (string.IsNullOrEmpty(call.Id) || string.IsNullOrEmpty(function.Name))
        {
            throw AnthropicOutboundMapping.InvalidRequest($"{where}: a tool call must have an id and a function name.");
        }

        // Parsed before the block is opened, so a bad call leaves nothing half-written.
        using var input = ParseArguments(function.Arguments, where);
        var writer = turns.Block(Assistant);
        writer.WriteStartObject();
        writer.WriteString("type", "tool_use");
        writer.WriteString("id", call.Id);
        writer.WriteString("name", function.Name);
        writer.WritePropertyName("input");
        if (input is null)
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }
        else
        {
            input.RootElement.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    /// <summary>The arguments as a JSON object; <see langword="null"/> for empty arguments, which stand for <c>{}</c>.</summary>
    private static JsonDocument? ParseArguments(string? arguments, string where)
    {
        if (string.IsNullOrWhiteSpace(arguments))
        {
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(arguments);
        }
        catch (JsonException ex)
        {
            throw new PortalException(PortalErrorCode.InvalidRequest, $"{where}.function.arguments: not valid JSON ({ex.Message}).", innerException: ex);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind;
            document.Dispose();
            throw AnthropicOutboundMapping.InvalidRequest($"{where}.function.arguments: a JSON {kind}, not an object.");
        }

        return document;
    }

    private static void WriteToolResult(Turns turns, ChatMessage message, string where)
    {
        if (string.IsNullOrEmpty(message.ToolCallId))
        {
            throw AnthropicOutboundMapping.InvalidRequest($"{where}: a tool message must have a tool_call_id.");
        }

        var writer = turns.Block(User);
        writer.WriteStartObject();
        writer.WriteString("type", "tool_result");
        writer.WriteString("tool_use_id", message.ToolCallId);
        if (message.Content?.Text is { Length: > 0 } text)
        {
            writer.WriteString("content", text);
        }

        writer.WriteEndObject();
    }

    private static void WriteTextBlock(Turns turns, string role, string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            WriteText(turns.Block(role), text);
        }
    }

    private static void WriteText(Utf8JsonWriter writer, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("type", "text");
        writer.WriteString("text", text);
        writer.WriteEndObject();
    }

    private static void AddTexts(MessageContent? content, List<string> texts)
    {
        if (content?.Parts is { } parts)
        {
            foreach (var part in parts)
            {
                if (part is { Type: ContentPart.TextType, Text: { Length: > 0 } text })
                {
                    texts.Add(text);
                }
            }
        }
        else if (content?.Text is { Length: > 0 } text)
        {
            texts.Add(text);
        }
    }

    /// <summary>Opens a turn lazily, when its first block is written, and joins blocks of the same role into one turn.</summary>
    private sealed class Turns(Utf8JsonWriter writer)
    {
        private string? _role;

        /// <summary>Returns the writer, inside the content array of a turn of <paramref name="role"/>, opening one if needed.</summary>
        public Utf8JsonWriter Block(string role)
        {
            if (_role != role)
            {
                End();
                writer.WriteStartObject();
                writer.WriteString("role", role);
                writer.WriteStartArray("content");
                _role = role;
            }

            return writer;
        }

        /// <summary>Closes the open turn, if any.</summary>
        public void End()
        {
            if (_role is not null)
            {
                writer.WriteEndArray();
                writer.WriteEndObject();
                _role = null;
            }
        }
    }
}
