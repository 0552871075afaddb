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

    internal void Validate()
    {
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
