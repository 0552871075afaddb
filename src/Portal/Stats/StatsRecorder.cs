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
    private static readonly TimeSpan AbandonGrace = TimeSpan.FromSeconds(1);

    private readonly IPortalRepository _repository;
    private readonly StatsOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly PortalMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<RequestStat> _queue;
    private readonly CancellationTokenSource _abandon = new();
    private readonly Lock _waitersLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = [];
    private readonly Lock _enqueueLock = new();
    private readonly TaskCompletionSource _gaveUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _writer;
    private volatile bool _stopping;
    private TaskCompletionSource _lingerCut = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _enqueued;
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
        // Enqueue and count as one step, so the count a flush reads covers exactly the stats ahead of it in the queue.
        lock (_enqueueLock)
        {
            if (_queue.Writer.TryWrite(stat))
            {
                _enqueued++;
                return;
            }
        }

        var dropped = Interlocked.Increment(ref _dropped);
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
        long target;
        lock (_enqueueLock)
        {
            target = _enqueued;
        }

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

        // A flush does not wait for a batch to fill.
        Volatile.Read(ref _lingerCut).TrySetResult();

        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Stops accepting stats and writes what is queued, giving up after <paramref name="timeout"/>.</summary>
    /// <remarks>A repository that ignores cancellation is left behind: the stop returns once the timeout has passed.</remarks>
    public async Task StopAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        _stopping = true;
        Volatile.Read(ref _lingerCut).TrySetResult();
        using var timer = _timeProvider.CreateTimer(static s => ((StatsRecorder)s!).GiveUp(), this, timeout, Timeout.InfiniteTimeSpan);
        await Task.WhenAny(_writer, _gaveUp.Task).ConfigureAwait(false);
        if (!_writer.IsCompleted)
        {
            // Told to give up, a writer whose repository honours cancellation unwinds at once. The grace is real time
            // on purpose: it bounds how long a stuck repository can hold up shutdown, whatever the injected clock does.
            await Task.WhenAny(_writer, Task.Delay(AbandonGrace, TimeProvider.System)).ConfigureAwait(false);
        }

        if (!_writer.IsCompleted)
        {
            Log.StatsWriterAbandoned(_logger);
            ReleaseWaiters();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_options.FlushTimeout).ConfigureAwait(false);
        // A writer left behind in a repository call still holds the token: leave the source to the collector then.
        if (_writer.IsCompleted)
        {
            _abandon.Dispose();
        }
    }

    private void GiveUp()
    {
        try
        {
            _abandon.Cancel();
        }
        catch (AggregateException)
        {
            // A repository's cancellation callback threw; the writer sees the cancellation all the same.
        }

        _gaveUp.TrySetResult();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<RequestStat>(_options.BatchSize);
        var abandoned = 0L;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Drain(reader, batch);
            if (batch.Count < _options.BatchSize && _options.BatchDelay > TimeSpan.Zero)
            {
                await LingerAsync().ConfigureAwait(false);
                Drain(reader, batch);
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

        ReleaseWaiters();
    }

    private void Drain(ChannelReader<RequestStat> reader, List<RequestStat> batch)
    {
        while (batch.Count < _options.BatchSize && reader.TryRead(out var stat))
        {
            batch.Add(stat);
        }
    }

    /// <summary>Waits up to <see cref="StatsOptions.BatchDelay"/> for more stats, unless a flush or shutdown wants them written now.</summary>
    private async Task LingerAsync()
    {
        // The new signal is published before the checks, so a flush or stop that comes after them cuts this wait.
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _lingerCut, cut);
        bool flushPending;
        lock (_waitersLock)
        {
            flushPending = _waiters.Count > 0;
        }

        if (flushPending || _stopping)
        {
            return;
        }

        using var wait = new CancellationTokenSource(_options.BatchDelay, _timeProvider);
        await Task.WhenAny(cut.Task, Task.Delay(Timeout.InfiniteTimeSpan, wait.Token)).ConfigureAwait(false);
        await wait.CancelAsync().ConfigureAwait(false); // Ends the delay task when the cut came first.
    }

    /// <summary>Completes every pending flush: the writer has stopped, nothing more will be written.</summary>
    private void ReleaseWaiters()
    {
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
                // On a thread of its own: a repository that writes synchronously (SQLite does, whatever its async
                // signature) would otherwise hold a thread-pool thread for the whole batch, and with one core the
                // pool has one thread, so every request would wait for the batch.
                await Task.Factory.StartNew(
                    () => _repository.SaveRequestStatsAsync(batch, _abandon.Token),
                    _abandon.Token,
                    TaskCreationOptions.LongRunning,
                    TaskScheduler.Default).Unwrap().ConfigureAwait(false);
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
