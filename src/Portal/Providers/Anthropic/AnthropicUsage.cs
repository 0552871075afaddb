using System.Text.Json;
using Portal.Stats;

namespace Portal.Providers.Anthropic;

/// <summary>The usage an Anthropic answer reports, gathered from a message or from a stream's <c>message_start</c> and <c>message_delta</c> events.</summary>
/// <remarks>
/// Anthropic's <c>input_tokens</c> excludes the tokens read from or written to the prompt cache; Portal's prompt count
/// includes them (<see cref="Tokens"/>), so stats mean the same whatever the format.
/// </remarks>
internal struct AnthropicUsage
{
    /// <summary>Whether any usage was seen.</summary>
    public bool Seen { get; private set; }

    /// <summary>Uncached input tokens.</summary>
    public int Input { get; private set; }

    /// <summary>Output tokens.</summary>
    public int Output { get; private set; }

    /// <summary>Input tokens read from the cache.</summary>
    public int CacheRead { get; private set; }

    /// <summary>Input tokens written to the cache.</summary>
    public int CacheWrite { get; private set; }

    /// <summary>The counts as a stat row records them; all <see langword="null"/> when no usage was seen.</summary>
    public readonly TokenCounts Tokens => Seen ? new(Input + CacheRead + CacheWrite, Output, CacheRead, CacheWrite) : default;

    /// <summary>Takes the members of a <c>usage</c> object; a member it lacks keeps its earlier value (a <c>message_delta</c> may carry only <c>output_tokens</c>).</summary>
    public void Take(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        Seen = true;
        Input = Read(usage, "input_tokens") ?? Input;
        Output = Read(usage, "output_tokens") ?? Output;
        CacheRead = Read(usage, "cache_read_input_tokens") ?? CacheRead;
        CacheWrite = Read(usage, "cache_creation_input_tokens") ?? CacheWrite;
    }

    /// <summary>Takes the usage of a message (<c>usage</c> at the top) or of a stream event (<c>message.usage</c> in <c>message_start</c>, <c>usage</c> in <c>message_delta</c>).</summary>
    public void TakeFrom(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out var nested))
        {
            Take(nested);
        }
        else if (root.TryGetProperty("usage", out var usage))
        {
            Take(usage);
        }
    }

    private static int? Read(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;
}
