namespace Portal.Health;

/// <summary>How long a failed resource is left alone before it is tried again.</summary>
/// <remarks>
/// The n-th failure in a row backs off for <c>InitialDelay * Multiplier^(n-1)</c>, capped at <see cref="MaxDelay"/>.
/// A success resets the count.
/// </remarks>
public sealed class BackoffOptions
{
    /// <summary>The backoff after the first failure.</summary>
    /// <value>The default is 1 second.</value>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The factor applied for each further failure in a row.</summary>
    /// <value>The default is 2.</value>
    public double Multiplier { get; init; } = 2.0;

    /// <summary>The longest backoff.</summary>
    /// <value>The default is 300 seconds.</value>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>The longest wait an upstream's <c>Retry-After</c> (or <c>retry-after-ms</c>) can impose on a resource, and the longest <c>Retry-After</c> the gateway tells its own callers.</summary>
    /// <remarks>
    /// A failure's backoff is the longer of the exponential backoff and the upstream's requested wait capped at this.
    /// Negative, unparsable or absurd values (over a day) are ignored and logged once per platform. <see cref="TimeSpan.Zero"/>
    /// ignores <c>Retry-After</c> for backoff.
    /// </remarks>
    /// <value>The default is 15 minutes.</value>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>The largest <see cref="MaxRetryAfter"/> allowed.</summary>
    internal static readonly TimeSpan MaxRetryAfterLimit = TimeSpan.FromDays(1);

    /// <summary>The most any resource can be backing off: what a loaded health state is held to.</summary>
    internal TimeSpan LongestBackoff => MaxDelay > MaxRetryAfter ? MaxDelay : MaxRetryAfter;

    /// <summary>Caps a wait an upstream asked for at <see cref="MaxRetryAfter"/>.</summary>
    internal TimeSpan? CapRetryAfter(TimeSpan? wait) => wait is { } value && value > MaxRetryAfter ? MaxRetryAfter : wait;

    internal void Validate()
    {
        if (MaxRetryAfter < TimeSpan.Zero || MaxRetryAfter > MaxRetryAfterLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRetryAfter), MaxRetryAfter, "Backoff.MaxRetryAfter must be between 0 and 1 day.");
        }

        if (InitialDelay <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialDelay), InitialDelay, "Backoff.InitialDelay must be positive.");
        }

        if (!(Multiplier >= 1.0) || double.IsInfinity(Multiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(Multiplier), Multiplier, "Backoff.Multiplier must be a finite number of at least 1.");
        }

        if (MaxDelay < InitialDelay)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "Backoff.MaxDelay must be at least Backoff.InitialDelay.");
        }
    }
}
