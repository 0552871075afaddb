using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>The error of an OpenAI error body.</summary>
public sealed class ErrorDetail
{
    /// <summary>A human-readable message.</summary>
    [JsonPropertyName("message")]
    public string Message { get; set; } = "";

    /// <summary>The error type, such as <c>invalid_request_error</c>.</summary>
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    /// <summary>The request parameter at fault; always written, as <see langword="null"/> when unset, as OpenAI does.</summary>
    [JsonPropertyName("param")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? Param { get; set; }

    /// <summary>The error code: a string or <see langword="null"/> from OpenAI, a number from some providers; always written.</summary>
    [JsonPropertyName("code")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public JsonElement? Code { get; set; }

    /// <summary>The code as text: the string, or the number's JSON text; <see langword="null"/> when absent or null.</summary>
    [JsonIgnore]
    public string? CodeString => Code switch
    {
        null => null,
        { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
        { ValueKind: JsonValueKind.String } code => code.GetString(),
        { } code => code.GetRawText(),
    };

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
