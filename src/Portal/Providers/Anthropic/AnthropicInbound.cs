using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>
/// Pure conversions for an Anthropic Messages client (Claude Code, the Anthropic SDKs) served by an OpenAI-format
/// platform: the request to the chat contract, and the chat completion back to an Anthropic Message. The stream is
/// converted by <see cref="AnthropicEventEncoder"/>.
/// </summary>
/// <remarks>
/// <para><b>Request</b> (<see cref="ToChat"/>):</para>
/// <list type="bullet">
/// <item><c>model</c>, <c>temperature</c>, <c>top_p</c> are copied; <c>max_tokens</c> (required, at least 1: unlike Anthropic, an OpenAI-format platform has no use for 0) becomes
/// <c>max_completion_tokens</c>; <c>stop_sequences</c> becomes <c>stop</c>; <c>metadata.user_id</c> becomes <c>user</c>;
/// <c>stream: true</c> is copied with <c>stream_options.include_usage</c>, so the stream ends with usage.</item>
/// <item><c>system</c> becomes one leading <c>system</c> message whose text is the string, or the <c>text</c> blocks
/// joined with a blank line (<c>"\n\n"</c>).</item>
/// <item>A user turn becomes one <c>tool</c> message per <c>tool_result</c> (in order, before anything else of the
/// turn, as OpenAI needs them right after the assistant's calls), then one <c>user</c> message with the rest. That
/// message is a string (text blocks joined with a blank line) when it holds only text, else an array of parts:
/// <c>text</c>; <c>image</c> as <c>image_url</c> (a base64 source as a <c>data:</c> URL, a URL source as is);
/// <c>document</c> with a base64 source as a <c>file</c> part (<c>file_data</c> a <c>data:</c> URL, <c>filename</c>
/// the <c>title</c> with <c>.pdf</c> appended when missing, or <c>document.pdf</c>), with a text source as text.</item>
/// <item>A <c>tool_result</c>'s message is its string, or its text blocks joined with a blank line; with
/// <c>is_error: true</c> it is prefixed with <c>Error: </c> (or is just <c>Error</c> when empty). Its images and files
/// go to the user message that follows, after a text part naming the tool call.</item>
/// <item>An assistant turn becomes one <c>assistant</c> message: its text blocks joined with a blank line, and each
/// <c>tool_use</c> as a function tool call (<c>arguments</c> the <c>input</c> object as compact JSON). A turn left
/// empty (only thinking) is skipped.</item>
/// <item>Custom tools (no <c>type</c>, or <c>custom</c>) become function tools with <c>parameters</c> the
/// <c>input_schema</c>. <c>tool_choice</c> <c>auto</c>, <c>any</c>, <c>tool</c>, <c>none</c> become <c>auto</c>,
/// <c>required</c>, that function, <c>none</c>; <c>disable_parallel_tool_use: true</c> becomes
/// <c>parallel_tool_calls: false</c>.</item>
/// </list>
/// <para>
/// <b>Dropped</b>, as an OpenAI-format platform cannot express them, and named in
/// <see cref="AnthropicInboundRequest.Dropped"/>: every top-level field not listed above, by its name (<c>top_k</c>,
/// <c>thinking</c>, <c>service_tier</c>, <c>container</c>, <c>mcp_servers</c>, <c>context_management</c>, and any unknown
/// field); every <c>cache_control</c> (<c>cache_control</c>); citations on blocks and documents (<c>citations</c>);
/// server and Anthropic-defined tools, any <c>type</c> other than <c>custom</c> (<c>tools: web_search_20250305</c>);
/// <c>tool_choice</c> when no function tool remains or it names a dropped tool (<c>tool_choice</c>);
/// <c>thinking</c> and <c>redacted_thinking</c> blocks, server tool blocks and unknown block types that carry no
/// <c>text</c> string (<c>content: thinking</c>); an unknown block type with a <c>text</c> string is kept as text;
/// image sources other than base64 and URL (<c>image source: file</c>); document sources other than base64 and text
/// (<c>document source: url</c>).
/// </para>
/// <para>
/// <b>Errors</b>: a request the client got wrong throws <see cref="PortalException"/> with
/// <see cref="PortalErrorCode.InvalidRequest"/> and a message naming the field as Anthropic does
/// (<c>max_tokens: Field required</c>, <c>messages.1.content.0.tool_use_id: Field required</c>): a body that is not a JSON
/// object, a missing or mistyped required field, a malformed block of a known type, a role other than user, assistant
/// or system (a <c>system</c> message, which Claude Code sends between turns, stays a system message where it stands),
/// <c>tool_use</c> in a user turn or <c>tool_result</c> in an assistant turn. An unknown block type is never
/// an error.
/// </para>
/// <para>
/// <b>Answer</b> (<see cref="FromChatResponse"/>): the first choice becomes a Message with a <c>text</c> block (omitted
/// when empty), a <c>text</c> block for a refusal, then a <c>tool_use</c> block per function call (the ID kept,
/// <c>input</c> the arguments when they parse as a JSON object, otherwise <c>{}</c>, because Anthropic's <c>input</c> is
/// always an object). <c>reasoning_content</c> is dropped: a <c>thinking</c> block needs a signature only Anthropic can
/// make, and one without it would be rejected if the conversation later reaches an Anthropic platform. The stop reason
/// and message ID follow <see cref="AnthropicInboundWire"/>, the usage <see cref="AnthropicInboundUsage"/>.
/// </para>
/// </remarks>
internal static class AnthropicInbound
{
    /// <summary>Converts the body of an Anthropic <c>POST /v1/messages</c> request to a chat completion request.</summary>
    /// <param name="anthropicRequestJson">The UTF-8 JSON body.</param>
    /// <returns>The chat request and what was dropped.</returns>
    /// <exception cref="PortalException">The request is malformed (<see cref="PortalErrorCode.InvalidRequest"/>).</exception>
    public static AnthropicInboundRequest ToChat(ReadOnlySpan<byte> anthropicRequestJson) =>
        AnthropicInboundRequestReader.Read(anthropicRequestJson);

    /// <summary>Converts a non-streamed chat completion to the JSON of an Anthropic Message.</summary>
    /// <param name="response">The chat completion.</param>
    /// <param name="model">The model as the client named it, written back unchanged.</param>
    /// <returns>The UTF-8 JSON of the Message.</returns>
    public static byte[] FromChatResponse(ChatCompletionResponse response, string model) =>
        AnthropicInboundResponseWriter.Write(response, model);
}
