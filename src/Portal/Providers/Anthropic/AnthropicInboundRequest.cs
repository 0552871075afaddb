using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>An Anthropic Messages request converted to the chat contract, with what could not be carried over.</summary>
/// <param name="Request">The chat completion request to send to an OpenAI-format platform.</param>
/// <param name="Dropped">
/// What the conversion dropped, each named once in the order first met, in the forms listed on
/// <see cref="AnthropicInbound"/> (such as <c>top_k</c>, <c>cache_control</c>, <c>tools: web_search_20250305</c>,
/// <c>content: thinking</c>); empty when nothing was lost. For logs and diagnostics, never shown as an error.
/// </param>
internal sealed record AnthropicInboundRequest(ChatCompletionRequest Request, IReadOnlyList<string> Dropped);
