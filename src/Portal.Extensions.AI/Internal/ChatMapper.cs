using System.Text.Json;
using Microsoft.Extensions.AI;
using Portal.Contracts;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using PortalChatMessage = Portal.Contracts.ChatMessage;

namespace Portal.Extensions.AI.Internal;

/// <summary>Maps Microsoft.Extensions.AI types to Portal's OpenAI contracts and back.</summary>
internal static class ChatMapper
{
    private static readonly JsonSerializerOptions Json = AIJsonUtilities.DefaultOptions;

    public static ChatCompletionRequest ToRequest(IEnumerable<AIChatMessage> messages, ChatOptions? options, string? defaultModel)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var model = options?.ModelId ?? defaultModel;
        if (string.IsNullOrEmpty(model))
        {
            throw new InvalidOperationException("No model: set ChatOptions.ModelId or pass a default model to PortalChatClient.");
        }

        var request = new ChatCompletionRequest { Model = model };
        if (options?.Instructions is { Length: > 0 } instructions)
        {
            request.Messages.Add(new PortalChatMessage("system", instructions));
        }

        foreach (var message in messages)
        {
            AddMessage(request.Messages, message);
        }

        if (options is not null)
        {
            ApplyOptions(request, options);
        }

        return request;
    }

    public static ChatResponse ToResponse(ChatCompletionResponse response)
    {
        var messages = new List<AIChatMessage>();
        ChatFinishReason? finishReason = null;
        var created = FromUnixSeconds(response.Created);
        foreach (var choice in response.Choices)
        {
            var source = choice.Message;
            var contents = new List<AIContent>();
            if (source.ReasoningContent is { Length: > 0 } reasoning)
            {
                contents.Add(new TextReasoningContent(reasoning));
            }

            if (source.Content?.Text is { Length: > 0 } text)
            {
                contents.Add(new TextContent(text));
            }

            if (source.Refusal is { Length: > 0 } refusal)
            {
                contents.Add(new TextContent(refusal));
            }

            if (source.ToolCalls is { } toolCalls)
            {
                foreach (var call in toolCalls)
                {
                    if (call.Function is { } function)
                    {
                        contents.Add(ToFunctionCall(call.Id ?? "", function.Name ?? "", function.Arguments));
                    }
                }
            }

            messages.Add(new AIChatMessage(ToRole(source.Role), contents)
            {
                MessageId = response.Id,
                CreatedAt = created,
                RawRepresentation = source,
            });
            finishReason ??= ToFinishReason(choice.FinishReason);
        }

        return new ChatResponse(messages)
        {
            ResponseId = response.Id,
            ModelId = response.Model,
            CreatedAt = created,
            FinishReason = finishReason,
            Usage = ToUsage(response.Usage),
            RawRepresentation = response,
        };
    }

    public static IEnumerable<ChatResponseUpdate> ToUpdates(ChatCompletionChunk chunk, StreamingToolCalls toolCalls)
    {
        var contents = new List<AIContent>();
        ChatFinishReason? finishReason = null;
        foreach (var choice in chunk.Choices)
        {
            var delta = choice.Delta;
            if (delta.ReasoningContent is { Length: > 0 } reasoning)
            {
                contents.Add(new TextReasoningContent(reasoning));
            }

            if (delta.Content is { Length: > 0 } text)
            {
                contents.Add(new TextContent(text));
            }

            if (delta.Refusal is { Length: > 0 } refusal)
            {
                contents.Add(new TextContent(refusal));
            }

            if (delta.ToolCalls is { } calls)
            {
                foreach (var call in calls)
                {
                    toolCalls.Add(choice.Index, call);
                }
            }

            if (choice.FinishReason is { } reason)
            {
                finishReason ??= ToFinishReason(reason);
                toolCalls.Complete(choice.Index, contents);
            }
        }

        if (chunk.Usage is { } usage)
        {
            contents.Add(new UsageContent(ToUsage(usage)!));
        }

        yield return NewUpdate(chunk.Id, chunk.Model, FromUnixSeconds(chunk.Created), contents, finishReason, chunk);
    }

    public static ChatResponseUpdate NewUpdate(string? id, string? model, DateTimeOffset? created, IList<AIContent> contents, ChatFinishReason? finishReason, object? raw) =>
        new(ChatRole.Assistant, contents)
        {
            ResponseId = id,
            MessageId = id,
            ModelId = model,
            CreatedAt = created,
            FinishReason = finishReason,
            RawRepresentation = raw,
        };

    public static FunctionCallContent ToFunctionCall(string callId, string name, string? arguments) =>
        FunctionCallContent.CreateFromParsedArguments(
            string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments,
            callId,
            name,
            ParseArguments);

    private static Dictionary<string, object?>? ParseArguments(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("Tool call arguments are not a JSON object.");
        }

        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            arguments[property.Name] = property.Value.Clone();
        }

        return arguments;
    }

    private static void AddMessage(IList<PortalChatMessage> target, AIChatMessage message)
    {
        var role = message.Role.Value;
        var parts = new List<ContentPart>();
        List<ToolCall>? toolCalls = null;
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent text:
                    parts.Add(ContentPart.FromText(text.Text));
                    break;
                case DataContent data when data.HasTopLevelMediaType("image"):
                    parts.Add(ContentPart.FromImageUrl(data.Uri));
                    break;
                case UriContent uri when uri.HasTopLevelMediaType("image"):
                    parts.Add(ContentPart.FromImageUrl(uri.Uri.ToString()));
                    break;
                case FunctionCallContent call:
                    (toolCalls ??= []).Add(new ToolCall
                    {
                        Id = call.CallId,
                        Type = "function",
                        Function = new FunctionCall { Name = call.Name, Arguments = SerializeArguments(call.Arguments) },
                    });
                    break;
                case FunctionResultContent result:
                    target.Add(new PortalChatMessage("tool", ResultText(result)) { ToolCallId = result.CallId });
                    break;
                default:
                    break;
            }
        }

        if (parts.Count == 0 && toolCalls is null)
        {
            return;
        }

        var mapped = new PortalChatMessage
        {
            Role = role,
            Name = message.AuthorName,
            Content = ToContent(parts),
            ToolCalls = toolCalls,
        };
        target.Add(mapped);
    }

    private static MessageContent? ToContent(List<ContentPart> parts)
    {
        if (parts.Count == 0)
        {
            return null;
        }

        if (parts.TrueForAll(p => p.Type == ContentPart.TextType))
        {
            return new MessageContent(string.Concat(parts.Select(p => p.Text)));
        }

        return new MessageContent(parts);
    }

    private static string SerializeArguments(IDictionary<string, object?>? arguments) =>
        arguments is null ? "{}" : JsonSerializer.Serialize(arguments, Json.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static string ResultText(FunctionResultContent result) => result.Result switch
    {
        null when result.Exception is { } exception => $"Error: {exception.Message}",
        null => "",
        string text => text,
        JsonElement element => element.GetRawText(),
        var value => JsonSerializer.Serialize(value, Json.GetTypeInfo(value.GetType())),
    };

    private static void ApplyOptions(ChatCompletionRequest request, ChatOptions options)
    {
        request.Temperature = options.Temperature;
        request.TopP = options.TopP;
        request.MaxCompletionTokens = options.MaxOutputTokens;
        request.FrequencyPenalty = options.FrequencyPenalty;
        request.PresencePenalty = options.PresencePenalty;
        request.Seed = options.Seed;
        request.ParallelToolCalls = options.AllowMultipleToolCalls;
        if (options.StopSequences is { Count: > 0 } stop)
        {
            request.Stop = new StopSequences(stop);
        }

        request.ResponseFormat = options.ResponseFormat switch
        {
            ChatResponseFormatText => new ResponseFormat { Type = "text" },
            ChatResponseFormatJson { Schema: { } schema } json => new ResponseFormat
            {
                Type = "json_schema",
                JsonSchema = new JsonSchemaFormat
                {
                    Name = json.SchemaName ?? "response",
                    Description = json.SchemaDescription,
                    Schema = schema,
                },
            },
            ChatResponseFormatJson => new ResponseFormat { Type = "json_object" },
            _ => null,
        };

        if (options.Tools is { Count: > 0 } tools)
        {
            request.Tools = [];
            foreach (var tool in tools)
            {
                if (tool is AIFunctionDeclaration function)
                {
                    request.Tools.Add(new ChatTool
                    {
                        Function = new FunctionDefinition
                        {
                            Name = function.Name,
                            Description = string.IsNullOrEmpty(function.Description) ? null : function.Description,
                            Parameters = function.JsonSchema,
                        },
                    });
                }
            }

            if (request.Tools.Count == 0)
            {
                request.Tools = null;
            }
        }

        request.ToolChoice = options.ToolMode switch
        {
            NoneChatToolMode => ToolChoice.None,
            AutoChatToolMode => ToolChoice.Auto,
            RequiredChatToolMode { RequiredFunctionName: { } name } => ToolChoice.ForFunction(name),
            RequiredChatToolMode => ToolChoice.Required,
            _ => null,
        };

        if (options.AdditionalProperties is { Count: > 0 } additional)
        {
            request.AdditionalProperties ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var (key, value) in additional)
            {
                request.AdditionalProperties[key] = value switch
                {
                    JsonElement element => element,
                    null => JsonSerializer.SerializeToElement(null, Json.GetTypeInfo(typeof(object))),
                    _ => JsonSerializer.SerializeToElement(value, Json.GetTypeInfo(value.GetType())),
                };
            }
        }
    }

    private static ChatRole ToRole(string role) => role switch
    {
        "system" or "developer" => ChatRole.System,
        "user" => ChatRole.User,
        "tool" => ChatRole.Tool,
        "assistant" or "" => ChatRole.Assistant,
        _ => new ChatRole(role),
    };

    private static ChatFinishReason? ToFinishReason(string? reason) => reason switch
    {
        null or "" => null,
        "stop" => ChatFinishReason.Stop,
        "length" => ChatFinishReason.Length,
        "tool_calls" or "function_call" => ChatFinishReason.ToolCalls,
        "content_filter" => ChatFinishReason.ContentFilter,
        _ => new ChatFinishReason(reason),
    };

    private static UsageDetails? ToUsage(Usage? usage) => usage is null ? null : new UsageDetails
    {
        InputTokenCount = usage.PromptTokens,
        OutputTokenCount = usage.CompletionTokens,
        TotalTokenCount = usage.TotalTokens,
        CachedInputTokenCount = usage.PromptTokensDetails?.CachedTokens,
        ReasoningTokenCount = usage.CompletionTokensDetails?.ReasoningTokens,
    };

    private static DateTimeOffset? FromUnixSeconds(long seconds) =>
        seconds > 0 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
}
