using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>One choice of a non-streamed chat completion.</summary>
public sealed class ChatChoice
{
    /// <summary>The position of the choice in the list.</summary>
    [JsonPropertyName("index")]
    public int Index { get; set; }

    /// <summary>The message the model generated.</summary>
    [JsonPropertyName("message")]
    public ChatMessage Message { get; set; } = new();

    /// <summary>Why generation stopped: <c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c> or <c>function_call</c>.</summary>
    /// <remarks>Always written, as <see langword="null"/> when unset, as OpenAI does.</remarks>
    [JsonPropertyName("finish_reason")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FinishReason { get; set; }

    /// <summary>Log probability information, kept as raw JSON.</summary>
    /// <remarks>Always written, as <see langword="null"/> when unset, as OpenAI does.</remarks>
    [JsonPropertyName("logprobs")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? Logprobs { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
