namespace Portal.Server.Errors;

/// <summary>Client-chosen text quoted back in an error (a path, a parameter name or value): cut short, never echoed whole.</summary>
internal static class ClientText
{
    /// <summary>The most characters of a client's value an error repeats.</summary>
    public const int MaxEcho = 256;

    /// <summary>The longest error message sent; longer ones are cut (every echoed value is already cut; this is the backstop).</summary>
    public const int MaxMessage = 2048;

    /// <summary>Returns <paramref name="value"/>, cut to <see cref="MaxEcho"/> characters followed by <c>…</c> when longer.</summary>
    public static string Echo(string? value) => Cut(value ?? "", MaxEcho);

    /// <summary>Returns <paramref name="value"/>, cut to <paramref name="max"/> characters followed by <c>…</c> when longer.</summary>
    public static string Cut(string value, int max) => value.Length <= max ? value : string.Concat(value.AsSpan(0, max), "…");
}
