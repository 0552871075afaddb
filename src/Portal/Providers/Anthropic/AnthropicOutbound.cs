using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>
/// Converts between the gateway's chat contract (OpenAI Chat Completions) and Anthropic's Messages API, for a model
/// served by an Anthropic platform: the contract request to an Anthropic request, the Anthropic message back to a
/// contract response. Pure functions: no HTTP, no I/O. <see cref="AnthropicOutboundStream"/> decodes the event stream.
/// </summary>
/// <remarks>
/// <para>What the request conversion does with each contract field:</para>
/// <list type="bullet">
/// <item><description><c>model</c> is replaced by the platform's model name; <c>max_tokens</c> is <c>max_completion_tokens</c>, else <c>max_tokens</c>, else the caller's default (Anthropic requires it).</description></item>
/// <item><description><c>system</c> and <c>developer</c> messages become the top-level <c>system</c>, in order, wherever they are.</description></item>
/// <item><description><c>tool</c> messages become <c>tool_result</c> blocks of a <c>user</c> turn; consecutive messages of one Anthropic role join one turn (see <see cref="AnthropicOutboundMessages"/>).</description></item>
/// <item><description><c>temperature</c> is clamped to [0, 1]: OpenAI accepts up to 2, Anthropic up to 1. <c>top_p</c> is kept; <c>top_k</c> is read from the extra field of that name when it is an integer.</description></item>
/// <item><description><c>stop</c> becomes <c>stop_sequences</c>; <c>user</c> (else <c>safety_identifier</c>) becomes <c>metadata.user_id</c>.</description></item>
/// <item><description>Function <c>tools</c> and <c>tool_choice</c> are converted (see <see cref="AnthropicOutboundTools"/>); <c>parallel_tool_calls: false</c> becomes <c>disable_parallel_tool_use</c>.</description></item>
/// </list>
/// <para>
/// Dropped, because Anthropic has no counterpart: <c>n</c> (one choice only), <c>presence_penalty</c>,
/// <c>frequency_penalty</c>, <c>logit_bias</c>, <c>logprobs</c>, <c>top_logprobs</c>, <c>seed</c>, <c>response_format</c>,
/// <c>reasoning_effort</c>, <c>verbosity</c>, <c>stream_options</c> (Anthropic always reports usage), <c>modalities</c>,
/// <c>audio</c>, <c>prediction</c>, <c>store</c>, <c>metadata</c> (Anthropic's takes only a user ID), <c>service_tier</c>,
/// <c>web_search_options</c>, <c>prompt_cache_key</c>, <c>prompt_cache_retention</c>, the deprecated <c>functions</c>
/// and <c>function_call</c>, and unknown fields other than <c>top_k</c>. Within messages, what Anthropic cannot express
/// is dropped too: <c>input_audio</c> parts, files other than PDF data, <c>reasoning_content</c> (it would need a thinking
/// signature the contract does not carry), <c>name</c>, and custom tools and their calls.
/// </para>
/// </remarks>
internal static class AnthropicOutbound
{
    /// <summary>Writes the Anthropic Messages request body for a contract request.</summary>
    /// <param name="request">The contract request.</param>
    /// <param name="upstreamModel">The model name on the platform, written as <c>model</c>.</param>
    /// <param name="stream">Whether to ask for an event stream (<c>stream: true</c>).</param>
    /// <param name="defaultMaxTokens">The <c>max_tokens</c> to send when the request sets no limit; Anthropic requires one.</param>
    /// <returns>The UTF-8 JSON body.</returns>
    /// <exception cref="PortalException">
    /// Code <see cref="PortalErrorCode.InvalidRequest"/>: the client's request is wrong (an unknown role, tool call arguments
    /// that are not a JSON object, a tool message without <c>tool_call_id</c>, an image that is neither an http(s) URL nor a
    /// base64 data URL, an unknown <c>tool_choice</c> mode).
    /// </exception>
    public static byte[] ToAnthropic(ChatCompletionRequest request, string upstreamModel, bool stream, int defaultMaxTokens) =>
        AnthropicOutboundRequest.Write(request, upstreamModel, stream, defaultMaxTokens);

    /// <summary>Reads an Anthropic Message (a non-streamed answer) as a contract response.</summary>
    /// <param name="anthropicMessageJson">The response body.</param>
    /// <param name="created">The <c>created</c> time to report, in Unix seconds (Anthropic sends none).</param>
    /// <returns>The response, with one choice.</returns>
    /// <exception cref="UpstreamException">The body is not a Message (kind <see cref="UpstreamErrorKind.Protocol"/>), or is an Anthropic error object (kind <see cref="UpstreamErrorKind.Http"/>).</exception>
    public static ChatCompletionResponse FromAnthropic(ReadOnlySpan<byte> anthropicMessageJson, long created) =>
        AnthropicOutboundResponse.Read(anthropicMessageJson, created, out _);

    /// <summary>Reads an Anthropic Message as a contract response, and reports its token counts as Anthropic gave them.</summary>
    /// <param name="anthropicMessageJson">The response body.</param>
    /// <param name="created">The <c>created</c> time to report, in Unix seconds.</param>
    /// <param name="usage">The token counts, including the cache writes the contract's usage has no field for.</param>
    /// <returns>The response, with one choice.</returns>
    /// <exception cref="UpstreamException">The body is not a Message, or is an Anthropic error object.</exception>
    public static ChatCompletionResponse FromAnthropic(ReadOnlySpan<byte> anthropicMessageJson, long created, out AnthropicOutboundUsage usage) =>
        AnthropicOutboundResponse.Read(anthropicMessageJson, created, out usage);
}
