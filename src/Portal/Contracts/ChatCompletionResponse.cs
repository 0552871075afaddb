using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>A non-streamed chat completion (<c>chat.completion</c>).</summary>
public sealed class ChatCompletionResponse
{
    /// <summary>The completion ID.</summary>
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    /// <summary>The object type, always <c>chat.completion</c>.</summary>
    [JsonPropertyName("object")]
    public string Object { get; set; } = "chat.completion";

    /// <summary>When the completion was created, in Unix seconds.</summary>
    [JsonPropertyName("created")]
    public long Created { get; set; }

    /// <summary>The model that produced the completion.</summary>
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    /// <summary>The completion choices.</summary>
    [JsonPropertyName("choices")]
    public IList<ChatChoice> Choices { get; set; } = new List<ChatChoice>();

    /// <summary>The token usage of the request.</summary>
    [JsonPropertyName("usage")]
    public Usage? Usage { get; set; }

    /// <summary>The backend configuration the model ran with.</summary>
    [JsonPropertyName("system_fingerprint")]
    public string? SystemFingerprint { get; set; }

    /// <summary>The processing tier that served the request.</summary>
    [JsonPropertyName("service_tier")]
    public string? ServiceTier { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
