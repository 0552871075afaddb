using Microsoft.Extensions.Logging;
using Portal.Diagnostics;

namespace Portal.Health;

/// <summary>Loads health from the repository at start and saves changed entries in one batch per interval and at stop.</summary>
/// <remarks>
/// Each tick also reloads all health from the repository and merges it, so that replicas sharing one database
/// learn each other's health; entries with unsaved local changes keep them.
/// </remarks>
internal sealed class HealthSynchronizer : IAsyncDisposable
{
    private readonly HealthTracker _tracker;
    private readonly IPortalRepository _repository;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _saveLock = new(1, 1);
    private Task? _loop;

    public HealthSynchronizer(HealthTracker tracker, IPortalRepository repository, TimeSpan interval, TimeProvider timeProvider, ILogger logger)
    {
        _tracker = tracker;
        _repository = repository;
        _interval = interval;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Completes when the initial load has finished (successfully or not: a failed load starts with empty health).</summary>
    public Task Loaded { get; private set; } = Task.CompletedTask;

    public void Start()
    {
        Loaded = LoadAsync(_stop.Token);
        _loop = RunAsync(_stop.Token);
    }

    /// <summary>Saves every changed entry now. Entries that fail to save stay marked and are retried next time.</summary>
    public async Task<bool> SaveAsync(CancellationToken cancellationToken)
    {
        await _saveLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var taken = new List<HealthEntry>();
        try
        {
            var states = _tracker.TakeDirty(taken);
            if (states.Count == 0)
            {
                return true;
            }

            await _repository.SaveHealthAsync(states, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            foreach (var entry in taken)
            {
                entry.MarkDirty();
            }

            Log.HealthSaveFailed(_logger, taken.Count, ex);
            return false;
        }
        catch
        {
            foreach (var entry in taken)
            {
                entry.MarkDirty();
            }

            throw;
        }
        finally
        {
            _saveLock.Release();
        }
    }

    /// <summary>Stops the periodic loop and saves what changed one last time.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
        }

        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        await SaveAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
        _saveLock.Dispose();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            var states = await _repository.GetAllHealthAsync(cancellationToken).ConfigureAwait(false);
            _tracker.Load(states);
        }
        catch (Exception ex)
        {
            // Never faults: a store may report its own cancellation with its own exception type, and a failed load
            // must neither stop the sync loop nor the final save. Stopping before the load finished is no error.
            if (!cancellationToken.IsCancellationRequested)
            {
                Log.HealthLoadFailed(_logger, ex);
            }
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _timeProvider);
        try
        {
            await Loaded.ConfigureAwait(false);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await SaveAsync(cancellationToken).ConfigureAwait(false))
                {
                    await LoadAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
