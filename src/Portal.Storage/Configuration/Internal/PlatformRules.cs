namespace Portal.Storage.Configuration.Internal;

/// <summary>
/// The rules of <see cref="Platform.ApiVersion"/> and <see cref="Platform.DefaultMaxTokens"/>, which the config file,
/// the admin API and the store's writes all check, so a value valid in one is valid in the others.
/// </summary>
internal static class PlatformRules
{
    /// <summary>The longest <see cref="Platform.ApiVersion"/>, the length of its column: versions are short (<c>2023-06-01</c>).</summary>
    public const int MaxApiVersionLength = 100;

    /// <summary>What is wrong with an API version, as the end of a sentence that names the field; <see langword="null"/> when it is valid.</summary>
    /// <param name="value">The version, not empty (each caller says what an empty one means).</param>
    /// <returns>For example <c>is longer than 100 characters</c>.</returns>
    /// <remarks>
    /// The version goes upstream as an HTTP header value: a control character (a line break above all) would end the
    /// header or fail every request to the platform, and white space around it would be trimmed on the way.
    /// </remarks>
    public static string? ApiVersionProblem(string value)
    {
        if (value.Length > MaxApiVersionLength)
        {
            return $"is longer than {MaxApiVersionLength} characters";
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return $"contains a control character (U+{(int)c:X4})";
            }
        }

        return char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) ? "starts or ends with white space" : null;
    }

    /// <summary>Whether a default <c>max_tokens</c> is valid: at least 1 (<see langword="null"/>, the format's default, is valid too).</summary>
    public static bool IsValidDefaultMaxTokens(int? value) => value is null or >= 1;
}
