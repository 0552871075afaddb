namespace Portal.Server.Auth;

/// <summary>Decides whether a request path addresses the admin API, however it is spelled.</summary>
internal static class AdminPaths
{
    /// <summary>The admin API's path prefix.</summary>
    public const string Prefix = "/admin";

    /// <summary>
    /// Whether the first segment of <paramref name="path"/> is <c>admin</c>, in any case, after decoding <c>%2F</c> and
    /// <c>%5C</c> (which the server leaves encoded), turning backslashes into slashes and dropping empty and <c>.</c>
    /// segments and resolving <c>..</c>.
    /// </summary>
    public static bool IsAdmin(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return false;
        }

        // Fast path: nothing to normalise.
        if (path.IndexOfAny(['%', '\\', '.']) < 0 && !path.Contains("//", StringComparison.Ordinal))
        {
            return FirstSegmentIsAdmin(path.AsSpan().TrimStart('/'));
        }

        var decoded = path
            .Replace("%2F", "/", StringComparison.OrdinalIgnoreCase)
            .Replace("%5C", "/", StringComparison.OrdinalIgnoreCase)
            .Replace("%2E", ".", StringComparison.OrdinalIgnoreCase)
            .Replace('\\', '/');
        var segments = new List<string>();
        foreach (var segment in decoded.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            segments.Add(segment);
        }

        return segments.Count > 0 && FirstSegmentIsAdmin(segments[0]);
    }

    private static bool FirstSegmentIsAdmin(ReadOnlySpan<char> path)
    {
        var end = path.IndexOf('/');
        var first = end < 0 ? path : path[..end];

        // "admin." and "admin " are served as "admin" by some stacks: treat trailing dots and spaces alike.
        return first.TrimEnd(". ").Equals("admin", StringComparison.OrdinalIgnoreCase);
    }
}
