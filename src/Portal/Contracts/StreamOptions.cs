using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>Options for a streamed chat completion (<c>stream_options</c>).</summary>
public sealed class StreamOptions
{
    /// <summary>Whether a final chunk carries the usage of the whole request.</summary>
    [JsonPropertyName("include_usage")]
    public bool? IncludeUsage { get; set; }

    /// <summary>Whether chunks carry an <c>obfuscation</c> field that normalizes their size.</summary>
    [JsonPropertyName("include_obfuscation")]
    public bool? IncludeObfuscation { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
