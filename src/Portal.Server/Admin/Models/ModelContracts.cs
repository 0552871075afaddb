using System.Text.Json.Serialization;

namespace Portal.Server.Admin.Models;

// The model API's wire types. A property left out of a write keeps the stored value (PUT and PATCH both merge);
// alias can be cleared, so the write records whether it was present at all.

/// <summary>A model to create (platformId and name required) or the fields of one to change.</summary>
internal sealed class ModelWrite
{
    private string? _alias;

    public long? PlatformId { get; set; }

    public string? Name { get; set; }

    /// <summary>The public name clients may ask for; <c>null</c> or empty removes it.</summary>
    public string? Alias
    {
        get => _alias;
        set
        {
            _alias = value;
            HasAlias = true;
        }
    }

    public bool? Enabled { get; set; }

    [JsonIgnore]
    public bool HasAlias { get; private set; }
}

internal sealed class ModelResponse
{
    public long Id { get; init; }

    public long PlatformId { get; init; }

    public required string Name { get; init; }

    public string? Alias { get; init; }

    public bool Enabled { get; init; }

    public required string Source { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}
