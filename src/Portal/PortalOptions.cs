using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Portal.Health;
using Portal.Providers;
using Portal.Selection;
using Portal.Stats;

namespace Portal;

/// <summary>Settings of a <see cref="PortalGateway"/>.</summary>
public sealed class PortalOptions
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client used for upstream calls when <see cref="HttpClientFactory"/> is set.</summary>
    public const string HttpClientName = "Portal";

    /// <summary>Where configuration, health and stats live.</summary>
    public required IPortalRepository Repository { get; init; }

    /// <summary>How a channel is chosen among the usable ones: a name from <see cref="SelectorStrategies"/> or of a selector in <see cref="Selectors"/>.</summary>
    /// <value>The default is <see cref="SelectorStrategies.Random"/>.</value>
    public string SelectorStrategy { get; init; } = SelectorStrategies.Random;

    /// <summary>Additional selectors, resolved by <see cref="IChannelSelector.Name"/>; a selector here replaces a built-in one of the same name.</summary>
    public IReadOnlyList<IChannelSelector> Selectors { get; init; } = [];

    /// <summary>How often changed health is saved to the repository (and health saved by other replicas is loaded).</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan HealthSyncInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Where logs go; none when <see langword="null"/>.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Creates the <c>Portal</c> meter; a private meter is created when <see langword="null"/>.</summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>The clock for backoff, timeouts, stats timestamps and health sync.</summary>
    /// <value>The default is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The source of randomness for channel selection and backoff jitter.</summary>
    /// <remarks>
    /// Tests pass a seeded <c>new Random(seed)</c> to make the gateway's choices reproducible. The gateway serializes its
    /// calls to any instance other than <see cref="System.Random.Shared"/>, so a seeded one is safe under concurrency too.
    /// </remarks>
    /// <value>The default is <see cref="System.Random.Shared"/>.</value>
    public Random Random { get; init; } = Random.Shared;

    /// <summary>The most channels one request tries (the first attempt included).</summary>
    /// <value>The default is 3.</value>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>One deadline for the whole request: all attempts and, for streams, the whole stream.</summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long one attempt may take before it is committed: for a non-streaming request the whole response, for a
    /// stream its first chunk. An attempt that runs out fails as a platform timeout and the next channel is tried.
    /// </summary>
    /// <value>The default is 5 minutes.</value>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long <see cref="PortalGateway.DisposeAsync"/> (and the host's stop, with dependency injection) lets in-flight requests finish.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether streaming requests ask the upstream for token usage (<c>stream_options.include_usage</c>), so that stats
    /// and metrics have tokens for streams too. The usage-only chunk this adds is not passed to a caller that did not
    /// ask for it. Turn it off for an OpenAI-compatible platform that rejects <c>stream_options</c>.
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RequestStreamUsage { get; init; } = true;

    /// <summary>The exponential backoff of failed resources.</summary>
    public BackoffOptions Backoff { get; init; } = new();

    /// <summary>How request stats are queued and written.</summary>
    public StatsOptions Stats { get; init; } = new();

    /// <summary>Adapters for platform formats beyond the built-in <c>openai</c>; an adapter here replaces a built-in one of the same format.</summary>
    public IReadOnlyList<IProviderAdapter> Adapters { get; init; } = [];

    /// <summary>
    /// The handler for upstream calls (for example a configured <see cref="SocketsHttpHandler"/>, or a test handler).
    /// The gateway does not dispose it. Ignored when <see cref="HttpClientFactory"/> is set. A <see cref="SocketsHttpHandler"/>
    /// should have <see cref="SocketsHttpHandler.MaxResponseDrainSize"/> 0, as the built-in one has, so that a cancelled
    /// stream closes its upstream connection at once instead of reading on.
    /// </summary>
    /// <value>
    /// The default is a pooled <see cref="SocketsHttpHandler"/> owned by the gateway. It sends no trace context
    /// (<c>traceparent</c>, <c>tracestate</c>, <c>baggage</c>) upstream; supply a handler to propagate it.
    /// </value>
    public HttpMessageHandler? HttpMessageHandler { get; init; }

    /// <summary>When set, upstream calls use <c>HttpClientFactory.CreateClient(</c><see cref="HttpClientName"/><c>)</c>.</summary>
    /// <remarks>
    /// Configure that client with <c>RemoveAllLoggers()</c>: Microsoft.Extensions.Http's default logging puts the raw
    /// <c>Authorization</c> header (the upstream key) into structured log state at Trace level. Give its primary
    /// <see cref="SocketsHttpHandler"/> <see cref="SocketsHttpHandler.MaxResponseDrainSize"/> 0.
    /// </remarks>
    public IHttpClientFactory? HttpClientFactory { get; init; }

    /// <summary>The connect timeout of the gateway's own <see cref="SocketsHttpHandler"/>.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Repository, nameof(Repository));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Random, nameof(Random));
        ArgumentException.ThrowIfNullOrWhiteSpace(SelectorStrategy, nameof(SelectorStrategy));
        Positive(HealthSyncInterval, nameof(HealthSyncInterval));
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(AttemptTimeout, nameof(AttemptTimeout));
        Positive(ConnectTimeout, nameof(ConnectTimeout));
        if (ShutdownTimeout < TimeSpan.Zero && ShutdownTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ShutdownTimeout), ShutdownTimeout, "ShutdownTimeout must not be negative.");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "MaxAttempts must be at least 1.");
        }

        Backoff.Validate();
        Stats.Validate();

        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(name, value, name + " must be positive.");
            }
        }
    }
}
