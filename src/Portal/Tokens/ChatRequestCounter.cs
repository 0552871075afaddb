using System.Runtime.InteropServices;
using System.Text.Json;
using Portal.Contracts;

namespace Portal.Tokens;

/// <summary>Adds up the estimated tokens of an OpenAI-shaped chat completion request, the way OpenAI's cookbook counts them.</summary>
/// <remarks>See <see cref="TokenEstimator.EstimateChatRequest"/> for what is counted.</remarks>
internal static class ChatRequestCounter
{
    /// <summary>Estimates the input tokens of a request.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The estimate.</returns>
    public static int Count(ChatCompletionRequest request)
    {
        var total = TokenCosts.ReplyPriming;
        foreach (var message in request.Messages)
        {
            total += CountMessage(message);
        }

        if (request.Tools is { Count: > 0 } tools)
        {
            total += TokenCosts.OpenAIToolsEnd;
            foreach (var tool in tools)
            {
                total += CountTool(tool);
            }
        }

        total += CountJson(request.Functions);
        total += CountJson(request.FunctionCall);
        if (request.ResponseFormat?.JsonSchema is { } schema)
        {
            total += TokenEstimator.CountText(schema.Name) + TokenEstimator.CountText(schema.Description) + CountJson(schema.Schema);
        }

        return total;
    }

    private static int CountMessage(ChatMessage message)
    {
        var total = TokenCosts.PerMessage + TokenEstimator.CountText(message.Role);
        if (!string.IsNullOrEmpty(message.Name))
        {
            total += TokenCosts.PerName + TokenEstimator.CountText(message.Name);
        }

        if (message.Content is { } content)
        {
            total += content.Parts is { } parts ? CountParts(parts) : TokenEstimator.CountText(content.Text);
        }

        total += TokenEstimator.CountText(message.Refusal);
        total += TokenEstimator.CountText(message.ReasoningContent);
        total += TokenEstimator.CountText(message.ToolCallId);
        total += CountJson(message.FunctionCall);
        if (message.ToolCalls is { } calls)
        {
            foreach (var call in calls)
            {
                total += TokenCosts.PerToolCall + TokenEstimator.CountText(call.Id)
                    + TokenEstimator.CountText(call.Function?.Name) + TokenEstimator.CountText(call.Function?.Arguments)
                    + CountJson(call.Custom);
            }
        }

        return total;
    }

    private static int CountParts(IList<ContentPart> parts)
    {
        var total = 0;
        foreach (var part in parts)
        {
            total += part.Type switch
            {
                ContentPart.TextType => TokenEstimator.CountText(part.Text),
                ContentPart.RefusalType => TokenEstimator.CountText(part.Refusal),
                ContentPart.ImageUrlType when part.ImageUrl is { } image => CountImage(image),
                _ => 0, // Audio and files: not estimated.
            };
        }

        return total;
    }

    private static int CountImage(ImageUrlContent image)
    {
        var url = image.Url.AsSpan();
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            // data:[<media type>][;base64],<data>
            var comma = url.IndexOf(',');
            if (comma > 0 && url[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase)
                && ImageSize.TryRead(url[(comma + 1)..], out var width, out var height))
            {
                return ImageCosts.OpenAI(width, height, image.Detail);
            }
        }

        return ImageCosts.OpenAIUnknown(image.Detail);
    }

    private static int CountTool(ChatTool tool)
    {
        var total = TokenCosts.PerTool + CountJson(tool.Custom);
        if (tool.Function is { } function)
        {
            total += TokenEstimator.CountText(function.Name) + TokenEstimator.CountText(function.Description) + CountJson(function.Parameters);
        }

        return total;
    }

    private static int CountJson(JsonElement? value) =>
        value is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } element ? JsonTokens.CountCompact(JsonMarshal.GetRawUtf8Value(element)) : 0;
}
