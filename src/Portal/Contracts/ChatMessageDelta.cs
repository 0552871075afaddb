using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>The message fragment carried by a streamed chunk choice.</summary>
public sealed class ChatMessageDelta
{
    /// <summary>The author's role; usually only on the first chunk.</summary>
    [JsonPropertyName("role")]
    public string? Role { get; set; }

    /// <summary>The content fragment.</summary>
    [JsonPropertyName("content")]
    public string? Content { get; set; }

    /// <summary>Tool call fragments, matched across chunks by <see cref="ToolCall.Index"/>.</summary>
    [JsonPropertyName("tool_calls")]
    public IList<ToolCall>? ToolCalls { get; set; }

    /// <summary>The refusal fragment.</summary>
    [JsonPropertyName("refusal")]
    public string? Refusal { get; set; }

    /// <summary>The reasoning fragment sent by several OpenAI-compatible providers.</summary>
    [JsonPropertyName("reasoning_content")]
    public string? ReasoningContent { get; set; }

    /// <summary>Deprecated function call fragment (replaced by <see cref="ToolCalls"/>), kept as raw JSON.</summary>
    [JsonPropertyName("function_call")]
    public JsonElement? FunctionCall { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
