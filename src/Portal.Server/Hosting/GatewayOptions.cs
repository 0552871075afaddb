using Portal.Selection;

namespace Portal.Server.Hosting;

/// <summary>The engine's routing and timeout settings, bound from <c>Portal:Gateway</c> and mapped onto <see cref="PortalOptions"/>.</summary>
public sealed class GatewayOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Portal:Gateway";

    /// <summary>The most channels one request tries, the first attempt included.</summary>
    /// <value>The default is 3.</value>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How long one attempt may take until it is committed (non-streaming: the whole response; streaming: the first chunk).</summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>One deadline for the whole request: every attempt and, for a stream, the whole stream.</summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The TCP and TLS connect timeout of upstream calls.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How a channel is chosen among the usable ones: <c>random</c> or <c>lru</c>.</summary>
    /// <value>The default is <c>random</c>.</value>
    public string SelectorStrategy { get; set; } = SelectorStrategies.Random;

    /// <summary>Whether streaming requests ask the upstream for a usage chunk, so stats have tokens for streams too.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RequestStreamUsage { get; set; } = true;

    /// <summary>How often changed health is saved to storage (and health saved by other replicas is loaded).</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan HealthSyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    internal IEnumerable<string> Validate()
    {
        if (MaxAttempts < 1)
        {
            yield return $"{SectionName}:MaxAttempts must be at least 1 (it is {MaxAttempts}).";
        }

        foreach (var (name, value) in new[] { (nameof(AttemptTimeout), AttemptTimeout), (nameof(RequestTimeout), RequestTimeout), (nameof(ConnectTimeout), ConnectTimeout), (nameof(HealthSyncInterval), HealthSyncInterval) })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return $"{SectionName}:{name} must be positive (it is {value}).";
            }
        }

        if (string.IsNullOrWhiteSpace(SelectorStrategy))
        {
            yield return $"{SectionName}:SelectorStrategy must name a strategy: {SelectorStrategies.Random} or {SelectorStrategies.Lru}.";
        }
    }
}
