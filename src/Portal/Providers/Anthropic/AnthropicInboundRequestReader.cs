using System.Text.Json;
using Portal.Contracts;
using static Portal.Providers.Anthropic.AnthropicInboundJson;

namespace Portal.Providers.Anthropic;

/// <summary>
/// Converts the body of an Anthropic <c>POST /v1/messages</c> request to a <see cref="ChatCompletionRequest"/>: the
/// top-level fields, <c>system</c>, <c>tools</c> and <c>tool_choice</c> here, the <c>messages</c> in
/// <see cref="AnthropicInboundMessageReader"/>. The rules and the drop list are on <see cref="AnthropicInbound"/>.
/// </summary>
internal static class AnthropicInboundRequestReader
{
    /// <summary>Converts a request body.</summary>
    /// <param name="json">The UTF-8 JSON body.</param>
    /// <returns>The chat request and what was dropped.</returns>
    /// <exception cref="PortalException">The body is not valid JSON, or a field is missing or malformed (<see cref="PortalErrorCode.InvalidRequest"/>).</exception>
    public static AnthropicInboundRequest Read(ReadOnlySpan<byte> json)
    {
        using var document = Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("The request body must be a JSON object.");
        }

        var drops = new AnthropicInboundDrops();
        JsonElement? messages = null, system = null, tools = null, toolChoice = null;
        var request = new ChatCompletionRequest();
        var hasModel = false;
        var hasMaxTokens = false;
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "model":
                    hasModel = true;
                    request.Model = RequiredString(root, "model", AnthropicInboundPath.Root);
                    break;
                case "max_tokens":
                    hasMaxTokens = value.ValueKind != JsonValueKind.Null;
                    request.MaxCompletionTokens = hasMaxTokens ? MaxTokens(value) : null;
                    break;
                case "messages":
                    messages = value;
                    break;
                case "system":
                    system = value;
                    break;
                case "stream":
                    request.Stream = OptionalBool(root, "stream", AnthropicInboundPath.Root) == true ? true : null;
                    break;
                case "temperature":
                    request.Temperature = OptionalNumber(root, "temperature", AnthropicInboundPath.Root);
                    break;
                case "top_p":
                    request.TopP = OptionalNumber(root, "top_p", AnthropicInboundPath.Root);
                    break;
                case "stop_sequences":
                    request.Stop = StopSequences(value);
                    break;
                case "metadata":
                    request.User = UserId(value);
                    break;
                case "tools":
                    tools = value;
                    break;
                case "tool_choice":
                    toolChoice = value;
                    break;
                default:
                    if (value.ValueKind != JsonValueKind.Null)
                    {
                        drops.Add(property.Name);
                    }

                    break;
            }
        }

        if (!hasModel)
        {
            throw Invalid("model: Field required");
        }

        if (!hasMaxTokens)
        {
            throw Invalid("max_tokens: Field required");
        }

        if (messages is not { ValueKind: not JsonValueKind.Null } messageList)
        {
            throw Invalid("messages: Field required");
        }

        if (request.Stream == true)
        {
            // The converted stream reports usage in message_delta, so the platform must send it at the end.
            request.StreamOptions = new StreamOptions { IncludeUsage = true };
        }

        if (system is { } systemValue && SystemText(systemValue, drops) is { Length: > 0 } systemText)
        {
            request.Messages.Add(new ChatMessage("system", systemText));
        }

        new AnthropicInboundMessageReader(request.Messages, drops).Read(messageList);
        if (tools is { } toolList)
        {
            request.Tools = Tools(toolList, drops);
        }

        if (toolChoice is { ValueKind: not JsonValueKind.Null } choice)
        {
            ApplyToolChoice(request, choice, drops);
        }

        return new AnthropicInboundRequest(request, drops.Names);
    }

    private static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument? document = null;
        try
        {
            var reader = new Utf8JsonReader(json);
            document = JsonDocument.ParseValue(ref reader);

            // Whitespace may follow the value; anything else makes the reader throw.
            reader.Read();
            return document;
        }
        catch (JsonException ex)
        {
            document?.Dispose();
            throw new PortalException(PortalErrorCode.InvalidRequest, "The request body is not valid JSON.", innerException: ex);
        }
    }

    private static int MaxTokens(JsonElement value) =>
        value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var tokens)
            ? throw Invalid("max_tokens: Input should be a valid integer")
            : tokens < 1 ? throw Invalid("max_tokens: Input should be greater than or equal to 1")
            : tokens;

    private static StopSequences? StopSequences(JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("stop_sequences: Input should be a valid list");
        }

        var sequences = new List<string>(value.GetArrayLength());
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            sequences.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Invalid($"stop_sequences.{index}: Input should be a valid string"));
            index++;
        }

        return sequences.Count == 0 ? null : new StopSequences(sequences);
    }

    private static string? UserId(JsonElement metadata)
    {
        if (metadata.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var at = AnthropicInboundPath.Of("metadata");
        EnsureObject(metadata, at);
        return OptionalString(metadata, "user_id", at);
    }

    /// <summary>The system prompt as one string: the string itself, or the <c>text</c> blocks joined with a blank line.</summary>
    private static string SystemText(JsonElement system, AnthropicInboundDrops drops) => SystemText(system, drops, index => AnthropicInboundPath.Of("system", index));

    /// <summary>A system prompt's text, at <paramref name="blockPath"/> for error messages: the top-level <c>system</c>, or the content of a message with role <c>system</c>.</summary>
    internal static string SystemText(JsonElement system, AnthropicInboundDrops drops, Func<int, AnthropicInboundPath> blockPath)
    {
        switch (system.ValueKind)
        {
            case JsonValueKind.Null:
                return "";
            case JsonValueKind.String:
                return system.GetString()!;
            case JsonValueKind.Array:
                var texts = new List<string>(system.GetArrayLength());
                var index = 0;
                foreach (var block in system.EnumerateArray())
                {
                    var at = blockPath(index++);
                    EnsureObject(block, at);
                    if (RequiredString(block, "type", at) != "text")
                    {
                        throw Invalid($"{at.Field("type")}: Input should be 'text'");
                    }

                    texts.Add(RequiredString(block, "text", at));
                    NoteCacheControl(block, drops);
                }

                return string.Join(AnthropicInboundMessageReader.TextSeparator, texts);
            default:
                throw Invalid("system: Input should be a valid string or list");
        }
    }

    /// <summary>The custom tools as function tools; server tools are dropped. <see langword="null"/> when none remain.</summary>
    private static List<ChatTool>? Tools(JsonElement tools, AnthropicInboundDrops drops)
    {
        if (tools.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("tools: Input should be a valid list");
        }

        List<ChatTool>? functions = null;
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var at = AnthropicInboundPath.Of("tools", index++);
            EnsureObject(tool, at);
            var type = OptionalString(tool, "type", at);
            if (type is not (null or "custom"))
            {
                drops.Add($"tools: {type}");
                continue;
            }

            var name = RequiredString(tool, "name", at);
            var description = OptionalString(tool, "description", at);
            var schema = RequiredObject(tool, "input_schema", at);
            NoteCacheControl(tool, drops);
            (functions ??= []).Add(new ChatTool
            {
                Type = "function",
                Function = new FunctionDefinition { Name = name, Description = description, Parameters = schema.Clone() },
            });
        }

        return functions;
    }

    private static void ApplyToolChoice(ChatCompletionRequest request, JsonElement choice, AnthropicInboundDrops drops)
    {
        var at = AnthropicInboundPath.Of("tool_choice");
        EnsureObject(choice, at);
        var type = RequiredString(choice, "type", at);
        var mapped = type switch
        {
            "auto" => ToolChoice.Auto,
            "any" => ToolChoice.Required,
            "none" => ToolChoice.None,
            "tool" => ToolChoice.ForFunction(RequiredString(choice, "name", at)),
            _ => throw Invalid($"{at.Field("type")}: Input should be 'auto', 'any', 'tool' or 'none'"),
        };
        var serial = OptionalBool(choice, "disable_parallel_tool_use", at) == true;

        // OpenAI rejects tool_choice without tools, and a named tool that was not sent (a dropped server tool).
        if (request.Tools is not { } tools || (mapped.Function is { } named && !tools.Any(t => t.Function?.Name == named.Name)))
        {
            drops.Add("tool_choice");
            return;
        }

        request.ToolChoice = mapped;
        if (serial)
        {
            request.ParallelToolCalls = false;
        }
    }

    private static void NoteCacheControl(JsonElement block, AnthropicInboundDrops drops)
    {
        if (Has(block, "cache_control"))
        {
            drops.Add("cache_control");
        }
    }
}
