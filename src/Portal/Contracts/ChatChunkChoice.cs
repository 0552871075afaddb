using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>One choice delta of a streamed chat completion chunk.</summary>
public sealed class ChatChunkChoice
{
    /// <summary>The position of the choice in the list.</summary>
    [JsonPropertyName("index")]
    public int Index { get; set; }

    /// <summary>The message fragment of this chunk.</summary>
    [JsonPropertyName("delta")]
    public ChatMessageDelta Delta { get; set; } = new();

    /// <summary>Why generation stopped; <see langword="null"/> until the last chunk of the choice.</summary>
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
