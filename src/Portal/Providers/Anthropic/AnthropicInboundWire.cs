namespace Portal.Providers.Anthropic;

/// <summary>The rules the non-streamed answer and the event stream share: stop reasons and message IDs.</summary>
internal static class AnthropicInboundWire
{
    /// <summary>The prefix of an Anthropic message ID.</summary>
    public const string MessageIdPrefix = "msg_";

    /// <summary>The prefix of a tool use ID the gateway makes up when the platform sent none.</summary>
    public const string ToolUseIdPrefix = "toolu_";

    /// <summary>Maps an OpenAI finish reason to an Anthropic stop reason.</summary>
    /// <remarks>
    /// <c>stop</c> becomes <c>end_turn</c>, never <c>stop_sequence</c>: OpenAI does not say whether a stop sequence
    /// matched, nor which one (so <c>stop_sequence</c> is always <see langword="null"/>). Some OpenAI-compatible
    /// platforms end a turn that calls tools with <c>stop</c>; an Anthropic client runs tools only on <c>tool_use</c>,
    /// so a turn with tool calls that would end as <c>end_turn</c> ends as <c>tool_use</c>.
    /// </remarks>
    /// <param name="finishReason">The finish reason, or <see langword="null"/> when the platform sent none.</param>
    /// <param name="hasToolCalls">Whether the answer has at least one tool call.</param>
    /// <returns><c>end_turn</c>, <c>max_tokens</c>, <c>tool_use</c> or <c>refusal</c>.</returns>
    public static string StopReason(string? finishReason, bool hasToolCalls) => finishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => hasToolCalls ? "tool_use" : "end_turn",
    };

    /// <summary>The Anthropic message ID for an upstream completion ID: <c>msg_</c> and the upstream ID.</summary>
    /// <remarks>
    /// The upstream ID is kept so a message can be traced to the platform's logs; an ID that already starts with
    /// <c>msg_</c> is kept as is, and a missing one is replaced by a random one.
    /// </remarks>
    /// <param name="upstreamId">The <c>id</c> of the chat completion, or <see langword="null"/>.</param>
    /// <returns>The message ID.</returns>
    public static string MessageId(string? upstreamId) =>
        string.IsNullOrEmpty(upstreamId) ? MessageIdPrefix + Guid.NewGuid().ToString("N")
        : upstreamId.StartsWith(MessageIdPrefix, StringComparison.Ordinal) ? upstreamId
        : MessageIdPrefix + upstreamId;

    /// <summary>A tool use ID for a tool call the platform sent without one.</summary>
    /// <returns>A random <c>toolu_</c> ID.</returns>
    public static string NewToolUseId() => ToolUseIdPrefix + Guid.NewGuid().ToString("N");
}
