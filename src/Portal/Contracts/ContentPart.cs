using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>One part of an array-shaped message content: text, image, audio, file or refusal.</summary>
public sealed class ContentPart
{
    /// <summary>The <see cref="Type"/> of a text part.</summary>
    public const string TextType = "text";

    /// <summary>The <see cref="Type"/> of an image part.</summary>
    public const string ImageUrlType = "image_url";

    /// <summary>The <see cref="Type"/> of an input audio part.</summary>
    public const string InputAudioType = "input_audio";

    /// <summary>The <see cref="Type"/> of a file part.</summary>
    public const string FileType = "file";

    /// <summary>The <see cref="Type"/> of a refusal part.</summary>
    public const string RefusalType = "refusal";

    /// <summary>The part type: <c>text</c>, <c>image_url</c>, <c>input_audio</c>, <c>file</c> or <c>refusal</c>.</summary>
    [JsonPropertyName("type")]
    public string Type { get; set; } = "";

    /// <summary>The text of a <c>text</c> part.</summary>
    [JsonPropertyName("text")]
    public string? Text { get; set; }

    /// <summary>The image of an <c>image_url</c> part.</summary>
    [JsonPropertyName("image_url")]
    public ImageUrlContent? ImageUrl { get; set; }

    /// <summary>The audio of an <c>input_audio</c> part.</summary>
    [JsonPropertyName("input_audio")]
    public InputAudioContent? InputAudio { get; set; }

    /// <summary>The file of a <c>file</c> part.</summary>
    [JsonPropertyName("file")]
    public FileContent? File { get; set; }

    /// <summary>The refusal text of a <c>refusal</c> part.</summary>
    [JsonPropertyName("refusal")]
    public string? Refusal { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Creates a text part.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The part.</returns>
    public static ContentPart FromText(string text) => new() { Type = TextType, Text = text };

    /// <summary>Creates an image part from a URL or a base64 data URL.</summary>
    /// <param name="url">The image URL or data URL.</param>
    /// <param name="detail">The detail level: <c>auto</c>, <c>low</c> or <c>high</c>; omitted when <see langword="null"/>.</param>
    /// <returns>The part.</returns>
    public static ContentPart FromImageUrl(string url, string? detail = null) =>
        new() { Type = ImageUrlType, ImageUrl = new ImageUrlContent { Url = url, Detail = detail } };

    /// <summary>Creates an input audio part.</summary>
    /// <param name="base64">The base64-encoded audio.</param>
    /// <param name="format">The audio format, such as <c>wav</c> or <c>mp3</c>.</param>
    /// <returns>The part.</returns>
    public static ContentPart FromInputAudio(string base64, string format) =>
        new() { Type = InputAudioType, InputAudio = new InputAudioContent { Data = base64, Format = format } };
}
