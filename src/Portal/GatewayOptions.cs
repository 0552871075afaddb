using Portal.Selection;

namespace Portal;

/// <summary>How the gateway routes a request and how long it may take: attempts, timeouts, channel selection.</summary>
/// <remarks>
/// One of the three settings types of a <see cref="PortalGateway"/>, with <see cref="Health.BackoffOptions"/> and
/// <see cref="Stats.StatsOptions"/>; the server binds it from <c>Portal:Gateway</c>. <see cref="PortalOptions"/> holds it
/// as <see cref="PortalOptions.Gateway"/> and also exposes each setting directly (<see cref="PortalOptions.MaxAttempts"/>
/// and so on). Changes after the gateway is created are not supported.
/// </remarks>
public sealed class GatewayOptions
{
    /// <summary>The <see cref="AttemptTimeout"/> when it is not set and <see cref="RequestTimeout"/> is not shorter.</summary>
    private static readonly TimeSpan DefaultAttemptTimeout = TimeSpan.FromMinutes(5);

    private TimeSpan? _attemptTimeout;

    /// <summary>The most channels one request tries (the first attempt included).</summary>
    /// <value>The default is 3.</value>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>One deadline for the whole request: all attempts and, for streams, the whole stream; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    /// <value>The default is 10 minutes.</value>
    /// <remarks>
    /// Declared before <see cref="AttemptTimeout"/> on purpose: the configuration binder reads and writes back every
    /// <see cref="TimeSpan"/> property in declaration order, so the unset <see cref="AttemptTimeout"/> it writes back is
    /// the one that follows the bound request timeout.
    /// </remarks>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long one attempt may take before it is committed: for a non-streaming request the whole response, for a
    /// stream its first chunk. An attempt that runs out fails as a platform timeout and the next channel is tried.
    /// Must not be longer than <see cref="RequestTimeout"/>; <see cref="Timeout.InfiniteTimeSpan"/> sets no limit of the
    /// attempt's own, leaving only the request's deadline.
    /// </summary>
    /// <value>The default is 5 minutes, or <see cref="RequestTimeout"/> when that is shorter.</value>
    public TimeSpan AttemptTimeout
    {
        get => _attemptTimeout ?? (RequestTimeout > TimeSpan.Zero && RequestTimeout < DefaultAttemptTimeout ? RequestTimeout : DefaultAttemptTimeout);
        set => _attemptTimeout = value;
    }

    /// <summary>The TCP and TLS connect timeout of the gateway's own <see cref="SocketsHttpHandler"/>.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How a channel is chosen among the usable ones: a name from <see cref="SelectorStrategies"/> or of a selector in <see cref="PortalOptions.Selectors"/>.</summary>
    /// <value>The default is <see cref="SelectorStrategies.Random"/>.</value>
    public string SelectorStrategy { get; set; } = SelectorStrategies.Random;

    /// <summary>
    /// Whether streaming requests ask the upstream for token usage (<c>stream_options.include_usage</c>), so that stats
    /// and metrics have tokens for streams too. The usage-only chunk this adds is not passed to a caller that did not
    /// ask for it. Turn it off for an OpenAI-compatible platform that rejects <c>stream_options</c>.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RequestStreamUsage { get; set; } = true;

    /// <summary>How often changed health is saved to the repository (and health saved by other replicas is loaded).</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan HealthSyncInterval { get; set; } = TimeSpan.FromMinutes(1);
}
