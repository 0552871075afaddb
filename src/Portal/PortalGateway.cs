using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Diagnostics;
using Portal.Health;
using Portal.Internal;
using Portal.Providers;
using Portal.Providers.Mock;
using Portal.Providers.OpenAI;
using Portal.Selection;
using Portal.Stats;

namespace Portal;

/// <summary>The engine: routes chat completion requests to channels, fails over, tracks health and records stats.</summary>
/// <remarks>
/// Thread-safe; create one per application and share it. A request tries up to <see cref="PortalOptions.MaxAttempts"/>
/// channels within one deadline; a stream fails over only until its first chunk reaches the caller.
/// <see cref="ShutdownAsync"/> refuses new requests, drains the running ones, then flushes stats and health.
/// </remarks>
public sealed partial class PortalGateway : IAsyncDisposable
{
    private readonly PortalOptions _options;
    private readonly IPortalRepository _repository;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PortalMetrics _metrics;
    private readonly HealthTracker _health;
    private readonly HealthSynchronizer _healthSync;
    private readonly StatsRecorder _stats;
    private readonly ChannelResolver _resolver;
    private readonly IChannelSelector _selector;
    private readonly FrozenDictionary<string, IProviderAdapter> _adapters;
    private readonly HttpClient? _ownedHttpClient;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lifecycleLock = new();
    private readonly ConcurrentDictionary<OpenStream, byte> _openStreams = new(ReferenceEqualityComparer.Instance);
    private int _inFlight;
    private volatile bool _shuttingDown;
    private Task? _shutdownTask;
    private bool _disposed;

    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(2);

    private PortalGateway(PortalOptions options, IServiceProvider? services)
    {
        PortalOptionsValidator.ThrowIfInvalid(options);
        _options = options;
        var selectors = new Dictionary<string, IChannelSelector>(StringComparer.OrdinalIgnoreCase)
        {
            [SelectorStrategies.Random] = new RandomChannelSelector(),
            [SelectorStrategies.Lru] = new LruChannelSelector(),
        };
        foreach (var selector in ResolveAll<IChannelSelector>(services).Concat(options.Selectors))
        {
            selectors[selector.Name] = selector;
        }

        _selector = selectors.TryGetValue(options.SelectorStrategy, out var chosen)
            ? chosen
            : throw new ArgumentException(
                $"SelectorStrategy '{options.SelectorStrategy}' is unknown; known strategies: {string.Join(", ", selectors.Keys.Order(StringComparer.Ordinal))}.",
                nameof(options));

        _repository = options.Repository;
        _time = options.TimeProvider;
        var loggerFactory = options.LoggerFactory ?? Resolve<ILoggerFactory>(services) ?? NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("Portal");
        _metrics = new PortalMetrics(options.MeterFactory ?? Resolve<IMeterFactory>(services));
        _health = new HealthTracker(options.Backoff, new RandomSource(options.Random), _time);
        _healthSync = new HealthSynchronizer(_health, _repository, options.HealthSyncInterval, _time, _logger);
        _stats = new StatsRecorder(_repository, options.Stats, _time, _metrics, _logger);

        // The container's IHttpClientFactory is not picked up implicitly: its default logging writes the raw
        // Authorization header into structured log state at Trace level. Users opt in through the options.
        Func<HttpClient> httpClient;
        if (options.HttpClientFactory is { } factory && options.HttpMessageHandler is null)
        {
            httpClient = () => factory.CreateClient(PortalOptions.HttpClientName);
        }
        else
        {
            _ownedHttpClient = options.HttpMessageHandler is { } handler
                ? new HttpClient(handler, disposeHandler: false)
                : new HttpClient(CreateDefaultHandler(options), disposeHandler: true);
            _ownedHttpClient.Timeout = Timeout.InfiniteTimeSpan; // The gateway enforces its own deadlines.
            var client = _ownedHttpClient;
            httpClient = () => client;
        }

        var adapters = new Dictionary<string, IProviderAdapter>(StringComparer.OrdinalIgnoreCase)
        {
            [PlatformFormats.OpenAI] = new OpenAIAdapter(httpClient, new RetryAfterReader(_time, _logger), options.RequestStreamUsage),
            [PlatformFormats.Mock] = new MockAdapter(_time),
        };
        foreach (var adapter in ResolveAll<IProviderAdapter>(services).Concat(options.Adapters))
        {
            adapters[adapter.Format] = adapter;
        }

        _adapters = adapters.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        _resolver = new ChannelResolver(_repository, _health, _adapters.ContainsKey, _logger);
        _healthSync.Start();
    }

    /// <summary>Creates a gateway and starts its background work (health load and sync, stats writer).</summary>
    /// <param name="options">The settings; <see cref="PortalOptions.Repository"/> is required.</param>
    /// <returns>A running gateway. Dispose it (or call <see cref="ShutdownAsync"/>) to stop it.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static PortalGateway Create(PortalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new PortalGateway(options, services: null);
    }

    /// <summary>Creates a gateway that takes what <paramref name="options"/> leaves unset (logging, metrics, HTTP, extra selectors and adapters) from <paramref name="services"/>.</summary>
    internal static PortalGateway Create(PortalOptions options, IServiceProvider services) => new(options, services);

    /// <summary>The drain timeout used by <see cref="DisposeAsync"/> and by the host's stop.</summary>
    public TimeSpan ShutdownTimeout => _options.ShutdownTimeout;

    /// <summary>Whether <see cref="ShutdownAsync"/> has been called.</summary>
    public bool IsShuttingDown => _shuttingDown;

    /// <summary>Requests and streams running now.</summary>
    public int InFlightRequests => Volatile.Read(ref _inFlight);

    /// <summary>Request stats dropped since start because the stats queue was full.</summary>
    public long DroppedStats => _stats.Dropped;

    /// <summary>Returns the stats matching <paramref name="query"/>, newest first, after writing every stat still queued.</summary>
    /// <param name="query">The filters.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The matching rows.</returns>
    public async Task<IReadOnlyList<RequestStat>> QueryStatsAsync(StatsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _stats.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await _repository.QueryRequestStatsAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts the client requests and upstream attempts matching <paramref name="query"/>, after writing every stat still queued.</summary>
    /// <param name="query">The filters.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Requests and served requests; attempts and successful attempts (see <see cref="StatsSummary"/>).</returns>
    public async Task<StatsSummary> CountStatsAsync(StatsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _stats.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await _repository.CountRequestStatsAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes every stat queued so far to the repository.</summary>
    /// <param name="cancellationToken">Stops waiting (the stats stay queued).</param>
    /// <returns>A task that completes when they are written.</returns>
    public Task FlushStatsAsync(CancellationToken cancellationToken = default) => _stats.FlushAsync(cancellationToken);

    /// <summary>Returns the health of one resource (<see cref="HealthStatus.Unknown"/> when it has never been used).</summary>
    /// <param name="kind">The kind of resource.</param>
    /// <param name="resourceId">Its id.</param>
    /// <returns>A snapshot of its health.</returns>
    public HealthState GetHealth(ResourceKind kind, long resourceId) => _health.GetState(kind, resourceId);

    /// <summary>Returns the health of every resource the gateway knows, ordered by kind and id.</summary>
    /// <returns>Snapshots of their health.</returns>
    public IReadOnlyList<HealthState> GetAllHealth() => _health.GetAll();

    /// <summary>Returns resources to <see cref="HealthStatus.Unknown"/> so they are tried again at once.</summary>
    /// <param name="kind">Only resources of this kind; all kinds when <see langword="null"/>.</param>
    /// <param name="resourceId">Only the resource with this id; all when <see langword="null"/>.</param>
    /// <returns>How many resources were reset.</returns>
    public int ResetHealth(ResourceKind? kind = null, long? resourceId = null) => _health.Reset(kind, resourceId);

    /// <summary>Writes changed health to the repository now instead of at the next sync.</summary>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the write has been tried.</returns>
    public Task SaveHealthAsync(CancellationToken cancellationToken = default) => _healthSync.SaveAsync(cancellationToken);

    /// <summary>
    /// Stops the gateway: refuses new requests at once (<see cref="PortalErrorCode.ShuttingDown"/>), waits up to
    /// <paramref name="timeout"/> for running requests and streams, cancels what is left, then writes queued stats and
    /// changed health. Calling it again returns the same task.
    /// </summary>
    /// <param name="timeout">How long running requests may take to finish.</param>
    /// <returns>A task that completes when the gateway has stopped.</returns>
    public Task ShutdownAsync(TimeSpan timeout)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The shutdown timeout must not be negative.");
        }

        lock (_lifecycleLock)
        {
            return _shutdownTask ??= ShutdownCoreAsync(timeout);
        }
    }

    /// <summary>Shuts down with <see cref="PortalOptions.ShutdownTimeout"/> and releases resources.</summary>
    /// <returns>A task that completes when the gateway has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await ShutdownAsync(_options.ShutdownTimeout).ConfigureAwait(false);
        lock (_lifecycleLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _healthSync.DisposeAsync().ConfigureAwait(false);
        await _stats.DisposeAsync().ConfigureAwait(false);
        _ownedHttpClient?.Dispose();
        _metrics.Dispose();
        _shutdown.Dispose();
    }

    private async Task ShutdownCoreAsync(TimeSpan timeout)
    {
        _shuttingDown = true;
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }

        Log.ShuttingDown(_logger, timeout, InFlightRequests);
        if (!await WaitAsync(_drained.Task, timeout).ConfigureAwait(false))
        {
            Log.CancellingInFlight(_logger, InFlightRequests);
            await _shutdown.CancelAsync().ConfigureAwait(false);

            // Cancelled requests record their stats as they unwind; give them a moment to do so. A stream whose
            // caller stopped reading cannot unwind: its stat is written here instead.
            if (!await WaitAsync(_drained.Task, CancelGrace).ConfigureAwait(false))
            {
                Log.InFlightAbandoned(_logger, InFlightRequests);
            }

            RecordAbandonedStreams();
        }

        await _healthSync.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _stats.StopAsync(_options.Stats.FlushTimeout).ConfigureAwait(false);
        Log.ShutdownComplete(_logger);
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout, _time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Counts a request in flight, or refuses it when shutting down.</summary>
    private void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_shuttingDown)
        {
            Exit();
            throw new PortalException(PortalErrorCode.ShuttingDown, "The gateway is shutting down and accepts no new requests.");
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _shuttingDown)
        {
            _drained.TrySetResult();
        }
    }

    private static SocketsHttpHandler CreateDefaultHandler(PortalOptions options) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5), // Re-resolve DNS now and then.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        ConnectTimeout = options.ConnectTimeout,
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        EnableMultipleHttp2Connections = true,
        UseCookies = false,
        AllowAutoRedirect = false,

        // A cancelled or abandoned stream must close its connection at once so the upstream stops generating;
        // draining the rest of the response to reuse the connection would keep it going for seconds.
        MaxResponseDrainSize = 0,

        // Upstreams are third parties: the caller's trace context and baggage (ASP.NET Core makes them the current
        // activity's) are not theirs to see. Without a propagator HttpClient also skips its tracing stage, which cost
        // about 3% of the server's CPU per request (an activity, tags and headers per upstream call).
        ActivityHeadersPropagator = null,
    };

    private static T? Resolve<T>(IServiceProvider? services)
        where T : class => services?.GetService(typeof(T)) as T;

    private static IEnumerable<T> ResolveAll<T>(IServiceProvider? services)
        where T : class => services?.GetService(typeof(IEnumerable<T>)) as IEnumerable<T> ?? [];
}
