using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>One message of a conversation: a request message, or the message of a response choice.</summary>
public sealed class ChatMessage
{
    /// <summary>Initializes an empty message.</summary>
    public ChatMessage()
    {
    }

    /// <summary>Initializes a message with a role and text content.</summary>
    /// <param name="role">The author's role, such as <c>user</c> or <c>assistant</c>.</param>
    /// <param name="content">The text content, or <see langword="null"/> for none.</param>
    public ChatMessage(string role, string? content)
    {
        Role = role;
        Content = content;
    }

    /// <summary>The author's role: <c>system</c>, <c>developer</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</summary>
    [JsonPropertyName("role")]
    public string Role { get; set; } = "";

    /// <summary>The content: text, or an array of content parts; omitted when <see langword="null"/>.</summary>
    [JsonPropertyName("content")]
    public MessageContent? Content { get; set; }

    /// <summary>An optional name for the participant.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>The tool calls made by an assistant message.</summary>
    [JsonPropertyName("tool_calls")]
    public IList<ToolCall>? ToolCalls { get; set; }

    /// <summary>The tool call a tool message answers.</summary>
    [JsonPropertyName("tool_call_id")]
    public string? ToolCallId { get; set; }

    /// <summary>The refusal message of an assistant message.</summary>
    [JsonPropertyName("refusal")]
    public string? Refusal { get; set; }

    /// <summary>Audio data of, or a reference to, an assistant audio response, kept as raw JSON.</summary>
    [JsonPropertyName("audio")]
    public JsonElement? Audio { get; set; }

    /// <summary>Annotations of a response message, such as URL citations, kept as raw JSON.</summary>
    [JsonPropertyName("annotations")]
    public JsonElement? Annotations { get; set; }

    /// <summary>Deprecated function call (replaced by <see cref="ToolCalls"/>), kept as raw JSON.</summary>
    [JsonPropertyName("function_call")]
    public JsonElement? FunctionCall { get; set; }

    /// <summary>The reasoning text sent by several OpenAI-compatible providers.</summary>
    [JsonPropertyName("reasoning_content")]
    public string? ReasoningContent { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
