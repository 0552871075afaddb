using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>The body of an OpenAI <c>POST /v1/chat/completions</c> request.</summary>
/// <remarks>Fields the gateway does not model are kept in <see cref="AdditionalProperties"/> and written back unchanged.</remarks>
public sealed class ChatCompletionRequest
{
    /// <summary>The model ID, such as <c>gpt-4o</c>.</summary>
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    /// <summary>The conversation so far.</summary>
    [JsonPropertyName("messages")]
    public IList<ChatMessage> Messages { get; set; } = new List<ChatMessage>();

    /// <summary>Whether to stream the response as server-sent events.</summary>
    [JsonPropertyName("stream")]
    public bool? Stream { get; set; }

    /// <summary>Options for a streamed response.</summary>
    [JsonPropertyName("stream_options")]
    public StreamOptions? StreamOptions { get; set; }

    /// <summary>The sampling temperature, between 0 and 2.</summary>
    [JsonPropertyName("temperature")]
    public double? Temperature { get; set; }

    /// <summary>The nucleus sampling probability mass.</summary>
    [JsonPropertyName("top_p")]
    public double? TopP { get; set; }

    /// <summary>How many choices to generate.</summary>
    [JsonPropertyName("n")]
    public int? N { get; set; }

    /// <summary>Up to four sequences at which generation stops; a string or an array on the wire.</summary>
    [JsonPropertyName("stop")]
    public StopSequences? Stop { get; set; }

    /// <summary>The maximum number of generated tokens (deprecated in favour of <see cref="MaxCompletionTokens"/>).</summary>
    [JsonPropertyName("max_tokens")]
    public int? MaxTokens { get; set; }

    /// <summary>The upper bound on generated tokens, including reasoning tokens.</summary>
    [JsonPropertyName("max_completion_tokens")]
    public int? MaxCompletionTokens { get; set; }

    /// <summary>The presence penalty, between -2 and 2.</summary>
    [JsonPropertyName("presence_penalty")]
    public double? PresencePenalty { get; set; }

    /// <summary>The frequency penalty, between -2 and 2.</summary>
    [JsonPropertyName("frequency_penalty")]
    public double? FrequencyPenalty { get; set; }

    /// <summary>Biases keyed by token ID, from -100 to 100.</summary>
    [JsonPropertyName("logit_bias")]
    public Dictionary<string, double>? LogitBias { get; set; }

    /// <summary>Whether to return log probabilities of the output tokens.</summary>
    [JsonPropertyName("logprobs")]
    public bool? Logprobs { get; set; }

    /// <summary>How many most likely tokens to return at each position, from 0 to 20.</summary>
    [JsonPropertyName("top_logprobs")]
    public int? TopLogprobs { get; set; }

    /// <summary>A stable end-user identifier (deprecated in favour of <see cref="SafetyIdentifier"/> and <see cref="PromptCacheKey"/>).</summary>
    [JsonPropertyName("user")]
    public string? User { get; set; }

    /// <summary>The seed for best-effort deterministic sampling.</summary>
    [JsonPropertyName("seed")]
    public long? Seed { get; set; }

    /// <summary>The tools the model may call.</summary>
    [JsonPropertyName("tools")]
    public IList<ChatTool>? Tools { get; set; }

    /// <summary>Which tool, if any, the model must call; a string or an object on the wire.</summary>
    [JsonPropertyName("tool_choice")]
    public ToolChoice? ToolChoice { get; set; }

    /// <summary>Whether the model may call several tools in one turn.</summary>
    [JsonPropertyName("parallel_tool_calls")]
    public bool? ParallelToolCalls { get; set; }

    /// <summary>The output format: text, JSON object or JSON schema.</summary>
    [JsonPropertyName("response_format")]
    public ResponseFormat? ResponseFormat { get; set; }

    /// <summary>The output modalities, such as <c>["text", "audio"]</c>.</summary>
    [JsonPropertyName("modalities")]
    public IList<string>? Modalities { get; set; }

    /// <summary>Audio output parameters (voice and format), kept as raw JSON.</summary>
    [JsonPropertyName("audio")]
    public JsonElement? Audio { get; set; }

    /// <summary>Predicted output content, kept as raw JSON.</summary>
    [JsonPropertyName("prediction")]
    public JsonElement? Prediction { get; set; }

    /// <summary>The reasoning effort for reasoning models, such as <c>low</c>, <c>medium</c> or <c>high</c>.</summary>
    [JsonPropertyName("reasoning_effort")]
    public string? ReasoningEffort { get; set; }

    /// <summary>The processing tier, such as <c>auto</c>, <c>default</c>, <c>flex</c> or <c>priority</c>.</summary>
    [JsonPropertyName("service_tier")]
    public string? ServiceTier { get; set; }

    /// <summary>Whether the provider stores the completion.</summary>
    [JsonPropertyName("store")]
    public bool? Store { get; set; }

    /// <summary>Up to 16 string key-value pairs attached to the completion.</summary>
    [JsonPropertyName("metadata")]
    public Dictionary<string, string>? Metadata { get; set; }

    /// <summary>Web search tool options, kept as raw JSON.</summary>
    [JsonPropertyName("web_search_options")]
    public JsonElement? WebSearchOptions { get; set; }

    /// <summary>The verbosity of the answer: <c>low</c>, <c>medium</c> or <c>high</c>.</summary>
    [JsonPropertyName("verbosity")]
    public string? Verbosity { get; set; }

    /// <summary>A key that groups similar requests to improve prompt cache hits.</summary>
    [JsonPropertyName("prompt_cache_key")]
    public string? PromptCacheKey { get; set; }

    /// <summary>How long the prompt cache is kept: <c>in_memory</c> or <c>24h</c>.</summary>
    [JsonPropertyName("prompt_cache_retention")]
    public string? PromptCacheRetention { get; set; }

    /// <summary>A stable, hashed end-user identifier used for abuse detection.</summary>
    [JsonPropertyName("safety_identifier")]
    public string? SafetyIdentifier { get; set; }

    /// <summary>Deprecated list of functions (replaced by <see cref="Tools"/>), kept as raw JSON.</summary>
    [JsonPropertyName("functions")]
    public JsonElement? Functions { get; set; }

    /// <summary>Deprecated function choice (replaced by <see cref="ToolChoice"/>), kept as raw JSON.</summary>
    [JsonPropertyName("function_call")]
    public JsonElement? FunctionCall { get; set; }

    /// <summary>Fields not modelled above, written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? AdditionalProperties { get; set; }

    /// <summary>Returns a copy whose top-level properties can be reassigned without changing this request.</summary>
    /// <remarks>
    /// <see cref="AdditionalProperties"/> is copied too, so fields can be added or removed on the copy;
    /// every other collection and nested object (messages, tools, ...) is shared with this request.
    /// </remarks>
    /// <returns>The copy.</returns>
    public ChatCompletionRequest ShallowClone()
    {
        var clone = (ChatCompletionRequest)MemberwiseClone();
        if (AdditionalProperties is { } additional)
        {
            clone.AdditionalProperties = new Dictionary<string, JsonElement>(additional, additional.Comparer);
        }

        return clone;
    }
}
