using System.Text.Json;
using Portal.Contracts;

namespace Portal.Stats;

/// <summary>The tokens an attempt used, as its stat row records them, whatever the platform's format.</summary>
/// <param name="Prompt">Every input token, cached or not; <see langword="null"/> when the upstream reported no usage.</param>
/// <param name="Completion">Output tokens.</param>
/// <param name="CachedInput">Of <paramref name="Prompt"/>, those read from the platform's prompt cache.</param>
/// <param name="CacheWrite">Of <paramref name="Prompt"/>, those written to the platform's prompt cache.</param>
internal readonly record struct TokenCounts(int? Prompt, int? Completion, int? CachedInput = null, int? CacheWrite = null)
{
    /// <summary>
    /// The name under which the contract's <see cref="Usage.AdditionalProperties"/> carry tokens written to a prompt
    /// cache (Anthropic's count, which OpenAI's usage has no field for); the OpenAI shape relays it as an extra member.
    /// </summary>
    public const string CacheWriteProperty = "cache_creation_input_tokens";

    /// <summary>The counts of a contract usage object; all <see langword="null"/> when there is none.</summary>
    public static TokenCounts From(Usage? usage)
    {
        if (usage is null)
        {
            return default;
        }

        int? cacheWrite = usage.AdditionalProperties?.TryGetValue(CacheWriteProperty, out var write) == true
            && write.ValueKind == JsonValueKind.Number && write.TryGetInt32(out var n) ? n : null;
        return new(usage.PromptTokens, usage.CompletionTokens, usage.PromptTokensDetails?.CachedTokens, cacheWrite);
    }
}
