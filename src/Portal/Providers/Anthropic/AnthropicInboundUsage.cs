using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Token usage in Anthropic's terms, computed from an OpenAI <see cref="Usage"/>.</summary>
/// <remarks>
/// OpenAI's <c>prompt_tokens</c> include the cached ones; Anthropic's <c>input_tokens</c> do not, so
/// <see cref="InputTokens"/> is <c>prompt_tokens - cached_tokens</c> (never negative) and the cached tokens are
/// <see cref="CacheReadInputTokens"/>. OpenAI reports no cache writes, so <c>cache_creation_input_tokens</c> is always 0.
/// </remarks>
/// <param name="InputTokens">Prompt tokens not read from the cache.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="CacheReadInputTokens">Prompt tokens read from the cache.</param>
internal readonly record struct AnthropicInboundUsage(int InputTokens, int OutputTokens, int CacheReadInputTokens)
{
    /// <summary>Converts OpenAI usage; all zero when there is none.</summary>
    /// <param name="usage">The usage, or <see langword="null"/>.</param>
    /// <returns>The usage in Anthropic's terms.</returns>
    public static AnthropicInboundUsage From(Usage? usage)
    {
        if (usage is null)
        {
            return default;
        }

        var cached = Math.Max(0, usage.PromptTokensDetails?.CachedTokens ?? 0);
        return new AnthropicInboundUsage(Math.Max(0, usage.PromptTokens - cached), usage.CompletionTokens, cached);
    }

    /// <summary>Writes the <c>usage</c> property, in the order Anthropic writes it.</summary>
    /// <param name="writer">The writer, inside an object.</param>
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("input_tokens"u8, InputTokens);
        writer.WriteNumber("cache_creation_input_tokens"u8, 0);
        writer.WriteNumber("cache_read_input_tokens"u8, CacheReadInputTokens);
        writer.WriteNumber("output_tokens"u8, OutputTokens);
        writer.WriteEndObject();
    }
}
