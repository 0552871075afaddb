using System.Globalization;
using Portal.Server.Errors;

namespace Portal.Server.Admin.Shared;

/// <summary>Reads route and query parameters: an unknown, repeated or malformed one is a 400 that names it.</summary>
internal static class AdminQuery
{
    /// <summary>Refuses query parameters other than <paramref name="allowed"/> (so a typo never widens a query silently).</summary>
    public static void Allow(HttpRequest request, params string[] allowed)
    {
        foreach (var name in request.Query.Keys)
        {
            if (!allowed.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw AdminException.BadRequest(name, allowed.Length == 0
                    ? $"Unknown query parameter '{ClientText.Echo(name)}'; this endpoint takes none."
                    : $"Unknown query parameter '{ClientText.Echo(name)}'; expected one of: {string.Join(", ", allowed)}.", AdminErrorCodes.UnknownParameter);
            }
        }
    }

    /// <summary>A resource id from the path: a positive integer.</summary>
    public static long Id(string value, string name = "id") =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : throw AdminException.BadRequest(name, $"'{name}' must be a positive integer; it is '{ClientText.Echo(value)}'.");

    /// <summary>The parameter's single value, or <see langword="null"/> when absent.</summary>
    public static string? Text(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0],
            _ => throw AdminException.BadRequest(name, $"Query parameter '{name}' is given {values.Count} times; give it once."),
        };
    }

    /// <summary>
    /// An optional text matched exactly: not empty, and at most <paramref name="maxLength"/> characters (its column's),
    /// so a value no row can hold is a 400 rather than an empty page.
    /// </summary>
    public static string? OptionalText(HttpRequest request, string name, int maxLength) => Text(request, name) switch
    {
        null => null,
        "" => throw AdminException.BadRequest(name, $"'{name}' must not be empty."),
        { Length: var length } when length > maxLength => throw AdminException.BadRequest(name, $"'{name}' is longer than {maxLength} characters."),
        var value => value,
    };

    /// <summary>An optional positive id parameter, such as <c>platformId</c>.</summary>
    public static long? OptionalId(HttpRequest request, string name) =>
        Text(request, name) is { } value ? Id(value, name) : null;

    /// <summary>An optional <c>true</c> or <c>false</c>.</summary>
    public static bool? OptionalBool(HttpRequest request, string name) => Text(request, name) switch
    {
        null => null,
        var value when bool.TryParse(value, out var result) => result,
        var value => throw AdminException.BadRequest(name, $"'{name}' must be true or false; it is '{ClientText.Echo(value)}'."),
    };

    /// <summary>A switch such as <c>force</c>: <c>false</c> when absent.</summary>
    public static bool Flag(HttpRequest request, string name) => OptionalBool(request, name) ?? false;

    /// <summary>An optional integer within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int? OptionalInt(HttpRequest request, string name, int min, int max)
    {
        if (Text(request, name) is not { } value)
        {
            return null;
        }

        return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var result) && result >= min && result <= max
            ? result
            : throw AdminException.BadRequest(name, $"'{name}' must be an integer from {min} to {max}; it is '{ClientText.Echo(value)}'.");
    }

    /// <summary>An optional ISO 8601 time; without an offset it is UTC.</summary>
    public static DateTimeOffset? OptionalTime(HttpRequest request, string name)
    {
        if (Text(request, name) is not { } value)
        {
            return null;
        }

        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var result)
            ? result
            : throw AdminException.BadRequest(name, $"'{name}' must be an ISO 8601 time such as 2025-01-31T12:00:00Z; it is '{ClientText.Echo(value)}' (a '+' offset must be sent as %2B).");
    }

    /// <summary>An optional value from a fixed set (compared ignoring case); returns the set's spelling.</summary>
    public static string? OptionalChoice(HttpRequest request, string name, params string[] choices)
    {
        if (Text(request, name) is not { } value)
        {
            return null;
        }

        return Choice(value, name, choices);
    }

    /// <summary><paramref name="value"/> as one of <paramref name="choices"/> (ignoring case), else a 400 naming <paramref name="name"/>.</summary>
    public static string Choice(string value, string name, params string[] choices) =>
        choices.FirstOrDefault(c => string.Equals(c, value, StringComparison.OrdinalIgnoreCase))
            ?? throw AdminException.BadRequest(name, $"'{name}' must be one of: {string.Join(", ", choices)}; it is '{ClientText.Echo(value)}'.");
}
