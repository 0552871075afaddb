namespace Portal.Stats;

/// <summary>How request stats are queued and written to the repository.</summary>
/// <remarks>The server binds it from <c>Portal:Stats</c>.</remarks>
public sealed class StatsOptions
{
    /// <summary>The most stats waiting to be written; when full, new stats are dropped (counted and logged), never blocking a request.</summary>
    /// <value>The default is 100,000.</value>
    public int QueueCapacity { get; init; } = 100_000;

    /// <summary>The most stats written in one repository call.</summary>
    /// <value>The default is 1,000.</value>
    public int BatchSize { get; init; } = 1_000;

    /// <summary>
    /// How long the writer waits for a batch to fill before writing a smaller one. Under load this turns many small
    /// writes into few large ones (one repository call costs far more than one row); a flush, and shutdown, write at once.
    /// </summary>
    /// <value>The default is 100 milliseconds. Zero writes whatever is queued at once.</value>
    public TimeSpan BatchDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between retries of a failed write (the wait doubles from 100 ms up to this).</summary>
    /// <value>The default is 30 seconds.</value>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long shutdown keeps trying to write queued stats before giving up on them.</summary>
    /// <value>The default is 10 seconds.</value>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
