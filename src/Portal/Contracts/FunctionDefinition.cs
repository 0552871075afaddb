using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>A function the model may call.</summary>
public sealed class FunctionDefinition
{
    /// <summary>The function name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>What the function does, so the model can choose when to call it.</summary>
    [JsonPropertyName("description")]
    public string? Description { get; set; }

    /// <summary>The parameters as a JSON schema object, kept as raw JSON.</summary>
    [JsonPropertyName("parameters")]
    public JsonElement? Parameters { get; set; }

    /// <summary>Whether the model must follow the parameter schema exactly.</summary>
    [JsonPropertyName("strict")]
    public bool? Strict { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
