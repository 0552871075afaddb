using System.Globalization;

namespace Portal;

/// <summary>
/// Reads durations as people write them in settings and on the command line: <c>250ms</c>, <c>30s</c>, <c>5m</c>,
/// <c>1h</c>, <c>7d</c> (decimals allowed: <c>1.5h</c>), or a <see cref="TimeSpan"/> such as <c>00:05:00</c> or
/// <c>1.12:00:00</c>.
/// </summary>
/// <remarks>
/// A bare number other than 0 is refused: <see cref="TimeSpan"/> would read <c>30</c> as 30 days, which is never what a
/// timeout of "30" means.
/// </remarks>
public static class DurationText
{
    /// <summary>The accepted forms, as messages list them.</summary>
    public const string Forms = "250ms, 30s, 5m, 1h, 7d or hh:mm:ss";

    private static readonly (string Suffix, long TicksPerUnit)[] Units =
    [
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
        ("d", TimeSpan.TicksPerDay),
    ];

    /// <summary>Parses a duration in one of the <see cref="Forms"/>; negative values parse too, so a check can name them.</summary>
    /// <param name="text">The text, surrounding white space ignored.</param>
    /// <param name="duration">The duration, or <see cref="TimeSpan.Zero"/> when the text is not one.</param>
    /// <returns>Whether <paramref name="text"/> is a duration.</returns>
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }

        foreach (var (suffix, ticksPerUnit) in Units)
        {
            if (span.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && span.Length > suffix.Length)
            {
                return TryParseAmount(span[..^suffix.Length].TrimEnd(), ticksPerUnit, out duration);
            }
        }

        // Without ':' TimeSpan reads a number as days; only 0 means the same in every unit.
        if (!span.Contains(':'))
        {
            return decimal.TryParse(span, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                && amount == 0;
        }

        return TimeSpan.TryParse(span, CultureInfo.InvariantCulture, out duration);
    }

    /// <summary>What to tell someone who wrote <paramref name="text"/> where a duration belongs.</summary>
    /// <param name="text">The text that is not a duration.</param>
    /// <returns>For example <c>'5x' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss</c>.</returns>
    public static string NotADuration(string? text) => $"'{text}' is not a duration; use {Forms}";

    private static bool TryParseAmount(ReadOnlySpan<char> number, long ticksPerUnit, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;

        // decimal, not double: 0.1s is exactly 100 ms, and no exponent, NaN or infinity gets through.
        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || Math.Abs(amount) > TimeSpan.MaxValue.Ticks / ticksPerUnit)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)Math.Round(amount * ticksPerUnit));
        return true;
    }
}
