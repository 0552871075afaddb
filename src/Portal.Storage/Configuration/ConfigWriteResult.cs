using System.Diagnostics.CodeAnalysis;

namespace Portal.Storage.Configuration;

/// <summary>Why <see cref="IConfigStore"/> refused a write.</summary>
public enum ConfigWriteErrorKind
{
    /// <summary>No row has the id.</summary>
    NotFound,

    /// <summary>What is stored prevents the write: the id, the name or the key value is taken, or the platform of a model or key does not exist.</summary>
    Conflict,

    /// <summary>The row comes from the configuration file, whose next import would undo the write; writing with <c>force</c> does it anyway.</summary>
    ConfigManaged,

    /// <summary>The platform still has models or keys; deleting with <c>cascade</c> deletes them with it.</summary>
    PlatformInUse,

    /// <summary>A field is empty or too long.</summary>
    Invalid,
}

/// <summary>Why a write was refused, and a message that says it.</summary>
/// <param name="Kind">The reason.</param>
/// <param name="Message">The reason in words, naming the row; never a key value.</param>
public sealed record ConfigWriteError(ConfigWriteErrorKind Kind, string Message)
{
    /// <summary>With <see cref="ConfigWriteErrorKind.PlatformInUse"/>: how many models the platform has.</summary>
    public int Models { get; init; }

    /// <summary>With <see cref="ConfigWriteErrorKind.PlatformInUse"/>: how many keys the platform has.</summary>
    public int Keys { get; init; }
}

/// <summary>The outcome of a write of <see cref="IConfigStore"/>: the stored row, or the <see cref="ConfigWriteError"/> that refused it.</summary>
/// <typeparam name="T">What a successful write returns.</typeparam>
/// <remarks>
/// What only the database can decide (a row missing, a name taken, a row the configuration file manages) is a result,
/// not an exception, so every caller handles it. A database that cannot be reached still throws.
/// </remarks>
public sealed class ConfigWriteResult<T>
    where T : class
{
    /// <summary>A successful write.</summary>
    /// <param name="value">What was written.</param>
    public ConfigWriteResult(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
    }

    /// <summary>A refused write.</summary>
    /// <param name="error">Why.</param>
    public ConfigWriteResult(ConfigWriteError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>What was written; <see langword="null"/> when the write was refused.</summary>
    public T? Value { get; }

    /// <summary>Why the write was refused; <see langword="null"/> when it succeeded.</summary>
    public ConfigWriteError? Error { get; }

    /// <summary>Whether the write succeeded (then <see cref="Value"/> is set, else <see cref="Error"/>).</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Succeeded => Error is null;
}

/// <summary>What a delete removed.</summary>
/// <typeparam name="T"><see cref="Platform"/>, <see cref="Model"/> or <see cref="ApiKey"/>.</typeparam>
/// <param name="Row">The row as it was.</param>
/// <param name="Models">For a platform, how many of its models were deleted with it; otherwise 0.</param>
/// <param name="Keys">For a platform, how many of its keys were deleted with it; otherwise 0.</param>
public sealed record DeletedRow<T>(StoredRow<T> Row, int Models, int Keys)
    where T : class;
