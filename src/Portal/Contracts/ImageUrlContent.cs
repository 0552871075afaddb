using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>The image of an <c>image_url</c> content part.</summary>
public sealed class ImageUrlContent
{
    /// <summary>The image URL or base64 data URL.</summary>
    [JsonPropertyName("url")]
    public string Url { get; set; } = "";

    /// <summary>The detail level: <c>auto</c>, <c>low</c> or <c>high</c>.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
