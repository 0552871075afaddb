using System.Text.Json.Serialization;

namespace Portal.Server.Admin.Keys;

// The key API's wire types. A property left out of a write keeps the stored value (PUT and PATCH both merge).

/// <summary>A key to create (platformId and value required) or the fields of one to change; leaving out the value keeps it.</summary>
internal sealed class ApiKeyWrite
{
    public long? PlatformId { get; set; }

    /// <summary>The secret. Write-only: responses show <c>maskedValue</c>.</summary>
    public string? Value { get; set; }

    public bool? Enabled { get; set; }
}

internal sealed class ApiKeyResponse
{
    public long Id { get; init; }

    public long PlatformId { get; init; }

    /// <summary>The key's name when the config file gave it one.</summary>
    public string? Name { get; init; }

    /// <summary>The value masked by <see cref="ApiKey.Mask"/>; the value itself is never returned.</summary>
    public required string MaskedValue { get; init; }

    public bool Enabled { get; init; }

    public required string Source { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}
