using Microsoft.Extensions.Logging;
using Portal.Storage.Internal;

namespace Portal.Storage.Configuration.Internal;

/// <summary>
/// Serves the configuration from memory: loaded at open, reloaded every TTL by a background loop and at once after an
/// invalidation. The request path reads <see cref="Current"/> (or <see cref="GetAsync"/>) and never touches the database.
/// </summary>
/// <remarks>
/// Thread-safe. Reloads run one at a time; concurrent requests for a reload share one. A failed background reload is
/// logged (a warning when reads start failing, debug while they keep failing, information when they work again) and
/// the previous snapshot keeps serving. Invalidation is versioned: a reader that arrives after
/// <see cref="Invalidate"/> waits (for at most <see cref="StaleWaitLimit"/>) for a reload that started after it,
/// so it sees the change; once that reload has been tried, readers stop waiting even if it failed.
/// </remarks>
internal sealed class ConfigCache : IAsyncDisposable
{
    /// <summary>The longest a request-path read waits for a reload after an invalidation before it serves the old snapshot.</summary>
    internal static readonly TimeSpan StaleWaitLimit = TimeSpan.FromSeconds(2);

    private readonly Func<CancellationToken, Task<ConfigData>> _load;
    private readonly TimeSpan _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private volatile ConfigSnapshot _snapshot = ConfigSnapshot.Empty;
    private long _requested; // invalidations so far
    private long _tried;     // the invalidation count the latest finished reload started after
    private bool _failing;   // under _gate
    private Task? _loop;
    private int _disposed;

    public ConfigCache(Func<CancellationToken, Task<ConfigData>> load, TimeSpan ttl, TimeProvider time, ILogger logger)
    {
        _load = load;
        _ttl = ttl;
        _time = time;
        _logger = logger;
    }

    /// <summary>The snapshot being served.</summary>
    public ConfigSnapshot Current => _snapshot;

    private bool Stale => Volatile.Read(ref _tried) < Volatile.Read(ref _requested);

    /// <summary>The current snapshot, or after an invalidation the reloaded one. Never throws.</summary>
    public ValueTask<ConfigSnapshot> GetAsync(CancellationToken cancellationToken) =>
        Stale ? WaitForReloadAsync(cancellationToken) : new(_snapshot);

    /// <summary>Reads the configuration now and serves it.</summary>
    /// <exception cref="Exception">Reading failed (the old snapshot keeps serving).</exception>
    public Task LoadAsync(CancellationToken cancellationToken) => ReloadAsync(onlyIfStale: false, throwOnError: true, cancellationToken);

    /// <summary>Reads the configuration now and serves it; a failure is logged, not thrown.</summary>
    /// <returns>Whether the read succeeded.</returns>
    public Task<bool> TryLoadAsync(CancellationToken cancellationToken) => ReloadAsync(onlyIfStale: false, throwOnError: false, cancellationToken);

    /// <summary>Marks the snapshot stale and starts a reload in the background.</summary>
    public void Invalidate()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return; // nothing reloads any more: readers keep the last snapshot without waiting
        }

        Interlocked.Increment(ref _requested);
        _ = ReloadAsync(onlyIfStale: true, throwOnError: false, _stop.Token);
    }

    /// <summary>Starts the loop that reloads every TTL.</summary>
    public void Start() => _loop ??= RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        // Wait for a reload in flight (an invalidation's) to notice the cancellation. Neither the semaphore nor the
        // token source is disposed (neither holds anything that needs it here), so a late caller cannot hit
        // ObjectDisposedException on the request path.
        await _gate.WaitAsync().ConfigureAwait(false);
        _gate.Release();
    }

    private async ValueTask<ConfigSnapshot> WaitForReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReloadAsync(onlyIfStale: true, throwOnError: false, _stop.Token)
                .WaitAsync(StaleWaitLimit, _time, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Timed out, cancelled or disposed: the request path serves what there is rather than fail.
        }

        return _snapshot;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_ttl, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await ReloadAsync(onlyIfStale: false, throwOnError: false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<bool> ReloadAsync(bool onlyIfStale, bool throwOnError, CancellationToken cancellationToken)
    {
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!throwOnError)
        {
            return false;
        }

        try
        {
            var target = Volatile.Read(ref _requested);
            if (onlyIfStale && Volatile.Read(ref _tried) >= target)
            {
                return true; // another reload that started after the invalidation has run
            }

            try
            {
                var data = await _load(cancellationToken).ConfigureAwait(false);
                var previous = _snapshot;
                var next = ConfigSnapshot.Create(data, previous);
                if (!ReferenceEquals(next, previous))
                {
                    _snapshot = next;
                    StorageLog.CacheChanged(_logger, data.Platforms.Length, data.Models.Length, data.Keys.Length);
                }

                if (_failing)
                {
                    _failing = false;
                    StorageLog.CacheRefreshRecovered(_logger);
                }

                return true;
            }
            catch (Exception ex) when (!throwOnError)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return false; // stopping: not a database problem
                }

                if (!_failing)
                {
                    _failing = true;
                    StorageLog.CacheRefreshFailed(_logger, ex);
                }
                else
                {
                    StorageLog.CacheRefreshStillFailing(_logger, ex.Message);
                }

                return false;
            }
            finally
            {
                // Tried, successfully or not: readers that arrived after the invalidation stop waiting.
                if (Volatile.Read(ref _tried) < target)
                {
                    Volatile.Write(ref _tried, target);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
