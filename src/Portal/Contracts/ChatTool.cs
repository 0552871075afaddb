using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>A tool the model may call: a function, or a custom tool.</summary>
public sealed class ChatTool
{
    /// <summary>The tool type: <c>function</c> or <c>custom</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "function";

    /// <summary>The function, when <see cref="Type"/> is <c>function</c>.</summary>
    [JsonPropertyName("function")]
    public FunctionDefinition? Function { get; set; }

    /// <summary>The custom tool (name, description, input format), when <see cref="Type"/> is <c>custom</c>, kept as raw JSON.</summary>
    [JsonPropertyName("custom")]
    public JsonElement? Custom { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
