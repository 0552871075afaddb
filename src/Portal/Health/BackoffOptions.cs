namespace Portal.Health;

/// <summary>How long a failed resource is left alone before it is tried again.</summary>
/// <remarks>
/// <para>
/// The n-th failure in a row backs off for <c>InitialDelay * Multiplier^(n-1)</c>, varied at random by up to
/// ±<see cref="Jitter"/> of itself, then capped at <see cref="MaxDelay"/>: with the defaults 1 s, 2 s, 4 s ... 300 s,
/// each within ±20 %. A success resets the count. Any failure count is safe: the schedule saturates at
/// <see cref="MaxDelay"/>, never overflowing or turning negative.
/// </para>
/// <para>
/// When the upstream asked for a wait (<c>Retry-After</c>), the backoff is the longer of that wait, capped at
/// <see cref="MaxRetryAfter"/> and not varied, and the exponential backoff.
/// </para>
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

    /// <summary>How much each exponential backoff is varied at random, as a fraction of it: from 0 (not at all) to 1.</summary>
    /// <remarks>
    /// <para>
    /// The delay is multiplied by a random factor between <c>1 - Jitter</c> and <c>1 + Jitter</c> (uniform), then capped
    /// at <see cref="MaxDelay"/>. Resources that fail together (every key of a platform that went down, or the same
    /// key on several replicas) are then tried again at different times instead of all at once.
    /// </para>
    /// <para>
    /// Proportional jitter rather than decorrelated jitter: each delay stays within a known band around the schedule
    /// above (what an operator reads in the health API is what the settings say, give or take the fraction), it depends
    /// on the failure count alone and not on the previous delay (which replicas share through storage), and it takes
    /// one random number. The numbers come from <see cref="PortalOptions.Random"/>, so a seeded source makes them
    /// reproducible; 0 turns jitter off.
    /// </para>
    /// </remarks>
    /// <value>The default is 0.2 (±20 %).</value>
    public double Jitter { get; init; } = 0.2;

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
}
