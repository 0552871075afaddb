using Microsoft.ML.Tokenizers;
using Portal.Contracts;

namespace Portal.Tokens;

/// <summary>
/// Estimates how many input tokens a request holds, with OpenAI's <c>o200k_base</c> encoding: for Anthropic's
/// <c>count_tokens</c> when the platform chosen is not Anthropic, and for rate limiting before a call.
/// </summary>
/// <remarks>
/// <para>
/// These are estimates. Claude's tokenizer is not public, so <c>o200k_base</c> (GPT-4o, GPT-4.1, o-series) stands in for
/// it. Expect Claude's own count to differ, usually upward: commonly by 10 to 30 percent on English prose and code, and
/// more on other scripts and on unusual text (digit runs, base64, emoji); this range is the usual report, not measured
/// here. For OpenAI models of the GPT-4o family the text count is exact and the request estimate is within a few tokens
/// per message of what the API reports. On top of the text, the estimate adds the framing, tool-prompt and image costs
/// of <see cref="TokenCosts"/>; audio, and files that are not text, are not counted.
/// </para>
/// <para>
/// Thread safety: every member may be called concurrently. The tokenizer is created on first use, once per process
/// (its vocabulary, embedded in the <c>Microsoft.ML.Tokenizers.Data.O200kBase</c> assembly, takes one to two seconds
/// and some tens of megabytes to load on a small machine), and is safe to share. If loading fails, every later call
/// throws the same exception.
/// </para>
/// </remarks>
internal static class TokenEstimator
{
    /// <summary>The tiktoken encoding used for every count.</summary>
    public const string EncodingName = "o200k_base";

    private static readonly Lazy<Tokenizer> LazyTokenizer =
        new(() => TiktokenTokenizer.CreateForEncoding(EncodingName), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared <c>o200k_base</c> tokenizer, created on first use.</summary>
    internal static Tokenizer Tokenizer => LazyTokenizer.Value;

    /// <summary>Counts the tokens of a text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The number of <c>o200k_base</c> tokens; 0 for empty text.</returns>
    public static int CountText(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : Tokenizer.CountTokens(text);

    /// <summary>Counts the tokens of a text.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The number of <c>o200k_base</c> tokens; 0 for a null or empty text.</returns>
    public static int CountText(string? text) => string.IsNullOrEmpty(text) ? 0 : Tokenizer.CountTokens(text);

    /// <summary>Estimates the input tokens of an Anthropic Messages request (<c>POST /v1/messages</c> or <c>/v1/messages/count_tokens</c>).</summary>
    /// <param name="anthropicMessagesRequestJson">The request body, UTF-8 JSON.</param>
    /// <returns>The estimated input tokens.</returns>
    /// <remarks>
    /// Counts the <c>system</c> prompt (a string or text blocks); in every message its role and its content (a string or
    /// blocks): <c>text</c>, <c>thinking</c>, <c>tool_use</c> (id, name and input JSON), <c>tool_result</c> (id and its text or
    /// blocks), <c>document</c> (title, context and a text or content source; a PDF costs <see cref="TokenCosts.AnthropicPdfDocument"/>)
    /// and <c>image</c> (<see cref="ImageCosts.Anthropic"/> when the size is read from the base64 data, else
    /// <see cref="TokenCosts.AnthropicUnknownImage"/>); and every tool's name, description and <c>input_schema</c> JSON, plus
    /// the tool-use system prompt. Thinking blocks are counted in every turn, although Anthropic drops those of earlier turns:
    /// an overestimate. Members of unexpected types are skipped, not rejected.
    /// </remarks>
    /// <exception cref="PortalException">The body is not a JSON object (code <see cref="PortalErrorCode.InvalidRequest"/>).</exception>
    public static int EstimateAnthropicRequest(ReadOnlySpan<byte> anthropicMessagesRequestJson) =>
        AnthropicRequestCounter.Count(anthropicMessagesRequestJson);

    /// <summary>Estimates the input tokens of an OpenAI-shaped chat completion request.</summary>
    /// <param name="request">The request.</param>
    /// <returns>The estimated input tokens.</returns>
    /// <remarks>
    /// Counts, like OpenAI's cookbook, every message's role, name and content (text and refusal parts; image parts by
    /// <see cref="ImageCosts.OpenAI"/> when a <c>data:</c> URL's size is read, else <see cref="ImageCosts.OpenAIUnknown"/>),
    /// its tool calls (id, name, arguments), tool call id, refusal and reasoning content; every tool's name, description and
    /// parameters JSON; the legacy <c>functions</c> and <c>function_call</c> JSON; and a <c>json_schema</c> response format.
    /// Audio and file parts are not counted.
    /// </remarks>
    public static int EstimateChatRequest(ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ChatRequestCounter.Count(request);
    }
}
