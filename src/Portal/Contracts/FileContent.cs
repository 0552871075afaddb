using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>The file of a <c>file</c> content part: an uploaded file ID or inline base64 data.</summary>
public sealed class FileContent
{
    /// <summary>The ID of an uploaded file.</summary>
    [JsonPropertyName("file_id")]
    public string? FileId { get; set; }

    /// <summary>The base64-encoded file data.</summary>
    [JsonPropertyName("file_data")]
    public string? FileData { get; set; }

    /// <summary>The file name, used with <see cref="FileData"/>.</summary>
    [JsonPropertyName("filename")]
    public string? Filename { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
