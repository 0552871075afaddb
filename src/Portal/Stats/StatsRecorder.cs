using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Portal.Diagnostics;

namespace Portal.Stats;

/// <summary>Queues request stats and writes them to the repository in batches from one background loop.</summary>
/// <remarks>
/// <see cref="Record"/> never blocks and never throws: when the bounded queue is full the stat is dropped, counted in
/// <c>portal.stats.dropped</c> and logged. A failed write keeps its batch and is retried with backoff while new stats
/// wait in the queue. <see cref="FlushAsync"/> completes once every stat recorded before the call has been written.
/// </remarks>
internal sealed class StatsRecorder : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly IPortalRepository _repository;
    private readonly StatsOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly PortalMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<RequestStat> _queue;
    private readonly CancellationTokenSource _abandon = new();
    private readonly Lock _waitersLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private readonly Task _writer;
    private long _accepted;
    private long _processed;
    private long _dropped;

    public StatsRecorder(IPortalRepository repository, StatsOptions options, TimeProvider timeProvider, PortalMetrics metrics, ILogger logger)
    {
        _repository = repository;
        _options = options;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _queue = System.Threading.Channels.Channel.CreateBounded<RequestStat>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then returns false instead of blocking.
            SingleReader = true,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Stats dropped because the queue was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Record(RequestStat stat)
    {
        // Count first so that a flush never sees the write before the count.
        Interlocked.Increment(ref _accepted);
        if (_queue.Writer.TryWrite(stat))
        {
            return;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        MarkProcessed(1);
        _metrics.StatDropped();

        // Under sustained overload every request would log: warn on the first drop and then once per thousand.
        if (dropped == 1 || dropped % 1000 == 0)
        {
            Log.StatsDropped(_logger, _options.QueueCapacity, dropped);
        }
    }

    /// <summary>Waits until every stat recorded before this call has been written (or given up on at shutdown).</summary>
    public Task FlushAsync(CancellationToken cancellationToken)
    {
        var target = Interlocked.Read(ref _accepted);
        TaskCompletionSource done;
        lock (_waitersLock)
        {
            if (Interlocked.Read(ref _processed) >= target)
            {
                return Task.CompletedTask;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, done));
        }

        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops accepting stats and writes what is queued, giving up after <paramref name="timeout"/>.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        using var giveUp = _timeProvider.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), _abandon, timeout, Timeout.InfiniteTimeSpan);
        await _writer.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_options.FlushTimeout).ConfigureAwait(false);
        _abandon.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<RequestStat>(_options.BatchSize);
        var abandoned = 0L;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.BatchSize && reader.TryRead(out var stat))
            {
                batch.Add(stat);
            }

            if (_abandon.IsCancellationRequested || !await WriteWithRetryAsync(batch).ConfigureAwait(false))
            {
                abandoned += batch.Count;
            }

            MarkProcessed(batch.Count);
            batch.Clear();
        }

        if (abandoned > 0)
        {
            Log.StatsAbandoned(_logger, abandoned);
        }

        lock (_waitersLock)
        {
            foreach (var (_, done) in _waiters)
            {
                done.TrySetResult();
            }

            _waiters.Clear();
        }
    }

    /// <summary>Writes a batch, retrying with backoff until it is saved (true) or shutdown gives up on it (false).</summary>
    private async Task<bool> WriteWithRetryAsync(List<RequestStat> batch)
    {
        var delay = FirstRetryDelay;
        while (true)
        {
            try
            {
                await _repository.SaveRequestStatsAsync(batch, _abandon.Token).ConfigureAwait(false);
                return true;
            }
            catch (Exception) when (_abandon.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception ex)
            {
                Log.StatsSaveFailed(_logger, batch.Count, delay, ex);
            }

            try
            {
                await Task.Delay(delay, _timeProvider, _abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
        }
    }

    private void MarkProcessed(int count)
    {
        var processed = Interlocked.Add(ref _processed, count);
        lock (_waitersLock)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= processed)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
