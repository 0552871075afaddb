namespace Portal.Internal;

/// <summary>The cancellation of one client request: the caller's token, gateway shutdown and the request deadline.</summary>
/// <remarks>Tells afterwards which of them fired, so a cancellation is attributed correctly.</remarks>
internal sealed class RequestScope : IDisposable
{
    private readonly CancellationTokenSource _deadline;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _shutdown;
    private readonly TimeProvider _timeProvider;

    public RequestScope(string requestId, TimeSpan timeout, TimeProvider timeProvider, CancellationToken caller, CancellationToken shutdown)
    {
        RequestId = requestId;
        Caller = caller;
        _shutdown = shutdown;
        _timeProvider = timeProvider;
        _deadline = new CancellationTokenSource(timeout, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, shutdown, _deadline.Token);
    }

    /// <summary>A new client request id: a version 7 GUID in "N" format (32 hexadecimal digits that sort by time).</summary>
    /// <remarks>
    /// Time-ordered like stat ids, so storage's index on request ids grows at its end; random ids would land on a random
    /// index page each, which makes stats inserts slower as the table grows. The time in it comes from the system clock,
    /// not a <see cref="TimeProvider"/>: it only orders the ids, and nothing reads it back. Its 74 random bits come from
    /// <see cref="Random.Shared"/>, not from <see cref="Guid.CreateVersion7()"/>'s secure generator, which costs a system
    /// call (a read of the kernel's generator, about 3 µs, 1% of a request) each time: an id must be unique, not
    /// unpredictable.
    /// </remarks>
    public static string NewRequestId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        var milliseconds = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)milliseconds;
            milliseconds >>= 8;
        }

        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70); // Version 7.
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // Variant 10 (RFC 9562).
        return new Guid(bytes, bigEndian: true).ToString("N");
    }

    /// <summary>The id every attempt of this request records (<see cref="RequestStat.RequestId"/>).</summary>
    public string RequestId { get; }

    public CancellationToken Caller { get; }

    public CancellationToken Token => _linked.Token;

    public bool CallerCancelled => Caller.IsCancellationRequested;

    public bool ShutdownCancelled => _shutdown.IsCancellationRequested;

    public bool DeadlinePassed => _deadline.IsCancellationRequested;

    public AttemptScope StartAttempt(TimeSpan timeout) => new(timeout, _timeProvider, Token);

    public void Dispose()
    {
        _linked.Dispose();
        _deadline.Dispose();
    }
}

/// <summary>The cancellation of one upstream attempt: its request's, plus a timeout until the attempt is committed.</summary>
internal sealed class AttemptScope : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationTokenSource _linked;

    public AttemptScope(TimeSpan timeout, TimeProvider timeProvider, CancellationToken request)
    {
        _timeout = new CancellationTokenSource(timeout, timeProvider);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(request, _timeout.Token);
    }

    public CancellationToken Token => _linked.Token;

    public bool TimedOut => _timeout.IsCancellationRequested;

    /// <summary>The attempt delivered its first chunk: from now on only the request's deadline applies.</summary>
    public void Commit() => _timeout.CancelAfter(Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _linked.Dispose();
        _timeout.Dispose();
    }
}
