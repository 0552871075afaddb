using System.Text.Json;
using Portal.Contracts;
using Portal.Stats;

namespace Portal.Providers.Anthropic;

/// <summary>The token counts an Anthropic platform reported for one message, as the gateway records them.</summary>
/// <param name="InputTokens">Uncached input tokens (<c>input_tokens</c>).</param>
/// <param name="OutputTokens">Generated tokens (<c>output_tokens</c>).</param>
/// <param name="CacheReadInputTokens">Input tokens read from the prompt cache (<c>cache_read_input_tokens</c>).</param>
/// <param name="CacheCreationInputTokens">Input tokens written to the prompt cache (<c>cache_creation_input_tokens</c>).</param>
/// <remarks>
/// Anthropic counts cached input apart from <c>input_tokens</c>, while OpenAI's <c>prompt_tokens</c> includes it:
/// <see cref="ToUsage"/> adds the three input counts together and reports the cache reads as <c>cached_tokens</c>.
/// </remarks>
internal readonly record struct AnthropicOutboundUsage(int InputTokens, int OutputTokens, int CacheReadInputTokens, int CacheCreationInputTokens)
{
    /// <summary>All input tokens: uncached, read from the cache and written to it, saturated at <see cref="int.MaxValue"/>.</summary>
    public int PromptTokens => Saturate((long)InputTokens + CacheReadInputTokens + CacheCreationInputTokens);

    /// <summary>Returns these counts with the ones present in an Anthropic <c>usage</c> object replacing them.</summary>
    /// <param name="usage">The <c>usage</c> object; anything else leaves the counts as they are.</param>
    /// <returns>The merged counts.</returns>
    /// <remarks>A stream reports input counts in <c>message_start</c> and cumulative counts in <c>message_delta</c>, so later values win.</remarks>
    public AnthropicOutboundUsage With(JsonElement usage) => usage.ValueKind != JsonValueKind.Object
        ? this
        : new AnthropicOutboundUsage(
            Count(usage, "input_tokens") ?? InputTokens,
            Count(usage, "output_tokens") ?? OutputTokens,
            Count(usage, "cache_read_input_tokens") ?? CacheReadInputTokens,
            Count(usage, "cache_creation_input_tokens") ?? CacheCreationInputTokens);

    /// <summary>The counts in the contract's shape.</summary>
    /// <returns>A new usage with <c>prompt_tokens_details.cached_tokens</c> set to the cache reads.</returns>
    public Usage ToUsage() => new()
    {
        PromptTokens = PromptTokens,
        CompletionTokens = OutputTokens,
        TotalTokens = Saturate((long)PromptTokens + OutputTokens),
        PromptTokensDetails = new PromptTokensDetails { CachedTokens = CacheReadInputTokens },
        AdditionalProperties = CacheCreationInputTokens == 0 ? null : new()
        {
            [TokenCounts.CacheWriteProperty] = JsonSerializer.SerializeToElement(CacheCreationInputTokens, PortalJsonContext.Default.Int32),
        },
    };

    /// <summary>The counts as a stat row records them.</summary>
    public TokenCounts Tokens => new(PromptTokens, OutputTokens, CacheReadInputTokens, CacheCreationInputTokens);

    /// <summary>A non-negative count, or <see langword="null"/> when the property is absent, <c>null</c> or not a number.</summary>
    private static int? Count(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var count)
            ? Saturate(Math.Max(count, 0))
            : null;

    private static int Saturate(long value) => (int)Math.Min(value, int.MaxValue);
}
