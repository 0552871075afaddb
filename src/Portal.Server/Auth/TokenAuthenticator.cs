using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Portal.Server.Auth;

/// <summary>Who a request comes from, as told by its bearer token.</summary>
internal enum Caller
{
    /// <summary>No token was sent.</summary>
    Anonymous,

    /// <summary>A token was sent that matches no configured token.</summary>
    Invalid,

    /// <summary>A client token.</summary>
    Client,

    /// <summary>The admin token.</summary>
    Admin,
}

/// <summary>What the admin API accepts.</summary>
internal enum AdminAccess
{
    /// <summary>The admin token (<c>Portal:Auth:AdminToken</c> is set).</summary>
    Token,

    /// <summary>Anyone: no admin token and no client token are set, and the server listens on loopback only (development).</summary>
    Open,

    /// <summary>Nobody: client tokens are set but no admin token.</summary>
    Disabled,
}

/// <summary>Checks bearer tokens against the configured ones, which it keeps only as SHA-256 hashes.</summary>
/// <remarks>
/// A presented token is hashed and compared with every configured hash in constant time, without stopping at a match,
/// so the time taken says nothing about which token matched or how much of it. Thread-safe.
/// </remarks>
internal sealed class TokenAuthenticator
{
    private const int HashLength = SHA256.HashSizeInBytes;
    private const int MaxTokenBytes = 4096;

    private readonly byte[][] _clientHashes;
    private readonly byte[]? _adminHash;

    /// <summary>The caller name of the admin token.</summary>
    public const string AdminName = "admin";

    public TokenAuthenticator(IOptions<AuthOptions> options)
    {
        var auth = options.Value;
        _clientHashes = [.. auth.ClientTokens.Select(Hash)];
        ClientNames = [.. Enumerable.Range(1, _clientHashes.Length).Select(i => "client-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        _adminHash = string.IsNullOrEmpty(auth.AdminToken) ? null : Hash(auth.AdminToken);
        AdminAccess = _adminHash is not null ? AdminAccess.Token : _clientHashes.Length == 0 ? AdminAccess.Open : AdminAccess.Disabled;
    }

    /// <summary>The caller names of the client tokens, in configuration order.</summary>
    public IReadOnlyList<string> ClientNames { get; }

    /// <summary>Whether the client API needs a token (some client tokens are configured).</summary>
    public bool ClientTokenRequired => _clientHashes.Length > 0;

    /// <summary>What the admin API accepts.</summary>
    public AdminAccess AdminAccess { get; }

    /// <summary>Identifies the caller from the <c>Authorization</c> header values.</summary>
    public Caller Identify(string? authorization) => Identify(authorization, out _);

    /// <summary>Identifies the caller and, for a client token, its name: <c>client-N</c> for the N-th entry of <c>Portal:Auth:ClientTokens</c> (from 1).</summary>
    /// <remarks>A name made from the token's position, never from the token, so it can be logged and stored.</remarks>
    public Caller Identify(string? authorization, out string? name)
    {
        name = null;
        if (string.IsNullOrEmpty(authorization))
        {
            return Caller.Anonymous;
        }

        const string Scheme = "Bearer ";
        if (!authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return Caller.Invalid;
        }

        return IdentifyToken(authorization.AsSpan(Scheme.Length), out name);
    }

    /// <summary>Identifies the caller from a bare token, as an <c>x-api-key</c> header carries it (Anthropic's clients).</summary>
    /// <param name="token">The token (surrounding white space is ignored).</param>
    /// <param name="name">The client token's name, for a client token.</param>
    /// <returns>Who the token belongs to; <see cref="Caller.Invalid"/> for an empty or unknown one.</returns>
    public Caller IdentifyToken(ReadOnlySpan<char> token, out string? name)
    {
        name = null;
        token = token.Trim();
        if (token.IsEmpty || Encoding.UTF8.GetMaxByteCount(token.Length) > MaxTokenBytes)
        {
            return Caller.Invalid;
        }

        Span<byte> utf8 = stackalloc byte[MaxTokenBytes];
        var length = Encoding.UTF8.GetBytes(token, utf8);
        Span<byte> hash = stackalloc byte[HashLength];
        SHA256.HashData(utf8[..length], hash);
        utf8[..length].Clear();

        // Every hash is compared: no early exit on a match.
        var match = -1;
        for (var i = 0; i < _clientHashes.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, _clientHashes[i]) && match < 0)
            {
                match = i;
            }
        }

        var admin = _adminHash is not null && CryptographicOperations.FixedTimeEquals(hash, _adminHash);
        if (admin)
        {
            name = AdminName;
            return Caller.Admin;
        }

        if (match >= 0)
        {
            name = ClientNames[match];
            return Caller.Client;
        }

        return Caller.Invalid;
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
