namespace Portal.Internal;

/// <summary>Client-chosen text quoted back in an error message: cut short, so a 100 KB model name is not echoed whole.</summary>
internal static class ClientText
{
    /// <summary>The most characters of a client's value an error message repeats.</summary>
    public const int MaxEcho = 256;

    /// <summary>Returns <paramref name="value"/>, cut to <see cref="MaxEcho"/> characters followed by <c>…</c> when longer.</summary>
    public static string Echo(string value) => value.Length <= MaxEcho ? value : string.Concat(value.AsSpan(0, MaxEcho), "…");
}
