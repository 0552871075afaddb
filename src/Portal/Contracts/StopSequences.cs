using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Portal.Contracts.Internal;

namespace Portal.Contracts;

/// <summary>The <c>stop</c> parameter: one string, or an array of strings, on the wire.</summary>
/// <remarks>Written back in the shape it was read or created with, as long as a single string stays single.</remarks>
[JsonConverter(typeof(StopSequencesConverter))]
public sealed class StopSequences
{
    /// <summary>Initializes the single-string form.</summary>
    /// <param name="sequence">The stop sequence.</param>
    public StopSequences(string sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        Values = new List<string> { sequence };
        IsSingle = true;
    }

    /// <summary>Initializes the array form.</summary>
    /// <param name="sequences">The stop sequences, copied.</param>
    public StopSequences(IEnumerable<string> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        Values = new List<string>(sequences);
    }

    /// <summary>The stop sequences.</summary>
    public IList<string> Values { get; }

    /// <summary>Whether this is the single-string form; it is written as a string while it holds exactly one value.</summary>
    public bool IsSingle { get; }

    /// <summary>Converts a string to the single-string form.</summary>
    /// <param name="sequence">The stop sequence, or <see langword="null"/>.</param>
    [return: NotNullIfNotNull(nameof(sequence))]
    public static implicit operator StopSequences?(string? sequence) => FromString(sequence);

    /// <summary>Creates the single-string form; <see langword="null"/> for a <see langword="null"/> sequence.</summary>
    /// <param name="sequence">The stop sequence, or <see langword="null"/>.</param>
    /// <returns>The stop sequences, or <see langword="null"/>.</returns>
    [return: NotNullIfNotNull(nameof(sequence))]
    public static StopSequences? FromString(string? sequence) => sequence is null ? null : new StopSequences(sequence);
}
