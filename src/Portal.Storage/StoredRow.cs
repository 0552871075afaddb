using Portal.Storage.Entities;

namespace Portal.Storage;

/// <summary>Where a stored platform, model or key came from (<see cref="StoredRow{T}.Source"/>).</summary>
public static class RowSources
{
    /// <summary>Imported from the configuration file (<c>Portal:ConfigFile</c>): the file manages the row, and its next import undoes changes made elsewhere.</summary>
    public const string Config = RowSource.Config;

    /// <summary>Created through the repository's administration methods (the admin API); the configuration file leaves it alone unless it lists the same identity.</summary>
    public const string Admin = RowSource.Admin;
}

/// <summary>A platform, model or key as stored, with what the domain record leaves out: where it came from and when it changed.</summary>
/// <typeparam name="T"><see cref="Platform"/>, <see cref="Model"/> or <see cref="ApiKey"/>.</typeparam>
public sealed record StoredRow<T>
    where T : class
{
    /// <summary>The domain record.</summary>
    public required T Item { get; init; }

    /// <summary>Where the row came from: <see cref="RowSources.Config"/> or <see cref="RowSources.Admin"/>.</summary>
    public required string Source { get; init; }

    /// <summary>The key's name, for keys that have one (the configuration file identifies a named key by it); <see langword="null"/> for platforms and models, whose name is on <see cref="Item"/>.</summary>
    public string? KeyName { get; init; }

    /// <summary>When the row was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the row last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}
