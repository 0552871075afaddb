using Portal.Storage;

namespace Portal.Server.Admin;

/// <summary>Stored rows to wire types. Keys leave only masked.</summary>
internal static class AdminMapping
{
    public static PlatformResponse ToResponse(this StoredRow<Platform> row, string? warning = null) => new()
    {
        Id = row.Item.Id,
        Name = row.Item.Name,
        Format = row.Item.Format,
        BaseUrl = row.Item.BaseUrl,
        RateLimit = row.Item.RateLimit is { Rpm: null, Tpm: null } ? null : new RateLimitResponse { Rpm = row.Item.RateLimit.Rpm, Tpm = row.Item.RateLimit.Tpm },
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };

    public static ModelResponse ToResponse(this StoredRow<Model> row, string? warning = null) => new()
    {
        Id = row.Item.Id,
        PlatformId = row.Item.PlatformId,
        Name = row.Item.Name,
        Alias = row.Item.Alias,
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };

    public static ApiKeyResponse ToResponse(this StoredRow<ApiKey> row, string? warning = null) => new()
    {
        Id = row.Item.Id,
        PlatformId = row.Item.PlatformId,
        Name = row.KeyName,
        MaskedValue = row.Item.Masked,
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };

    /// <summary>How a key is shown where a name is expected: its name, else its masked value.</summary>
    public static string Label(this StoredRow<ApiKey> row) => row.KeyName ?? row.Item.Masked;
}
