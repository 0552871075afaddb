using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Portal.DependencyInjection;
using Portal.Diagnostics;
using Portal.Engine;
using Portal.Health;
using Portal.Internal;
using Portal.Providers;
using Portal.Routing;
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
    private readonly RequestEngine _engine;
    private ServiceProvider? _ownedServices;
    private readonly Lock _lifecycleLock = new();
    private Task? _shutdownTask;
    private bool _disposed;

    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(2);

    /// <summary>Builds a gateway from its setup; <see cref="Microsoft.Extensions.DependencyInjection.PortalServiceCollectionExtensions.AddPortal(Microsoft.Extensions.DependencyInjection.IServiceCollection, Func{IServiceProvider, PortalOptions})"/> is the one place that composes it.</summary>
    internal PortalGateway(PortalSetup setup, ProviderCatalog providers, IEnumerable<IChannelSelector> selectors)
    {
        var options = setup.Options;
        _options = options;
        var strategies = new Dictionary<string, IChannelSelector>(StringComparer.OrdinalIgnoreCase);
        foreach (var selector in selectors.Concat(options.Selectors))
        {
            strategies[selector.Name] = selector;
        }

        var strategy = strategies.TryGetValue(options.SelectorStrategy, out var chosen)
            ? chosen
            : throw new ArgumentException(
                $"SelectorStrategy '{options.SelectorStrategy}' is unknown; known strategies: {string.Join(", ", strategies.Keys.Order(StringComparer.Ordinal))}.",
                nameof(setup));

        _repository = options.Repository;
        _time = options.TimeProvider;
        _logger = setup.Logger;
        _metrics = new PortalMetrics(setup.MeterFactory);
        _health = new HealthTracker(options.Backoff, setup.Random, _time);
        _healthSync = new HealthSynchronizer(_health, _repository, options.HealthSyncInterval, _time, _logger);
        _stats = new StatsRecorder(_repository, options.Stats, _time, _metrics, _logger);
        Providers = providers;
        var resolver = new ChannelResolver(_repository, _health, new RoutingTable(), format => providers.TryGet(format, out _), _logger);
        _engine = new RequestEngine(options, providers, resolver, strategy, setup.Random, _health, _healthSync, _stats, _metrics, _logger);
        _healthSync.Start();
    }

    /// <summary>Creates a gateway and starts its background work (health load and sync, stats writer).</summary>
    /// <param name="options">The settings; <see cref="PortalOptions.Repository"/> is required.</param>
    /// <returns>A running gateway. Dispose it (or call <see cref="ShutdownAsync"/>) to stop it.</returns>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    /// <remarks>Composed exactly as <c>services.AddPortal(options)</c> composes it, in a private container the gateway disposes with itself.</remarks>
    public static PortalGateway Create(PortalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var services = new ServiceCollection().AddPortal(options).Services.BuildServiceProvider();
        try
        {
            var gateway = services.GetRequiredService<PortalGateway>();
            gateway._ownedServices = services;
            return gateway;
        }
        catch
        {
            services.Dispose();
            throw;
        }
    }

    /// <summary>The drain timeout used by <see cref="DisposeAsync"/> and by the host's stop.</summary>
    public TimeSpan ShutdownTimeout => _options.ShutdownTimeout;

    /// <summary>Whether <see cref="ShutdownAsync"/> has been called.</summary>
    public bool IsShuttingDown => _engine.ShuttingDown;

    /// <summary>Requests and streams running now.</summary>
    public int InFlightRequests => _engine.InFlight;

    /// <summary>The platform formats this gateway speaks: the built-in ones and those added as adapters.</summary>
    public ProviderCatalog Providers { get; }

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
        _metrics.Dispose();
        _engine.Dispose();
        if (_ownedServices is { } services)
        {
            // Disposes what the private container built for this gateway (the upstream HTTP client); its disposal of
            // this gateway finds it disposed already.
            await services.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task ShutdownCoreAsync(TimeSpan timeout)
    {
        _engine.BeginShutdown();
        Log.ShuttingDown(_logger, timeout, InFlightRequests);
        if (!await WaitAsync(_engine.Drained, timeout).ConfigureAwait(false))
        {
            Log.CancellingInFlight(_logger, InFlightRequests);
            await _engine.CancelAllAsync().ConfigureAwait(false);

            // Cancelled requests record their stats as they unwind; give them a moment to do so. A stream whose
            // caller stopped reading cannot unwind: its stat is written here instead.
            if (!await WaitAsync(_engine.Drained, CancelGrace).ConfigureAwait(false))
            {
                Log.InFlightAbandoned(_logger, InFlightRequests);
            }

            _engine.RecordAbandonedStreams();
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
}
