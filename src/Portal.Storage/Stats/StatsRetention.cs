using Portal.Storage.Internal;

namespace Portal.Storage;

/// <summary>Deletes request stats older than <see cref="StorageOptions.RetentionDays"/> in the background, in small batches.</summary>
/// <remarks>
/// Runs <see cref="StartDelay"/> after <see cref="Start"/> (so it does not compete with startup), then every
/// <see cref="StorageOptions.RetentionInterval"/>. A run deletes batches of <see cref="StorageOptions.RetentionBatchSize"/>
/// rows, oldest first, until a batch comes back short; each batch is its own short statement, so request-stat writes
/// wait for the database lock for one batch at most. A failed run is logged and retried at the next interval; nothing
/// escapes the loop. <see cref="DisposeAsync"/> stops the loop and waits for it, cancelling a batch in flight.
/// </remarks>
internal sealed class StatsRetention : IAsyncDisposable
{
    /// <summary>How long after <see cref="Start"/> the first run happens.</summary>
    internal static readonly TimeSpan StartDelay = TimeSpan.FromSeconds(30);

    private readonly EfStatsStore _stats;
    private readonly StorageDatabase _database;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public StatsRetention(EfStatsStore stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        _stats = stats;
        _database = stats.Database;
    }

    /// <summary>The retention of an open repository's stats (for tests).</summary>
    public StatsRetention(EfPortalRepository repository)
        : this(repository.StatsStore)
    {
    }

    /// <summary>Starts the loop, unless <see cref="StorageOptions.RetentionDays"/> is 0 (stats are kept for ever).</summary>
    /// <exception cref="ArgumentException"><see cref="StorageOptions.RetentionInterval"/> is not positive.</exception>
    /// <exception cref="InvalidOperationException">The loop is already running.</exception>
    public void Start()
    {
        var options = _database.Options;
        if (options.RetentionDays <= 0)
        {
            return;
        }

        if (options.RetentionInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Portal:Storage:RetentionInterval must be positive; it is {options.RetentionInterval}.");
        }

        if (!_loop.IsCompleted)
        {
            throw new InvalidOperationException("The stats retention loop is already running.");
        }

        _loop = Task.Run(() => RunAsync(options.RetentionInterval, _stopping.Token));
    }

    /// <summary>Deletes every row older than the retention period, batch by batch; logs a failure instead of throwing it.</summary>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <returns>How many rows were deleted.</returns>
    internal async Task<long> RunOnceAsync(CancellationToken cancellationToken)
    {
        var options = _database.Options;
        if (options.RetentionDays <= 0)
        {
            return 0;
        }

        var cutoff = _database.Time.GetUtcNow() - TimeSpan.FromDays(options.RetentionDays);
        var batchSize = Math.Max(1, options.RetentionBatchSize);
        long total = 0;
        try
        {
            int deleted;
            do
            {
                deleted = await _stats.DeleteStatsBeforeAsync(cutoff, batchSize, cancellationToken).ConfigureAwait(false);
                total += deleted;

                // Between batches, let waiting request-stat writes take the database lock.
                await Task.Yield();
            }
            while (deleted >= batchSize);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            StatsLog.RetentionFailed(_database.Logger, ex, cutoff, total, options.RetentionInterval);
            return total;
        }

        if (total > 0)
        {
            StatsLog.RetentionDeleted(_database.Logger, total, cutoff, options.RetentionDays);
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var time = _database.Time;
        try
        {
            await Task.Delay(StartDelay, time, cancellationToken).ConfigureAwait(false);
            using var timer = new PeriodicTimer(interval, time);
            do
            {
                await RunOnceAsync(cancellationToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }
}
