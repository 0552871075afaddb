using Portal.Health;

namespace Portal.Server.Hosting;

/// <summary>Health settings of the engine, bound from <c>Portal:Health</c> and mapped onto <see cref="PortalOptions.Backoff"/>.</summary>
public sealed class HealthOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Health";

    /// <summary>
    /// The longest wait an upstream's <c>Retry-After</c> can impose on a platform or key, and the longest <c>Retry-After</c>
    /// clients are told (see <see cref="BackoffOptions.MaxRetryAfter"/>).
    /// </summary>
    /// <value>The default is 15 minutes.</value>
    public TimeSpan MaxRetryAfter { get; set; } = new BackoffOptions().MaxRetryAfter;

    internal IEnumerable<string> Validate()
    {
        if (MaxRetryAfter < TimeSpan.Zero || MaxRetryAfter > TimeSpan.FromDays(1))
        {
            yield return $"{SectionName}:MaxRetryAfter must be between 0 and 1 day (it is {MaxRetryAfter}).";
        }
    }
}
