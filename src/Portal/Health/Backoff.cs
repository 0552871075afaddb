namespace Portal.Health;

/// <summary>The backoff schedule as a pure function.</summary>
internal static class Backoff
{
    /// <summary>Returns the delay after the <paramref name="failures"/>-th failure in a row (1-based), capped and overflow-safe.</summary>
    public static TimeSpan Compute(int failures, BackoffOptions options)
    {
        if (failures <= 1)
        {
            return options.InitialDelay;
        }

        // Work in double ticks: Math.Pow saturates to +Infinity instead of wrapping, so any count is safe.
        var ticks = options.InitialDelay.Ticks * Math.Pow(options.Multiplier, failures - 1);
        return double.IsNaN(ticks) || ticks >= options.MaxDelay.Ticks
            ? options.MaxDelay
            : TimeSpan.FromTicks((long)ticks);
    }
}
