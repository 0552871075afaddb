namespace Portal.Internal;

/// <summary>The cancellation of one client request: the caller's token, gateway shutdown and the request deadline.</summary>
/// <remarks>
/// <para>Tells afterwards which of them fired, so a cancellation is attributed correctly.</para>
/// <para>
/// One source per request: the deadline's timer cancels it, and the caller's token and shutdown cancel it through a
/// registration each. A linked source would be a second source (with its own registrations) for every request: with
/// one, this scope and <see cref="AttemptScope"/> made four sources per request, and cancellation as a whole (with
/// HttpClient's and the relay's) about 1% of a streamed request's CPU.
/// </para>
/// </remarks>
internal sealed class RequestScope : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _callerRegistration;
    private readonly CancellationTokenRegistration _shutdownRegistration;
    private readonly CancellationToken _shutdown;
    private readonly TimeProvider _timeProvider;

    public RequestScope(string requestId, TimeSpan timeout, TimeProvider timeProvider, CancellationToken caller, CancellationToken shutdown)
    {
        RequestId = requestId;
        Caller = caller;
        _shutdown = shutdown;
        _timeProvider = timeProvider;
        _source = new CancellationTokenSource(timeout, timeProvider);

        // Registering on a token that is already cancelled cancels the source at once.
        _callerRegistration = caller.UnsafeRegister(Cancellation.CancelSource, _source);
        _shutdownRegistration = shutdown.UnsafeRegister(Cancellation.CancelSource, _source);
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

    public CancellationToken Token => _source.Token;

    public bool CallerCancelled => Caller.IsCancellationRequested;

    public bool ShutdownCancelled => _shutdown.IsCancellationRequested;

    /// <summary>Whether the deadline cancelled the request: it was cancelled, and neither by the caller nor by shutdown.</summary>
    public bool DeadlinePassed => _source.IsCancellationRequested && !CallerCancelled && !ShutdownCancelled;

    public AttemptScope StartAttempt(TimeSpan timeout) => new(timeout, _timeProvider, Token);

    public void Dispose()
    {
        // The registrations first: disposing one waits for its callback if it runs, so none cancels a disposed source.
        _callerRegistration.Dispose();
        _shutdownRegistration.Dispose();
        _source.Dispose();
    }
}

/// <summary>The cancellation of one upstream attempt: its request's, plus a timeout until the attempt is committed.</summary>
/// <remarks>One source, cancelled by its timer or, through a registration, by the request (see <see cref="RequestScope"/>).</remarks>
internal sealed class AttemptScope : IDisposable
{
    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenRegistration _requestRegistration;
    private readonly CancellationToken _request;

    public AttemptScope(TimeSpan timeout, TimeProvider timeProvider, CancellationToken request)
    {
        _request = request;
        _source = new CancellationTokenSource(timeout, timeProvider);
        _requestRegistration = request.UnsafeRegister(Cancellation.CancelSource, _source);
    }

    public CancellationToken Token => _source.Token;

    /// <summary>Whether the attempt's timeout cancelled it: it was cancelled, and not by its request.</summary>
    public bool TimedOut => _source.IsCancellationRequested && !_request.IsCancellationRequested;

    /// <summary>The attempt delivered its first chunk: from now on only the request's deadline applies.</summary>
    public void Commit() => _source.CancelAfter(Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        _requestRegistration.Dispose();
        _source.Dispose();
    }
}

/// <summary>The callback that cancels a source when the token it is registered on is cancelled.</summary>
file static class Cancellation
{
    public static readonly Action<object?> CancelSource = static source => ((CancellationTokenSource)source!).Cancel();
}
