using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>A tool call made by the model, whole in a message or partial in a streamed delta.</summary>
public sealed class ToolCall
{
    /// <summary>The position of the call in the message; present in streamed deltas.</summary>
    [JsonPropertyName("index")]
    public int? Index { get; set; }

    /// <summary>The tool call ID; in a stream, only on the first delta of a call.</summary>
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    /// <summary>The tool type, <c>function</c> or <c>custom</c>; in a stream, only on the first delta of a call.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>The function called, with its JSON arguments.</summary>
    [JsonPropertyName("function")]
    public FunctionCall? Function { get; set; }

    /// <summary>The custom tool called (name and input), kept as raw JSON.</summary>
    [JsonPropertyName("custom")]
    public JsonElement? Custom { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
