using Portal.Internal;

namespace Portal.Health;

/// <summary>The backoff schedule as a pure function of the failure count, the options and a source of randomness.</summary>
internal static class Backoff
{
    /// <summary>
    /// Returns the delay after the <paramref name="failures"/>-th failure in a row (1-based): <c>InitialDelay * Multiplier^(failures-1)</c>
    /// times a random factor in [1 - Jitter, 1 + Jitter), capped at <see cref="BackoffOptions.MaxDelay"/>.
    /// </summary>
    /// <remarks>
    /// Overflow-safe for any count and multiplier: the arithmetic is done in <see cref="double"/> ticks, where
    /// <see cref="Math.Pow"/> saturates to +Infinity instead of wrapping, and anything at or past the cap (Infinity
    /// included; NaN too) becomes the cap. The result is never negative and never more than the cap.
    /// </remarks>
    public static TimeSpan Compute(int failures, BackoffOptions options, RandomSource random)
    {
        var max = (double)options.MaxDelay.Ticks;
        var ticks = options.InitialDelay.Ticks * Math.Pow(options.Multiplier, Math.Max(failures, 1) - 1);
        if (double.IsNaN(ticks) || ticks > max)
        {
            ticks = max;
        }

        if (options.Jitter > 0)
        {
            ticks *= 1 + (options.Jitter * ((2 * random.NextDouble()) - 1));
        }

        // (long)max may exceed long.MaxValue when MaxDelay is TimeSpan.MaxValue: compare as doubles and return the cap itself.
        return !(ticks < max) ? options.MaxDelay
            : ticks <= 0 ? TimeSpan.Zero
            : TimeSpan.FromTicks((long)ticks);
    }
}
