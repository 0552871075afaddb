using System.Text.Json.Serialization;

namespace Portal.Server.Admin.Platforms;

// The platform API's wire types. A property left out of a write keeps the stored value (PUT and PATCH both merge);
// apiVersion, defaultMaxTokens and rateLimit can be cleared, so the write records whether each was present at all.

/// <summary>A platform to create (name, format and baseUrl required) or the fields of one to change.</summary>
internal sealed class PlatformWrite
{
    private string? _apiVersion;
    private int? _defaultMaxTokens;
    private RateLimitBody? _rateLimit;

    public string? Name { get; set; }

    public string? Format { get; set; }

    public string? BaseUrl { get; set; }

    /// <summary>The version of the format's API (such as Anthropic's <c>anthropic-version</c>); <c>null</c> or empty for the format's default.</summary>
    public string? ApiVersion
    {
        get => _apiVersion;
        set
        {
            _apiVersion = value;
            HasApiVersion = true;
        }
    }

    /// <summary>The <c>max_tokens</c> sent to a format that requires one when the client sets none; <c>null</c> for the default (4096).</summary>
    public int? DefaultMaxTokens
    {
        get => _defaultMaxTokens;
        set
        {
            _defaultMaxTokens = value;
            HasDefaultMaxTokens = true;
        }
    }

    /// <summary>Replaces the whole rate limit; <c>null</c> removes it.</summary>
    public RateLimitBody? RateLimit
    {
        get => _rateLimit;
        set
        {
            _rateLimit = value;
            HasRateLimit = true;
        }
    }

    public bool? Enabled { get; set; }

    [JsonIgnore]
    public bool HasApiVersion { get; private set; }

    [JsonIgnore]
    public bool HasDefaultMaxTokens { get; private set; }

    [JsonIgnore]
    public bool HasRateLimit { get; private set; }
}

/// <summary>Requests and tokens per minute; <c>null</c> for no limit.</summary>
internal sealed class RateLimitBody
{
    public int? Rpm { get; set; }

    public int? Tpm { get; set; }
}

internal sealed class PlatformResponse
{
    public long Id { get; init; }

    public required string Name { get; init; }

    public required string Format { get; init; }

    public required string BaseUrl { get; init; }

    /// <summary>The version of the format's API the platform is called with; null for the format's default.</summary>
    public string? ApiVersion { get; init; }

    /// <summary>The <c>max_tokens</c> sent to a format that requires one when the client sets none; null for the default (4096).</summary>
    public int? DefaultMaxTokens { get; init; }

    public RateLimitResponse? RateLimit { get; init; }

    public bool Enabled { get; init; }

    /// <summary><c>config</c> (managed by the config file) or <c>admin</c>.</summary>
    public required string Source { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}

internal sealed class RateLimitResponse
{
    public int? Rpm { get; init; }

    public int? Tpm { get; init; }
}
