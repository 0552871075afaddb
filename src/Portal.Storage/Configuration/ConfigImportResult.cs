namespace Portal.Storage.Configuration;

/// <summary>What an import of the configuration file changed, counting platforms, models and keys together.</summary>
/// <remarks>A second import of the same file reports only <see cref="Unchanged"/> rows.</remarks>
public sealed record ConfigImportResult
{
    /// <summary>Rows in the file that were not in the database and were inserted.</summary>
    public int Added { get; init; }

    /// <summary>Rows in the file whose stored row differed and was updated (including re-enabled rows and admin rows taken over).</summary>
    public int Updated { get; init; }

    /// <summary>Rows the file managed that are no longer in it and were disabled (never deleted).</summary>
    public int Disabled { get; init; }

    /// <summary>Rows in the file whose stored row already matched; nothing was written for them.</summary>
    public int Unchanged { get; init; }

    /// <summary>Whether the import wrote anything.</summary>
    public bool HasChanges => Added + Updated + Disabled > 0;
}
