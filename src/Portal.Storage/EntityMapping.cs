using Portal.Storage.Entities;

namespace Portal.Storage;

/// <summary>Maps rows to domain records and back. Times are UTC Unix milliseconds in rows.</summary>
internal static class EntityMapping
{
    // Shared: a platform without limits is the common case, and RateLimit is an immutable record.
    private static readonly RateLimit NoRateLimit = new();

    public static Platform ToDomain(this PlatformEntity e) => new()
    {
        Id = e.Id,
        Name = e.Name,
        Format = e.Format,
        BaseUrl = e.BaseUrl,
        ApiVersion = e.ApiVersion,
        DefaultMaxTokens = e.DefaultMaxTokens,
        RateLimit = e.Rpm is null && e.Tpm is null ? NoRateLimit : new RateLimit { Rpm = e.Rpm, Tpm = e.Tpm },
        Enabled = e.Enabled,
    };

    public static Model ToDomain(this ModelEntity e) => new()
    {
        Id = e.Id,
        PlatformId = e.PlatformId,
        Name = e.Name,
        Alias = e.Alias,
        Enabled = e.Enabled,
    };

    public static ApiKey ToDomain(this ApiKeyEntity e) => new()
    {
        Id = e.Id,
        PlatformId = e.PlatformId,
        Value = e.Value,
        Enabled = e.Enabled,
    };

    public static HealthState ToDomain(this HealthEntity e) => new()
    {
        ResourceKind = (ResourceKind)e.ResourceKind,
        ResourceId = e.ResourceId,
        Status = (HealthStatus)e.Status,
        RetryCount = e.RetryCount,
        NextAvailableAt = FromUnixMs(e.NextAvailableAt),
        BackoffDuration = TimeSpan.FromMilliseconds(e.BackoffMs),
        LastError = e.LastError,
        LastErrorCode = e.LastErrorCode,
        LastCheckAt = FromUnixMs(e.LastCheckAt),
        LastSuccessAt = FromUnixMs(e.LastSuccessAt),
        SuccessCount = e.SuccessCount,
        ErrorCount = e.ErrorCount,
    };

    /// <summary>Copies the domain fields onto a row; identity, source and timestamps are left to the caller.</summary>
    public static void Apply(this PlatformEntity e, Platform p)
    {
        e.Name = p.Name;
        e.Format = p.Format;
        e.BaseUrl = p.BaseUrl;
        e.ApiVersion = string.IsNullOrEmpty(p.ApiVersion) ? null : p.ApiVersion;
        e.DefaultMaxTokens = p.DefaultMaxTokens;
        e.Rpm = p.RateLimit?.Rpm;
        e.Tpm = p.RateLimit?.Tpm;
        e.Enabled = p.Enabled;
    }

    /// <summary>Copies the domain fields onto a row; identity, source and timestamps are left to the caller.</summary>
    public static void Apply(this ModelEntity e, Model m)
    {
        e.PlatformId = m.PlatformId;
        e.Name = m.Name;
        e.Alias = string.IsNullOrEmpty(m.Alias) ? null : m.Alias;
        e.Enabled = m.Enabled;
    }

    /// <summary>Copies the domain fields onto a row; identity, name, source and timestamps are left to the caller.</summary>
    public static void Apply(this ApiKeyEntity e, ApiKey k)
    {
        e.PlatformId = k.PlatformId;
        e.Value = k.Value;
        e.Enabled = k.Enabled;
    }

    public static HealthEntity ToEntity(this HealthState s) => new()
    {
        ResourceKind = (int)s.ResourceKind,
        ResourceId = s.ResourceId,
        Status = (int)s.Status,
        RetryCount = s.RetryCount,
        NextAvailableAt = ToUnixMs(s.NextAvailableAt),
        BackoffMs = (long)s.BackoffDuration.TotalMilliseconds,
        LastError = Truncate(s.LastError, MaxErrorLength),
        LastErrorCode = s.LastErrorCode,
        LastCheckAt = ToUnixMs(s.LastCheckAt),
        LastSuccessAt = ToUnixMs(s.LastSuccessAt),
        SuccessCount = s.SuccessCount,
        ErrorCount = s.ErrorCount,
    };

    /// <summary>The longest error message stored (the column's length): a longer one is cut, so a save never fails on it.</summary>
    public const int MaxErrorLength = 2000;

    /// <summary>Cuts <paramref name="value"/> to at most <paramref name="maxLength"/> characters, never inside a surrogate pair.</summary>
    public static string? Truncate(string? value, int maxLength)
    {
        if (value is null || value.Length <= maxLength)
        {
            return value;
        }

        // Npgsql encodes strictly: half a surrogate pair would fail the whole batch.
        return value[..(char.IsHighSurrogate(value[maxLength - 1]) ? maxLength - 1 : maxLength)];
    }

    public static long ToUnixMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    public static long? ToUnixMs(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromUnixMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public static DateTimeOffset? FromUnixMs(long? ms) => ms is { } value ? DateTimeOffset.FromUnixTimeMilliseconds(value) : null;
}
