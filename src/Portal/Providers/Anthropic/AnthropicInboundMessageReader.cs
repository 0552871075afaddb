using System.Text.Json;
using Portal.Contracts;
using static Portal.Providers.Anthropic.AnthropicInboundJson;

namespace Portal.Providers.Anthropic;

/// <summary>
/// Converts the <c>messages</c> of an Anthropic request to chat messages, following the rules listed on
/// <see cref="AnthropicInbound"/>.
/// </summary>
/// <remarks>One per conversion; not thread-safe.</remarks>
internal sealed class AnthropicInboundMessageReader
{
    /// <summary>Joins text blocks that become one string (a user turn without media, a tool result, an assistant turn).</summary>
    public const string TextSeparator = "\n\n";

    /// <summary>The <c>filename</c> of a PDF document that has no <c>title</c>.</summary>
    public const string DefaultPdfName = "document.pdf";

    /// <summary>The prefix of a tool message whose <c>tool_result</c> had <c>is_error: true</c>.</summary>
    public const string ErrorPrefix = "Error: ";

    /// <summary>The whole tool message of a <c>tool_result</c> with <c>is_error: true</c> and no text.</summary>
    public const string ErrorWithoutText = "Error";

    private readonly IList<ChatMessage> _output;
    private readonly AnthropicInboundDrops _drops;

    /// <summary>Creates a reader that appends to <paramref name="output"/> and records losses in <paramref name="drops"/>.</summary>
    /// <param name="output">The chat messages, after the system message if there is one.</param>
    /// <param name="drops">What the conversion dropped.</param>
    public AnthropicInboundMessageReader(IList<ChatMessage> output, AnthropicInboundDrops drops)
    {
        _output = output;
        _drops = drops;
    }

    /// <summary>The text that introduces, in the user message after the tool messages, the images and files of a tool result.</summary>
    /// <param name="toolUseId">The tool call the result answers.</param>
    /// <returns>The text.</returns>
    public static string ToolMediaIntro(string toolUseId) => $"Content returned by tool call {toolUseId}:";

    /// <summary>Converts the request's <c>messages</c> list.</summary>
    /// <param name="messages">The <c>messages</c> value.</param>
    /// <exception cref="PortalException">The list, a message or a known block is malformed.</exception>
    public void Read(JsonElement messages)
    {
        if (messages.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("messages: Input should be a valid list");
        }

        if (messages.GetArrayLength() == 0)
        {
            throw Invalid("messages: at least one message is required");
        }

        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            ReadMessage(message, AnthropicInboundPath.Of("messages", index++));
        }
    }

    private void ReadMessage(JsonElement message, AnthropicInboundPath at)
    {
        EnsureObject(message, at);
        var role = RequiredString(message, "role", at);
        var isUser = role == "user";
        if (!isUser && role is not ("assistant" or "system"))
        {
            throw Invalid($"{at.Field("role")}: Input should be 'user', 'assistant' or 'system'");
        }

        if (!TryGet(message, "content", out var content))
        {
            throw Invalid($"{at.Field("content")}: Field required");
        }

        if (role == "system")
        {
            // Claude Code sends reminders as system messages between turns: a system message where it stands.
            var text = AnthropicInboundRequestReader.SystemText(content, _drops, at.Block);
            if (text.Length > 0)
            {
                _output.Add(new ChatMessage("system", text));
            }

            return;
        }

        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                _output.Add(new ChatMessage(role, content.GetString()));
                break;
            case JsonValueKind.Array when isUser:
                ReadUserBlocks(content, at);
                break;
            case JsonValueKind.Array:
                ReadAssistantBlocks(content, at);
                break;
            default:
                throw Invalid($"{at.Field("content")}: Input should be a valid string or list");
        }
    }

    /// <summary>
    /// A user turn: one <c>tool</c> message per <c>tool_result</c>, in order, then one <c>user</c> message with the
    /// tool results' media and the turn's other blocks (a string when it is text only).
    /// </summary>
    private void ReadUserBlocks(JsonElement blocks, AnthropicInboundPath at)
    {
        var parts = new List<ContentPart>();
        List<ContentPart>? toolMedia = null;
        var index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var blockAt = at.Block(index++);
            var type = BlockType(block, blockAt);
            switch (type)
            {
                case "tool_result":
                    ReadToolResult(block, blockAt, ref toolMedia);
                    break;
                case "tool_use":
                    throw Invalid($"{blockAt}: tool_use blocks are only allowed in assistant messages");
                default:
                    if (ReadInputBlock(block, type, blockAt) is { } part)
                    {
                        parts.Add(part);
                    }

                    break;
            }
        }

        if (toolMedia is not null)
        {
            parts.InsertRange(0, toolMedia);
        }

        if (parts.Count > 0)
        {
            _output.Add(new ChatMessage { Role = "user", Content = TextOnly(parts) ? JoinText(parts) : new MessageContent(parts) });
        }
    }

    /// <summary>An assistant turn: its text blocks joined, and its <c>tool_use</c> blocks as tool calls.</summary>
    private void ReadAssistantBlocks(JsonElement blocks, AnthropicInboundPath at)
    {
        List<string>? texts = null;
        List<ToolCall>? calls = null;
        var index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var blockAt = at.Block(index++);
            var type = BlockType(block, blockAt);
            NoteBlockOptions(block);
            switch (type)
            {
                case "text":
                    (texts ??= []).Add(RequiredString(block, "text", blockAt));
                    break;
                case "tool_use":
                    (calls ??= []).Add(ReadToolUse(block, blockAt));
                    break;
                case "tool_result":
                    throw Invalid($"{blockAt}: tool_result blocks are only allowed in user messages");
                default:
                    if (TextOfOtherBlock(block, type) is { } text)
                    {
                        (texts ??= []).Add(text);
                    }

                    break;
            }
        }

        // A turn left with nothing (only thinking, say) is skipped: an assistant message needs content or tool calls.
        if (texts is not null || calls is not null)
        {
            _output.Add(new ChatMessage
            {
                Role = "assistant",
                Content = texts is null ? null : string.Join(TextSeparator, texts),
                ToolCalls = calls,
            });
        }
    }

    private static ToolCall ReadToolUse(JsonElement block, AnthropicInboundPath at)
    {
        var id = RequiredString(block, "id", at);
        var name = RequiredString(block, "name", at);
        var input = RequiredObject(block, "input", at);
        return new ToolCall
        {
            Id = id,
            Type = "function",
            Function = new FunctionCall { Name = name, Arguments = Compact(input) },
        };
    }

    /// <summary>Adds the <c>tool</c> message of a <c>tool_result</c>; its images and files go to <paramref name="media"/>.</summary>
    private void ReadToolResult(JsonElement block, AnthropicInboundPath at, ref List<ContentPart>? media)
    {
        NoteBlockOptions(block);
        var id = RequiredString(block, "tool_use_id", at);
        var isError = OptionalBool(block, "is_error", at) == true;
        var text = "";
        if (TryGet(block, "content", out var content))
        {
            text = content.ValueKind switch
            {
                JsonValueKind.String => content.GetString()!,
                JsonValueKind.Array => ReadToolResultBlocks(content, at, id, ref media),
                _ => throw Invalid($"{at.Field("content")}: Input should be a valid string or list"),
            };
        }

        if (isError)
        {
            text = text.Length == 0 ? ErrorWithoutText : ErrorPrefix + text;
        }

        _output.Add(new ChatMessage { Role = "tool", ToolCallId = id, Content = text });
    }

    private string ReadToolResultBlocks(JsonElement blocks, AnthropicInboundPath at, string id, ref List<ContentPart>? media)
    {
        List<string>? texts = null;
        var introduced = false;
        var index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var blockAt = at.Inner(index++);
            if (ReadInputBlock(block, BlockType(block, blockAt), blockAt) is not { } part)
            {
                continue;
            }

            if (part.Type == ContentPart.TextType)
            {
                (texts ??= []).Add(part.Text!);
                continue;
            }

            media ??= [];
            if (!introduced)
            {
                media.Add(ContentPart.FromText(ToolMediaIntro(id)));
                introduced = true;
            }

            media.Add(part);
        }

        return texts is null ? "" : string.Join(TextSeparator, texts);
    }

    /// <summary>A block of user content or of a tool result's content; <see langword="null"/> when it is dropped.</summary>
    private ContentPart? ReadInputBlock(JsonElement block, string type, AnthropicInboundPath at)
    {
        NoteBlockOptions(block);
        switch (type)
        {
            case "text":
                return ContentPart.FromText(RequiredString(block, "text", at));
            case "image":
                return ReadImage(block, at);
            case "document":
                return ReadDocument(block, at);
            default:
                return TextOfOtherBlock(block, type) is { } text ? ContentPart.FromText(text) : null;
        }
    }

    private ContentPart? ReadImage(JsonElement block, AnthropicInboundPath at)
    {
        var source = RequiredObject(block, "source", at);
        var sourceType = RequiredString(source, "type", at, "source");
        switch (sourceType)
        {
            case "base64":
                return ContentPart.FromImageUrl(DataUrl(source, at));
            case "url":
                return ContentPart.FromImageUrl(RequiredString(source, "url", at, "source"));
            default:
                _drops.Add($"image source: {sourceType}");
                return null;
        }
    }

    private ContentPart? ReadDocument(JsonElement block, AnthropicInboundPath at)
    {
        var source = RequiredObject(block, "source", at);
        var sourceType = RequiredString(source, "type", at, "source");
        switch (sourceType)
        {
            case "base64":
                return new ContentPart
                {
                    Type = ContentPart.FileType,
                    File = new FileContent { FileData = DataUrl(source, at), Filename = PdfName(OptionalString(block, "title", at)) },
                };
            case "text":
                return ContentPart.FromText(RequiredString(source, "data", at, "source"));
            default:
                _drops.Add($"document source: {sourceType}");
                return null;
        }
    }

    private static string DataUrl(JsonElement source, AnthropicInboundPath at)
    {
        var mediaType = RequiredString(source, "media_type", at, "source");
        var data = RequiredString(source, "data", at, "source");
        return $"data:{mediaType};base64,{data}";
    }

    private static string PdfName(string? title) =>
        string.IsNullOrWhiteSpace(title) ? DefaultPdfName
        : title.EndsWith(".pdf", StringComparison.OrdinalIgnoreCase) ? title
        : title + ".pdf";

    /// <summary>
    /// A block type this conversion does not turn into a part (thinking, server tool blocks, unknown types):
    /// its <c>text</c> when it carries one as a string, otherwise <see langword="null"/> and the type is recorded as dropped.
    /// Thinking blocks are always dropped, even though <c>thinking</c> is text.
    /// </summary>
    private string? TextOfOtherBlock(JsonElement block, string type)
    {
        if (type is not ("thinking" or "redacted_thinking")
            && block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
        {
            return text.GetString();
        }

        _drops.Add($"content: {type}");
        return null;
    }

    private void NoteBlockOptions(JsonElement block)
    {
        if (Has(block, "cache_control"))
        {
            _drops.Add("cache_control");
        }

        if (Has(block, "citations"))
        {
            _drops.Add("citations");
        }
    }

    private static string BlockType(JsonElement block, AnthropicInboundPath at)
    {
        EnsureObject(block, at);
        return RequiredString(block, "type", at);
    }

    private static bool TextOnly(List<ContentPart> parts)
    {
        foreach (var part in parts)
        {
            if (part.Type != ContentPart.TextType)
            {
                return false;
            }
        }

        return true;
    }

    private static string JoinText(List<ContentPart> parts) =>
        parts.Count == 1 ? parts[0].Text! : string.Join(TextSeparator, parts.Select(p => p.Text));
}
