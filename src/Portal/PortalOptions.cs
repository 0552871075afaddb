using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Portal.Health;
using Portal.Providers;
using Portal.Selection;
using Portal.Stats;

namespace Portal;

/// <summary>Settings of a <see cref="PortalGateway"/>: the services it uses and its settings, one type per concern.</summary>
/// <remarks>
/// The settings come in three types, each validated by one validator: <see cref="Gateway"/> (attempts, timeouts,
/// selection; the server's <c>Portal:Gateway</c>), <see cref="Backoff"/> (health; <c>Portal:Health</c>) and
/// <see cref="Stats"/> (<c>Portal:Stats</c>). <see cref="PortalGateway.Create(PortalOptions)"/> validates them all and
/// throws an <see cref="ArgumentException"/> naming the first invalid setting.
/// </remarks>
public sealed class PortalOptions
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client used for upstream calls when <see cref="HttpClientFactory"/> is set.</summary>
    public const string HttpClientName = "Portal";

    /// <summary>Where configuration, health and stats live.</summary>
    public required IPortalRepository Repository { get; init; }

    /// <summary>How a channel is chosen among the usable ones; see <see cref="GatewayOptions.SelectorStrategy"/>.</summary>
    /// <value>The default is <see cref="SelectorStrategies.Random"/>.</value>
    public string SelectorStrategy { get => Gateway.SelectorStrategy; init => Gateway.SelectorStrategy = value; }

    /// <summary>Additional selectors, resolved by <see cref="IChannelSelector.Name"/>; a selector here replaces a built-in one of the same name.</summary>
    public IReadOnlyList<IChannelSelector> Selectors { get; init; } = [];

    /// <summary>How often changed health is saved to the repository; see <see cref="GatewayOptions.HealthSyncInterval"/>.</summary>
    /// <value>The default is 1 minute.</value>
    public TimeSpan HealthSyncInterval { get => Gateway.HealthSyncInterval; init => Gateway.HealthSyncInterval = value; }

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

    /// <summary>The most channels one request tries; see <see cref="GatewayOptions.MaxAttempts"/>.</summary>
    /// <value>The default is 3.</value>
    public int MaxAttempts { get => Gateway.MaxAttempts; init => Gateway.MaxAttempts = value; }

    /// <summary>One deadline for the whole request; see <see cref="GatewayOptions.RequestTimeout"/>.</summary>
    /// <value>The default is 10 minutes.</value>
    public TimeSpan RequestTimeout { get => Gateway.RequestTimeout; init => Gateway.RequestTimeout = value; }

    /// <summary>How long one attempt may take before it is committed; see <see cref="GatewayOptions.AttemptTimeout"/>.</summary>
    /// <value>The default is 5 minutes, or <see cref="RequestTimeout"/> when that is shorter.</value>
    public TimeSpan AttemptTimeout { get => Gateway.AttemptTimeout; init => Gateway.AttemptTimeout = value; }

    /// <summary>How long <see cref="PortalGateway.DisposeAsync"/> (and the host's stop, with dependency injection) lets in-flight requests finish.</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether streaming requests ask the upstream for token usage; see <see cref="GatewayOptions.RequestStreamUsage"/>.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool RequestStreamUsage { get => Gateway.RequestStreamUsage; init => Gateway.RequestStreamUsage = value; }

    /// <summary>Attempts, timeouts and channel selection; the properties above that refer to it read and write this object.</summary>
    /// <remarks>
    /// Set this or those properties, not both: an object initializer that sets <see cref="Gateway"/> after, say,
    /// <see cref="MaxAttempts"/> replaces the object that value went into.
    /// </remarks>
    /// <value>The default is a <see cref="GatewayOptions"/> with its defaults.</value>
    public GatewayOptions Gateway { get; init; } = new();

    /// <summary>The exponential backoff, with jitter, of failed resources, and the cap on an upstream's <c>Retry-After</c>.</summary>
    /// <value>The default is a <see cref="BackoffOptions"/> with its defaults.</value>
    public BackoffOptions Backoff { get; init; } = new();

    /// <summary>How request stats are queued and written.</summary>
    /// <value>The default is a <see cref="StatsOptions"/> with its defaults.</value>
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

    /// <summary>The connect timeout of the gateway's own <see cref="SocketsHttpHandler"/>; see <see cref="GatewayOptions.ConnectTimeout"/>.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan ConnectTimeout { get => Gateway.ConnectTimeout; init => Gateway.ConnectTimeout = value; }
}
