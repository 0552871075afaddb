using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>The audio of an <c>input_audio</c> content part.</summary>
public sealed class InputAudioContent
{
    /// <summary>The base64-encoded audio.</summary>
    [JsonPropertyName("data")]
    public string Data { get; set; } = "";

    /// <summary>The audio format, such as <c>wav</c> or <c>mp3</c>.</summary>
    [JsonPropertyName("format")]
    public string Format { get; set; } = "";

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
