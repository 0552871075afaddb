namespace Portal.Tokens;

/// <summary>The fixed costs, in tokens, that <see cref="TokenEstimator"/> adds to the text it counts.</summary>
/// <remarks>
/// Framing costs (per message, per tool, per tool call) follow OpenAI's cookbook recipe for counting chat tokens with
/// tiktoken ("How to count tokens with tiktoken", gpt-4o family); Anthropic publishes no such numbers, so the same ones
/// stand in for Claude. Image and tool-prompt costs come from each platform's documentation. All are approximations.
/// </remarks>
internal static class TokenCosts
{
    /// <summary>Framing of one message (start, role separator, end), on top of its role and content: 3, as in the cookbook.</summary>
    public const int PerMessage = 3;

    /// <summary>An OpenAI message's <c>name</c>, on top of the name's text: 1, as in the cookbook.</summary>
    public const int PerName = 1;

    /// <summary>Priming of the reply (<c>&lt;|start|&gt;assistant&lt;|message|&gt;</c>), once per request: 3, as in the cookbook.</summary>
    public const int ReplyPriming = 3;

    /// <summary>Framing of one tool definition, on top of its name, description and schema: 7 (the cookbook's <c>func_init</c>).</summary>
    public const int PerTool = 7;

    /// <summary>Closing of the OpenAI tool list, once when there are tools: 12 (the cookbook's <c>func_end</c>).</summary>
    public const int OpenAIToolsEnd = 12;

    /// <summary>
    /// Framing of one tool call or tool result (an Anthropic <c>tool_use</c> or <c>tool_result</c> block, an OpenAI
    /// <c>tool_calls</c> entry), on top of its id, name and arguments: 3, chosen like <see cref="PerMessage"/> (not measured).
    /// </summary>
    public const int PerToolCall = 3;

    /// <summary>
    /// The system prompt Anthropic adds when a request has tools and <c>tool_choice</c> is <c>auto</c>, <c>none</c> or absent:
    /// 346, Anthropic's documented count for the Claude 4 models.
    /// </summary>
    public const int AnthropicToolPromptAuto = 346;

    /// <summary>The same system prompt when <c>tool_choice</c> is <c>any</c> or <c>tool</c>: 313 (Claude 4 models).</summary>
    public const int AnthropicToolPromptForced = 313;

    /// <summary>Pixels per token of a Claude image: tokens ≈ width × height / 750 (Anthropic's vision guide).</summary>
    public const int AnthropicPixelsPerToken = 750;

    /// <summary>The longest edge Claude keeps: a longer image is scaled down, keeping its aspect ratio, to 1568 pixels.</summary>
    public const int AnthropicMaxImageEdge = 1568;

    /// <summary>The most one Claude image costs: a larger one is scaled down to about 1,600 tokens (1.15 megapixels).</summary>
    public const int AnthropicMaxImageTokens = 1600;

    /// <summary>
    /// A Claude image whose size is not read (a URL, a file id, a format or header not recognized): 1,600, the most an
    /// image costs, which is also what most photos and screenshots cost once scaled.
    /// </summary>
    public const int AnthropicUnknownImage = AnthropicMaxImageTokens;

    /// <summary>
    /// A PDF document (base64, URL or file id), which is not read: 3,000, the upper end of Anthropic's 1,500 to 3,000
    /// tokens per page for one page. Documents of several pages are underestimated.
    /// </summary>
    public const int AnthropicPdfDocument = 3000;

    /// <summary>An OpenAI image at <c>"detail": "low"</c>, whatever its size: 85.</summary>
    public const int OpenAIImageLowDetail = 85;

    /// <summary>The base cost of an OpenAI image at high detail, on top of its tiles: 85.</summary>
    public const int OpenAIImageBase = 85;

    /// <summary>One 512-pixel tile of an OpenAI image at high detail: 170.</summary>
    public const int OpenAIImageTile = 170;

    /// <summary>
    /// An OpenAI image whose size is not read (an http URL, a header not recognized): 765, the cost of a square or 4:3
    /// image of 1024 pixels or more at high detail (4 tiles).
    /// </summary>
    public const int OpenAIUnknownImage = OpenAIImageBase + (4 * OpenAIImageTile);
}
