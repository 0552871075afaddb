using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>One server-sent event of a streamed chat completion (<c>chat.completion.chunk</c>).</summary>
public sealed class ChatCompletionChunk
{
    /// <summary>The completion ID, the same on every chunk.</summary>
    [JsonPropertyName("id")]
    public string Id { get; set; } = "";

    /// <summary>The object type, always <c>chat.completion.chunk</c>.</summary>
    [JsonPropertyName("object")]
    public string Object { get; set; } = "chat.completion.chunk";

    /// <summary>When the completion was created, in Unix seconds, the same on every chunk.</summary>
    [JsonPropertyName("created")]
    public long Created { get; set; }

    /// <summary>The model that produced the completion.</summary>
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    /// <summary>The choice deltas; empty on the final usage chunk.</summary>
    [JsonPropertyName("choices")]
    public IList<ChatChunkChoice> Choices { get; set; } = new List<ChatChunkChoice>();

    /// <summary>The token usage of the whole request, on the final chunk when <c>include_usage</c> is set.</summary>
    [JsonPropertyName("usage")]
    public Usage? Usage { get; set; }

    /// <summary>The backend configuration the model ran with.</summary>
    [JsonPropertyName("system_fingerprint")]
    public string? SystemFingerprint { get; set; }

    /// <summary>The processing tier that served the request.</summary>
    [JsonPropertyName("service_tier")]
    public string? ServiceTier { get; set; }

    /// <summary>Random padding that normalizes chunk sizes against side-channel attacks.</summary>
    [JsonPropertyName("obfuscation")]
    public string? Obfuscation { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }
}
