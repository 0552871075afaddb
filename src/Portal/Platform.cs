namespace Portal;

/// <summary>An upstream endpoint: where requests for its models are sent, and in which wire format.</summary>
public sealed record Platform
{
    /// <summary>The platform's identifier.</summary>
    public long Id { get; init; }

    /// <summary>A human-readable name, unique among platforms.</summary>
    public required string Name { get; init; }

    /// <summary>The wire format the platform speaks, one of <see cref="Providers.PlatformFormats"/> (for example <c>openai</c>).</summary>
    public required string Format { get; init; }

    /// <summary>The base URL, for example <c>https://api.openai.com</c> or <c>https://api.openai.com/v1</c>.</summary>
    public required string BaseUrl { get; init; }

    /// <summary>The version of the format's API the platform is called with, for formats that send one; <see langword="null"/> for the format's default.</summary>
    /// <remarks>For <c>anthropic</c>, the <c>anthropic-version</c> header (default <c>2023-06-01</c>); a client's own <c>anthropic-version</c> header takes precedence when its request is relayed. Other formats ignore it.</remarks>
    public string? ApiVersion { get; init; }

    /// <summary>The <c>max_tokens</c> sent to a format that requires one (<c>anthropic</c>) when the client's request sets none; <see langword="null"/> for 4096.</summary>
    public int? DefaultMaxTokens { get; init; }

    /// <summary>The platform's rate limit, when it has one.</summary>
    public RateLimit RateLimit { get; init; } = new();

    /// <summary>Whether the platform may be used. A disabled platform is kept (its stats stay meaningful) but never routed to.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; init; } = true;
}

/// <summary>A platform's request and token limits per minute.</summary>
public sealed record RateLimit
{
    /// <summary>Requests per minute, or <see langword="null"/> for no limit.</summary>
    public int? Rpm { get; init; }

    /// <summary>Tokens per minute, or <see langword="null"/> for no limit.</summary>
    public int? Tpm { get; init; }
}

/// <summary>A model offered by a platform.</summary>
public sealed record Model
{
    /// <summary>The model's identifier.</summary>
    public long Id { get; init; }

    /// <summary>The platform that serves the model.</summary>
    public long PlatformId { get; init; }

    /// <summary>The upstream name: what is sent to the platform in the request's <c>model</c> field.</summary>
    public required string Name { get; init; }

    /// <summary>An optional public name clients may ask for instead of <see cref="Name"/>.</summary>
    public string? Alias { get; init; }

    /// <summary>Whether the model may be used.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; init; } = true;
}

/// <summary>A secret that authenticates requests to one platform.</summary>
public sealed record ApiKey
{
    /// <summary>The key's identifier.</summary>
    public long Id { get; init; }

    /// <summary>The platform the key belongs to.</summary>
    public long PlatformId { get; init; }

    /// <summary>The secret value. It is never logged, put in an error message or recorded in stats.</summary>
    public required string Value { get; init; }

    /// <summary>Whether the key may be used.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; init; } = true;

    /// <summary>Returns a form of the key safe to show: <c>sk-…abcd</c>.</summary>
    public string Masked => Mask(Value);

    /// <summary>Returns the id only, so that a key never reaches a log through <see cref="object.ToString"/>.</summary>
    public override string ToString() => $"ApiKey {{ Id = {Id}, PlatformId = {PlatformId}, Value = {Masked} }}";

    /// <summary>Masks a secret, keeping at most a short prefix and the last four characters.</summary>
    /// <param name="value">The secret.</param>
    /// <returns>A masked form such as <c>sk-…abcd</c>; short secrets are fully masked.</returns>
    public static string Mask(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length < 12)
        {
            return "…";
        }

        var dash = value.IndexOf('-', StringComparison.Ordinal);
        var prefix = dash is > 0 and <= 4 ? value[..(dash + 1)] : string.Empty;
        return string.Concat(prefix, "…", value.AsSpan(value.Length - 4));
    }
}
