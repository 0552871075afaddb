namespace Portal.Server.Auth;

/// <summary>Who may call the gateway, bound from <c>Portal:Auth</c>.</summary>
/// <remarks>Tokens are hashed at start and never logged.</remarks>
public sealed class AuthOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Auth";

    /// <summary>
    /// The bearer tokens that may call the client API (<c>/v1/...</c>). When empty the client API needs no token and the
    /// server refuses to listen on anything but loopback.
    /// </summary>
    /// <value>The default is empty.</value>
    public IList<string> ClientTokens { get; } = [];

    /// <summary>
    /// The bearer token of the admin API (<c>/admin/...</c>); it may call the client API too. When unset the admin API is
    /// open on loopback if no client tokens are set either (development), and disabled otherwise.
    /// </summary>
    /// <value>The default is <see langword="null"/>.</value>
    public string? AdminToken { get; set; }

    internal IEnumerable<string> Validate()
    {
        for (var i = 0; i < ClientTokens.Count; i++)
        {
            var token = ClientTokens[i];
            if (string.IsNullOrWhiteSpace(token))
            {
                yield return $"{SectionName}:ClientTokens:{i} is empty; remove it or give it a value.";
            }
            else if (token.Trim().Length != token.Length || token.Any(char.IsWhiteSpace))
            {
                yield return $"{SectionName}:ClientTokens:{i} contains white space, which a bearer token cannot carry.";
            }
        }

        if (!string.IsNullOrEmpty(AdminToken))
        {
            if (AdminToken.Any(char.IsWhiteSpace))
            {
                yield return $"{SectionName}:AdminToken contains white space, which a bearer token cannot carry.";
            }

            if (ClientTokens.Contains(AdminToken, StringComparer.Ordinal))
            {
                yield return $"{SectionName}:AdminToken must differ from every entry of {SectionName}:ClientTokens.";
            }
        }
    }
}
