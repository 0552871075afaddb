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

    /// <summary>A new client request id: a <see cref="TimeOrderedId"/> of now.</summary>
    /// <remarks>
    /// The time in it comes from the system clock, not a <see cref="TimeProvider"/>: it only orders the ids, and nothing
    /// reads it back.
    /// </remarks>
    public static string NewRequestId() => TimeOrderedId.New(TimeProvider.System.GetUtcNow());

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
