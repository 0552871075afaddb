namespace Portal.Relay;

/// <summary>The input tokens of an Anthropic Messages request, from <see cref="PortalGateway.CountMessageTokensAsync"/>.</summary>
/// <param name="InputTokens">The count.</param>
/// <param name="Exact">Whether an Anthropic platform counted (<see langword="true"/>) or Portal estimated it locally (<see langword="false"/>).</param>
public sealed record MessageTokenCount(int InputTokens, bool Exact);
