namespace Portal.Relay;

/// <summary>What served a relayed request: the channel of the successful attempt and the tokens it used.</summary>
/// <param name="PlatformId">The platform's id.</param>
/// <param name="ModelId">The model's id.</param>
/// <param name="ApiKeyId">The key's id.</param>
/// <param name="Attempts">How many attempts the request took, the successful one included.</param>
/// <param name="PromptTokens">Prompt tokens, when the upstream reported usage.</param>
/// <param name="CompletionTokens">Completion tokens, when the upstream reported usage.</param>
public sealed record ChatRelayResult(long PlatformId, long ModelId, long ApiKeyId, int Attempts, int? PromptTokens, int? CompletionTokens);
