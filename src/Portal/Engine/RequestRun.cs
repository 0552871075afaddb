using System.Diagnostics;
using Portal.Health;
using Portal.Internal;
using Portal.Providers;
using Portal.Relay.Internal;
using Portal.Stats;

namespace Portal.Engine;

/// <summary>Opens one upstream attempt for a <see cref="RequestRun"/>: what differs between the gateway's entry points.</summary>
/// <typeparam name="T">What an opened attempt is (a response, a stream with its first chunk, a relay ready to pump).</typeparam>
internal interface IAttemptOpener<T>
{
    /// <summary>Called once the channels are known, before the first attempt (for work that must fail as the client's error, not as an attempt's).</summary>
    void Prepare(ResolvedChannels channels);

    /// <summary>
    /// Calls the upstream and returns once the answer can be committed to: the whole response, or the first chunk of a
    /// stream. A failure here fails over; the opener releases what it opened before it throws.
    /// </summary>
    ValueTask<T> OpenAsync(Channel channel, IProviderAdapter adapter, int attempt, CancellationToken cancellationToken);
}

/// <summary>
/// One client request from entry to end: its deadline, the failover loop over channels up to the commit point, and the
/// recording of every attempt's outcome exactly once. Every entry point of the gateway is a thin layer over it.
/// </summary>
/// <remarks>
/// <para>
/// The life of a run: <see cref="Start"/> (counted in flight, refused during shutdown), <see cref="OpenAsync{TOpener, T}"/>
/// (resolve the channels, then select, open, and on failure classify, record and fail over, until an attempt opens:
/// that is the commit point, after which nothing fails over), then the entry point pumps the answer to its caller and
/// ends the run with <see cref="Succeeded"/> or <see cref="Failed"/>, and finally <see cref="Dispose"/>. A committed run
/// that is disposed without an outcome was abandoned by its caller: it is recorded as cancelled.
/// </para>
/// <para>
/// The committed attempt's outcome is claimed once, by whoever ends it first: the entry point, the disposal, or
/// shutdown writing the stats of streams whose callers stopped reading (<see cref="Abandon"/>).
/// </para>
/// </remarks>
internal sealed class RequestRun : IDisposable
{
    private readonly RequestEngine _engine;
    private readonly RequestScope _scope;
    private readonly Activity? _activity;
    private readonly long _started;
    private AttemptScope? _attempt;
    private Activity? _attemptActivity;
    private AttemptRecord _record;
    private IProviderAdapter? _adapter;
    private TimeSpan? _firstByte;
    private bool _committed;
    private int _claimed;
    private string _outcome = "error";

    // Why attempts failed, for the error when no channel is left.
    private int _failed;
    private int _rateLimited;
    private TimeSpan? _shortestRetryAfter;
    private FailureVerdict? _lastFailure;

    private RequestRun(RequestEngine engine, PortalRequestContext context, bool stream, CancellationToken cancellationToken)
    {
        _engine = engine;
        Context = context;
        Stream = stream;
        _started = engine.Time.GetTimestamp();
        _activity = RequestEngine.StartActivity(context.Model, stream);
        _scope = new RequestScope(context.RequestId, engine.Options.RequestTimeout, engine.Time, cancellationToken, engine.ShutdownToken);
    }

    /// <summary>The request.</summary>
    public PortalRequestContext Context { get; }

    /// <summary>Whether the caller asked for a stream.</summary>
    public bool Stream { get; }

    /// <summary>The channel of the running (after the commit: the serving) attempt.</summary>
    public Channel Channel => _record.Channel;

    /// <summary>The running attempt's number.</summary>
    public int Attempt => _record.Number;

    /// <summary>Cancels the committed attempt: the caller, the request deadline or shutdown.</summary>
    public CancellationToken Token => _attempt?.Token ?? _scope.Token;

    /// <summary>Starts a request: counts it in flight (refused when the gateway is shutting down) and claims its context.</summary>
    public static RequestRun Start(RequestEngine engine, PortalRequestContext context, string model, bool stream, CancellationToken cancellationToken)
    {
        context.Start(model, engine.Options.MaxAttempts);
        engine.Enter();
        return new RequestRun(engine, context, stream, cancellationToken);
    }

    /// <summary>Fails over between channels until an attempt opens; returns it, committed.</summary>
    /// <exception cref="PortalException">No attempt could be opened; the code says why.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public async ValueTask<T> OpenAsync<TOpener, T>(TOpener opener)
        where TOpener : IAttemptOpener<T>
    {
        try
        {
            var channels = await _engine.ResolveAsync(Context.Model, _scope).ConfigureAwait(false);
            opener.Prepare(channels);
            var max = _engine.Options.MaxAttempts;
            while (Context.Attempt < max)
            {
                var index = _engine.Select(channels, Context);
                if (index < 0)
                {
                    break;
                }

                var channel = channels.Channels[index];
                var number = Context.AttemptStarting(channel);
                _attempt = _scope.StartAttempt(_engine.Options.AttemptTimeout);
                _attemptActivity = RequestEngine.StartAttemptActivity(channel, number);
                _record = _engine.BeginAttempt(Context, channel, channels.Routes[index], Stream, number);
                try
                {
                    _adapter = _engine.Providers.Get(channel.Platform.Format);
                    var opened = await opener.OpenAsync(channel, _adapter, number, _attempt.Token).ConfigureAwait(false);
                    Commit();
                    return opened;
                }
                catch (Exception ex)
                {
                    var verdict = _engine.Judge(ex, _scope, _attempt, _adapter);
                    _engine.RecordFailure(_record, firstByte: null, verdict, _attemptActivity);
                    Note(verdict);
                    EndAttempt();
                    if (!verdict.Retryable)
                    {
                        throw RequestEngine.ToCallerException(verdict, _scope, ex);
                    }
                }
            }

            throw Exhausted(channels);
        }
        catch (Exception ex)
        {
            _outcome = RequestEngine.Outcome(ex);
            _activity?.SetStatus(ActivityStatusCode.Error, _outcome);
            throw;
        }
    }

    /// <summary>The committed attempt delivered its whole answer.</summary>
    public void Succeeded(TokenCounts tokens)
    {
        if (TryClaim())
        {
            _engine.RecordSuccess(_record, _firstByte, tokens);
            _outcome = "success";
        }
    }

    /// <summary>The committed attempt failed while its answer was being pumped; returns the exception for the caller.</summary>
    /// <remarks>A <see cref="RelayClientGoneException"/> (the caller stopped receiving) is a cancellation, blamed on nobody.</remarks>
    public Exception Failed(Exception exception)
    {
        FailureVerdict verdict;
        Exception result;
        if (exception is RelayClientGoneException)
        {
            verdict = FailureVerdict.Cancellation(PortalErrorCode.InvalidRequest, "The client stopped receiving the response.");
            result = new OperationCanceledException("The client stopped receiving the response.", exception.InnerException);
        }
        else
        {
            verdict = _engine.Judge(exception, _scope, _attempt!, _adapter) with { Retryable = false };
            result = RequestEngine.ToCallerException(verdict, _scope, exception, midStream: Stream);
        }

        if (TryClaim())
        {
            _engine.RecordFailure(_record, _firstByte, verdict, _attemptActivity, committed: true);
        }

        _outcome = RequestEngine.Outcome(result);
        _activity?.SetStatus(ActivityStatusCode.Error, _outcome);
        return result;
    }

    /// <summary>Records a committed stream whose caller stopped reading as cancelled by shutdown, unless it ended already.</summary>
    public void Abandon()
    {
        if (TryClaim())
        {
            var verdict = FailureVerdict.Cancellation(PortalErrorCode.ShuttingDown, "Cancelled because the gateway shut down while the caller was not reading the stream.");
            _engine.RecordFailure(_record, _firstByte, verdict, attemptActivity: null, committed: true);
        }
    }

    public void Dispose()
    {
        // Before the commit every attempt recorded its own outcome; after it, an unclaimed outcome means the caller
        // stopped before the end: a cancellation, blamed on nobody.
        if (_committed)
        {
            if (TryClaim())
            {
                var verdict = FailureVerdict.Cancellation(PortalErrorCode.InvalidRequest, "Cancelled by the caller before the stream ended.");
                _engine.RecordFailure(_record, _firstByte, verdict, _attemptActivity, committed: true);
                _outcome = "cancelled";
            }

            if (Stream)
            {
                _engine.StreamClosed(this);
            }
        }

        if (_outcome == "success")
        {
            _activity?.SetStatus(ActivityStatusCode.Ok);
        }
        else
        {
            _activity?.SetStatus(ActivityStatusCode.Error, _outcome);
        }

        EndAttempt();
        _scope.Dispose();
        _activity?.Dispose();
        _engine.Metrics.Request(_outcome, Stream, Context.Model, _engine.Time.GetElapsedTime(_started));
        _engine.Exit();
    }

    private void Commit()
    {
        _attempt!.Commit();
        _committed = true;
        if (Stream)
        {
            _firstByte = _engine.Time.GetElapsedTime(_record.Start);
            _engine.Metrics.FirstToken(_engine.Time.GetElapsedTime(_started), Context.Model);
            _engine.StreamOpened(this);
        }
    }

    private bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    private void EndAttempt()
    {
        _attempt?.Dispose();
        _attempt = null;
        _attemptActivity?.Dispose();
        _attemptActivity = null;
    }

    private void Note(FailureVerdict verdict)
    {
        _failed++;
        _lastFailure = verdict;
        if (verdict.StatusCode == 429)
        {
            _rateLimited++;
            if (verdict.RetryAfter is { } wait && (_shortestRetryAfter is null || wait < _shortestRetryAfter))
            {
                _shortestRetryAfter = wait;
            }
        }
    }

    /// <summary>The error when no further channel can be tried.</summary>
    private PortalException Exhausted(ResolvedChannels channels)
    {
        var model = Context.Model;
        if (_lastFailure is not { } last)
        {
            return _engine.NoChannel(channels, model);
        }

        if (_rateLimited == _failed)
        {
            return new PortalException(PortalErrorCode.UpstreamFailed,
                $"Every channel tried for model '{ClientText.Echo(model)}' is rate limited upstream ({_failed} attempt(s)): {last.Message}",
                429, _shortestRetryAfter);
        }

        // Only retryable verdicts get here, so the code is UpstreamFailed, or Timeout when the last attempt timed out.
        return new PortalException(last.Code,
            $"All {_failed} attempt(s) for model '{ClientText.Echo(model)}' failed; last error: {last.Message}",
            last.StatusCode, last.RetryAfter);
    }
}
