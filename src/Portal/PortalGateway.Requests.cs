using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Portal.Contracts;
using Portal.Diagnostics;
using Portal.Health;
using Portal.Internal;
using Portal.Relay.Internal;

namespace Portal;

/// <content>The request path: resolve, select, attempt, fail over, record.</content>
public sealed partial class PortalGateway
{
    private static readonly ActivitySource Activities = new(PortalTelemetry.Name);

    /// <summary>Sends a chat completion request, failing over between channels until one answers.</summary>
    /// <param name="request">The request; its <c>model</c> is a model name or alias. It is not modified.</param>
    /// <param name="cancellationToken">Cancels the request; the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>The upstream's response.</returns>
    /// <exception cref="PortalException">The request could not be served; <see cref="PortalException.Code"/> says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ChatCompletionResponse> ChatCompletionAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default)
    {
        Validate(request);
        Enter();
        var started = _time.GetTimestamp();
        var outcome = "success";
        using var activity = StartActivity(request.Model, stream: false);
        using var scope = new RequestScope(RequestScope.NewRequestId(), _options.RequestTimeout, _time, cancellationToken, _shutdown.Token);
        try
        {
            var channels = await ResolveChannelsAsync(request.Model, scope).ConfigureAwait(false);
            var attempts = new Attempts(_options.MaxAttempts);
            while (attempts.Count < _options.MaxAttempts)
            {
                var channel = Select(channels, attempts) ?? throw attempts.Exhausted(this, channels, request.Model);
                attempts.Add(channel);
                using var attempt = scope.StartAttempt(_options.AttemptTimeout);
                using var attemptActivity = StartAttemptActivity(channel, attempts.Count);
                var record = BeginAttempt(scope, channel, request.Model, stream: false, attempts.Count);
                try
                {
                    var adapter = _adapters[channel.Platform.Format];
                    var response = await adapter.ChatCompletionAsync(channel, request, attempt.Token).ConfigureAwait(false);
                    var usage = response.Usage;
                    RecordSuccess(record, firstByte: null, usage?.PromptTokens, usage?.CompletionTokens);
                    return response;
                }
                catch (Exception ex)
                {
                    var verdict = Judge(ex, scope, attempt);
                    RecordFailure(record, firstByte: null, verdict, attemptActivity);
                    attempts.Failed(verdict);
                    if (!verdict.Retryable)
                    {
                        throw ToCallerException(verdict, scope, ex);
                    }
                }
            }

            throw attempts.Exhausted(this, channels, request.Model);
        }
        catch (Exception ex)
        {
            outcome = Outcome(ex);
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            _metrics.Request(outcome, stream: false, request.Model, _time.GetElapsedTime(started));
            Exit();
        }
    }

    /// <summary>Sends a streaming chat completion request and yields chunks as the upstream produces them.</summary>
    /// <param name="request">The request; its <c>model</c> is a model name or alias. It is not modified.</param>
    /// <param name="cancellationToken">Cancels the stream; the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>
    /// The chunks. Failover happens only before the first chunk is yielded; a failure after that ends the enumeration
    /// with a <see cref="PortalException"/>.
    /// </returns>
    /// <exception cref="PortalException">The request could not be served or the stream broke; thrown during enumeration.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(request);
        Enter();
        var started = _time.GetTimestamp();
        string? outcome = null;
        var activity = StartActivity(request.Model, stream: true);
        var scope = new RequestScope(RequestScope.NewRequestId(), _options.RequestTimeout, _time, cancellationToken, _shutdown.Token);
        IAsyncEnumerator<ChatCompletionChunk>? upstream = null;
        AttemptScope? attempt = null;
        Activity? attemptActivity = null;
        AttemptRecord record = default;
        OpenStream? open = null;
        var attempts = new Attempts(_options.MaxAttempts);
        try
        {
            Channel[] channels;
            try
            {
                channels = await ResolveChannelsAsync(request.Model, scope).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                throw Fail(ex);
            }

            var hasFirst = false;
            while (upstream is null)
            {
                if (attempts.Count >= _options.MaxAttempts)
                {
                    throw Fail(attempts.Exhausted(this, channels, request.Model));
                }

                var channel = Select(channels, attempts) ?? throw Fail(attempts.Exhausted(this, channels, request.Model));
                attempts.Add(channel);
                attempt = scope.StartAttempt(_options.AttemptTimeout);
                attemptActivity = StartAttemptActivity(channel, attempts.Count);
                record = BeginAttempt(scope, channel, request.Model, stream: true, attempts.Count);
                try
                {
                    upstream = _adapters[channel.Platform.Format].StreamChatCompletionAsync(channel, request, attempt.Token).GetAsyncEnumerator(attempt.Token);
                    hasFirst = await upstream.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    if (upstream is not null)
                    {
                        await DisposeQuietlyAsync(upstream).ConfigureAwait(false);
                        upstream = null;
                    }

                    var verdict = Judge(ex, scope, attempt);
                    RecordFailure(record, firstByte: null, verdict, attemptActivity);
                    attempts.Failed(verdict);
                    attempt.Dispose();
                    attemptActivity?.Dispose();
                    if (!verdict.Retryable)
                    {
                        throw Fail(ToCallerException(verdict, scope, ex));
                    }
                }
            }

            // Committed: from here on a failure ends the stream instead of failing over.
            attempt!.Commit();
            var firstByte = _time.GetElapsedTime(record.Start);
            _metrics.FirstToken(_time.GetElapsedTime(started), request.Model);
            open = new OpenStream(record, firstByte);
            _openStreams.TryAdd(open, 0);
            int? promptTokens = null, completionTokens = null;
            var callerWantsUsage = request.StreamOptions?.IncludeUsage == true;
            var more = hasFirst;
            while (more)
            {
                var chunk = upstream.Current;
                if (chunk.Usage is { } usage)
                {
                    promptTokens = usage.PromptTokens;
                    completionTokens = usage.CompletionTokens;
                }

                // A usage-only chunk the adapter asked for on the gateway's behalf is for stats, not for the caller.
                if (RelayAttempt.ForCaller(chunk.Choices.Count, chunk.Usage is not null, callerWantsUsage))
                {
                    yield return chunk;
                }

                try
                {
                    more = await upstream.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    var verdict = Judge(ex, scope, attempt) with { Retryable = false };
                    if (open.TryClaim())
                    {
                        RecordFailure(record, firstByte, verdict, attemptActivity, committed: true);
                    }

                    throw Fail(ToCallerException(verdict, scope, ex, midStream: true));
                }
            }

            if (open.TryClaim())
            {
                RecordSuccess(record, firstByte, promptTokens, completionTokens);
            }

            outcome = "success";
        }
        finally
        {
            // Before the commit every attempt records its own outcome; after it, a still unclaimed stream means the
            // caller stopped enumerating before the end: a cancellation, blamed on nobody.
            if (open is not null)
            {
                if (open.TryClaim())
                {
                    var verdict = FailureVerdict.Cancellation(PortalErrorCode.InvalidRequest, "Cancelled by the caller before the stream ended.");
                    RecordFailure(record, open.FirstByte, verdict, attemptActivity, committed: true);
                    outcome = "cancelled";
                }

                _openStreams.TryRemove(open, out _);
            }

            activity?.SetStatus(outcome == "success" ? ActivityStatusCode.Ok : ActivityStatusCode.Error, outcome);

            if (upstream is not null)
            {
                await DisposeQuietlyAsync(upstream).ConfigureAwait(false);
            }

            attempt?.Dispose();
            attemptActivity?.Dispose();
            scope.Dispose();
            activity?.Dispose();
            _metrics.Request(outcome ?? "error", stream: true, request.Model, _time.GetElapsedTime(started));
            Exit();
        }

        Exception Fail(Exception exception)
        {
            outcome = Outcome(exception);
            return exception;
        }
    }

    private static void Validate(ChatCompletionRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.Model))
        {
            throw new PortalException(PortalErrorCode.InvalidRequest, "The request has no model: set 'model' to a model name or alias.");
        }

        if (request.Messages is null || request.Messages.Count == 0)
        {
            throw new PortalException(PortalErrorCode.InvalidRequest, "The request has no messages: 'messages' must contain at least one message.");
        }
    }

    private async ValueTask<Channel[]> ResolveChannelsAsync(string model, RequestScope scope)
    {
        if (!_healthSync.Loaded.IsCompleted)
        {
            await _healthSync.Loaded.WaitAsync(scope.Token).ConfigureAwait(false);
        }

        Channel[]? channels;
        try
        {
            channels = await _resolver.ResolveAsync(model, scope.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!scope.Token.IsCancellationRequested)
        {
            Log.RepositoryReadFailed(_logger, model, ex);
            throw new PortalException(PortalErrorCode.NoAvailableChannel, $"The channels of model '{ClientText.Echo(model)}' could not be read from storage.", innerException: ex);
        }

        if (channels is null)
        {
            throw new PortalException(PortalErrorCode.ModelNotFound, $"The model '{ClientText.Echo(model)}' does not exist.");
        }

        return channels.Length > 0 ? channels : throw await WhyNoChannelAsync(model, scope).ConfigureAwait(false);
    }

    /// <summary>Why a model that exists has no channel: turned off (404, as for a client it does not exist), or no key/adapter (503).</summary>
    private async ValueTask<PortalException> WhyNoChannelAsync(string model, RequestScope scope)
    {
        try
        {
            foreach (var candidate in await _repository.FindModelsByNameAsync(model, scope.Token).ConfigureAwait(false))
            {
                if (candidate.Enabled && await _repository.GetPlatformAsync(candidate.PlatformId, scope.Token).ConfigureAwait(false) is { Enabled: true })
                {
                    return new PortalException(PortalErrorCode.NoAvailableChannel,
                        $"The model '{ClientText.Echo(model)}' has no enabled channel (no enabled key on a platform that serves it, or no adapter for the platform's format).");
                }
            }
        }
        catch (Exception ex) when (!scope.Token.IsCancellationRequested)
        {
            Log.RepositoryReadFailed(_logger, model, ex);
            return new PortalException(PortalErrorCode.NoAvailableChannel, $"The channels of model '{ClientText.Echo(model)}' could not be read from storage.", innerException: ex);
        }

        return new PortalException(PortalErrorCode.ModelNotFound,
            $"The model '{ClientText.Echo(model)}' is disabled: every model or platform serving it is turned off.");
    }

    /// <summary>Picks a usable channel not yet tried by this request, or null when none is left.</summary>
    private Channel? Select(Channel[] channels, Attempts attempts)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var candidates = ArrayPool<Channel>.Shared.Rent(channels.Length);
        var count = 0;
        try
        {
            foreach (var channel in channels)
            {
                if (channel.IsUsable(now) && !attempts.Tried(channel))
                {
                    candidates[count++] = channel;
                }
            }

            if (count == 0)
            {
                return null;
            }

            // Called even for one candidate: a stateful selector (LRU) must learn that this channel was used.
            var index = _selector.Select(candidates.AsSpan(0, count));
            return candidates[(uint)index < (uint)count ? index : 0];
        }
        finally
        {
            candidates.AsSpan(0, count).Clear();
            ArrayPool<Channel>.Shared.Return(candidates);
        }
    }

    /// <summary>Decides what a failed attempt means, telling cancellations by the caller, shutdown and timeouts apart.</summary>
    /// <remarks>An upstream's requested wait is capped here, once, so health and callers see the same bounded value.</remarks>
    private FailureVerdict Judge(Exception exception, RequestScope scope, AttemptScope attempt)
    {
        if (scope.CallerCancelled)
        {
            return FailureVerdict.Cancellation(PortalErrorCode.InvalidRequest, "Cancelled by the caller.");
        }

        if (scope.ShutdownCancelled)
        {
            return FailureVerdict.Cancellation(PortalErrorCode.ShuttingDown, "Cancelled because the gateway shut down.");
        }

        if (scope.DeadlinePassed)
        {
            return new FailureVerdict(Blame.Platform, false, PortalErrorCode.Timeout, null, null, "The request deadline passed while waiting for the upstream.", What: "request deadline passed");
        }

        if (attempt.TimedOut)
        {
            return new FailureVerdict(Blame.Platform, true, PortalErrorCode.Timeout, null, null, "Upstream did not answer within the attempt timeout.", What: "attempt timeout");
        }

        var verdict = FailureClassifier.Classify(exception);
        return verdict.RetryAfter is null ? verdict : verdict with { RetryAfter = _options.Backoff.CapRetryAfter(verdict.RetryAfter) };
    }

    private static Exception ToCallerException(FailureVerdict verdict, RequestScope scope, Exception cause, bool midStream = false)
    {
        if (scope.CallerCancelled)
        {
            return cause as OperationCanceledException ?? new OperationCanceledException("The request was cancelled by the caller.", cause, scope.Caller);
        }

        var message = midStream ? "The stream failed after it started: " + verdict.Message : verdict.Message;
        return new PortalException(verdict.Code, message, verdict.StatusCode, verdict.RetryAfter, cause);
    }

    private static string Outcome(Exception exception) => exception switch
    {
        PortalException portal => portal.Code.ToString(),
        OperationCanceledException => "cancelled",
        _ => "error",
    };

    /// <summary>Starts the record of one attempt: which request, which channel, when.</summary>
    private AttemptRecord BeginAttempt(RequestScope scope, Channel channel, string model, bool stream, int number) =>
        new(channel, scope.RequestId, model, stream, number, _time.GetUtcNow(), _time.GetTimestamp());

    private void RecordSuccess(in AttemptRecord attempt, TimeSpan? firstByte, int? promptTokens, int? completionTokens)
    {
        var channel = attempt.Channel;
        var duration = _time.GetElapsedTime(attempt.Start);
        var now = _time.GetUtcNow();
        channel.PlatformHealth.RecordSuccess(now);
        channel.ModelHealth.RecordSuccess(now);
        channel.KeyHealth.RecordSuccess(now);
        _stats.Record(Stat(attempt, duration, firstByte, error: null, statusCode: 200, promptTokens, completionTokens));
        _metrics.Attempt("success", channel.Platform.Id);
        _metrics.Tokens(promptTokens, completionTokens, attempt.Model);
        Log.AttemptSucceeded(_logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, duration.TotalMilliseconds);
    }

    /// <summary>Records a failed attempt: health of the blamed resource, the stat row, metrics and the log line.</summary>
    /// <param name="attempt">The attempt.</param>
    /// <param name="firstByte">Time to the first stream event, when the stream had started.</param>
    /// <param name="verdict">What the failure means.</param>
    /// <param name="attemptActivity">The attempt's span.</param>
    /// <param name="committed">Whether the upstream had answered 200 and the response to the caller had started.</param>
    private void RecordFailure(in AttemptRecord attempt, TimeSpan? firstByte, FailureVerdict verdict, Activity? attemptActivity, bool committed = false)
    {
        var channel = attempt.Channel;
        var now = _time.GetUtcNow();
        var blamed = verdict.Blame switch
        {
            Blame.Platform => channel.PlatformHealth,
            Blame.ApiKey => channel.KeyHealth,
            Blame.Model => channel.ModelHealth,
            _ => null,
        };
        var backoff = blamed?.RecordFailure(now, verdict.Message, verdict.StatusCode, verdict.RetryAfter, _health.BackoffOptions);

        // A committed attempt failed after the upstream answered 200 (the caller got 200 too): the row says so.
        var statusCode = committed ? verdict.StatusCode ?? StatusOk : verdict.StatusCode;
        _stats.Record(Stat(attempt, _time.GetElapsedTime(attempt.Start), firstByte, verdict.Message, statusCode, null, null));
        var failureClass = verdict.Blame switch
        {
            Blame.Platform => "platform",
            Blame.ApiKey => "api_key",
            Blame.Model => "model",
            _ => verdict.Cancelled ? "cancelled" : "none",
        };
        _metrics.Attempt("failure", channel.Platform.Id);
        _metrics.Failure(failureClass);
        attemptActivity?.SetStatus(ActivityStatusCode.Error, failureClass);
        if (verdict.Fault is { } fault)
        {
            Log.AttemptFaulted(_logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, fault);
        }
        else if (verdict.Cancelled)
        {
            Log.AttemptCancelled(_logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, verdict.Message);
        }
        else
        {
            Log.AttemptFailed(_logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, verdict.Summary, failureClass, backoff, verdict.Message);
        }
    }

    private const int StatusOk = 200;

    /// <summary>The stat of one attempt; a null <paramref name="error"/> means it succeeded.</summary>
    private static RequestStat Stat(in AttemptRecord attempt, TimeSpan duration, TimeSpan? firstByte, string? error, int? statusCode, int? promptTokens, int? completionTokens) => new()
    {
        Id = Guid.CreateVersion7(attempt.Timestamp).ToString("N"),
        Timestamp = attempt.Timestamp,
        RequestId = attempt.RequestId,
        Attempt = attempt.Number,
        IsStream = attempt.Stream,
        ModelName = attempt.Model,
        PlatformId = attempt.Channel.Platform.Id,
        ApiKeyId = attempt.Channel.ApiKey.Id,
        ModelId = attempt.Channel.Model.Id,
        Duration = duration,
        FirstByteTime = firstByte,
        Success = error is null,
        ErrorMessage = error,
        StatusCode = statusCode,
        PromptTokens = promptTokens,
        CompletionTokens = completionTokens,
    };

    private static Activity? StartActivity(string model, bool stream)
    {
        if (!Activities.HasListeners())
        {
            return null;
        }

        var activity = Activities.StartActivity("chat " + model, ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.request.model", model);
        activity?.SetTag("portal.stream", stream);
        return activity;
    }

    private static Activity? StartAttemptActivity(Channel channel, int attempt)
    {
        if (!Activities.HasListeners())
        {
            return null;
        }

        var activity = Activities.StartActivity("attempt", ActivityKind.Client);
        activity?.SetTag("portal.attempt", attempt);
        activity?.SetTag("portal.platform.id", channel.Platform.Id);
        activity?.SetTag("portal.model.id", channel.Model.Id);
        activity?.SetTag("portal.api_key.id", channel.ApiKey.Id);
        activity?.SetTag("gen_ai.provider.name", channel.Platform.Format);
        return activity;
    }

    private static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<ChatCompletionChunk> enumerator)
    {
        try
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The attempt's outcome is already decided; a failing cleanup must not replace it.
        }
    }

    /// <summary>Writes the stats of committed streams whose callers stopped reading, so shutdown loses none.</summary>
    /// <remarks>An iterator suspended at a <c>yield</c> runs again only when its caller reads, which may be never.</remarks>
    private void RecordAbandonedStreams()
    {
        foreach (var open in _openStreams.Keys)
        {
            if (open.TryClaim())
            {
                var verdict = FailureVerdict.Cancellation(PortalErrorCode.ShuttingDown, "Cancelled because the gateway shut down while the caller was not reading the stream.");
                RecordFailure(open.Attempt, open.FirstByte, verdict, attemptActivity: null, committed: true);
            }
        }
    }

    /// <summary>A committed stream attempt whose stat is written exactly once, by whoever ends it first.</summary>
    private sealed class OpenStream(AttemptRecord attempt, TimeSpan firstByte)
    {
        private int _claimed;

        public AttemptRecord Attempt => attempt;

        public TimeSpan FirstByte => firstByte;

        public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;
    }

    /// <summary>One attempt of a request, as its stat row and log lines describe it.</summary>
    /// <param name="Channel">The channel tried.</param>
    /// <param name="RequestId">The client request's id, shared by its attempts.</param>
    /// <param name="Model">The model name the client asked for.</param>
    /// <param name="Stream">Whether the request is a stream.</param>
    /// <param name="Number">The attempt's number, from 1.</param>
    /// <param name="Timestamp">When it started.</param>
    /// <param name="Start">When it started, as a <see cref="TimeProvider"/> timestamp for durations.</param>
    private readonly record struct AttemptRecord(Channel Channel, string RequestId, string Model, bool Stream, int Number, DateTimeOffset Timestamp, long Start);

    /// <summary>The channels one request has tried and how their attempts failed.</summary>
    private sealed class Attempts
    {
        private readonly Channel[] _tried;
        private int _rateLimited;
        private TimeSpan? _shortestRetryAfter;
        private FailureVerdict? _last;

        public Attempts(int max) => _tried = new Channel[max];

        public int Count { get; private set; }

        public void Add(Channel channel) => _tried[Count++] = channel;

        public bool Tried(Channel channel)
        {
            for (var i = 0; i < Count; i++)
            {
                if (ReferenceEquals(_tried[i], channel))
                {
                    return true;
                }
            }

            return false;
        }

        public void Failed(FailureVerdict verdict)
        {
            _last = verdict;
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
        public PortalException Exhausted(PortalGateway gateway, Channel[] channels, string model)
        {
            if (_last is not { } last)
            {
                return gateway.NoChannel(channels, model);
            }

            if (_rateLimited == Count)
            {
                return new PortalException(PortalErrorCode.UpstreamFailed,
                    $"Every channel tried for model '{ClientText.Echo(model)}' is rate limited upstream ({Count} attempt(s)): {last.Message}",
                    429, _shortestRetryAfter);
            }

            // Only retryable verdicts get here, so the code is UpstreamFailed, or Timeout when the last attempt timed out.
            return new PortalException(last.Code,
                $"All {Count} attempt(s) for model '{ClientText.Echo(model)}' failed; last error: {last.Message}",
                last.StatusCode, last.RetryAfter);
        }
    }

    /// <summary>No channel is usable: says when one will be, and whether rate limits are the reason.</summary>
    private PortalException NoChannel(Channel[] channels, string model)
    {
        var now = _time.GetUtcNow();
        DateTimeOffset? soonest = null;
        var allRateLimited = true;
        foreach (var channel in channels)
        {
            foreach (var entry in (ReadOnlySpan<HealthEntry>)[channel.PlatformHealth, channel.ModelHealth, channel.KeyHealth])
            {
                if (entry.IsUsable(now.UtcTicks))
                {
                    continue;
                }

                var state = entry.Snapshot();
                allRateLimited &= entry.Kind == ResourceKind.ApiKey && state.LastErrorCode == 429;
                if (state.NextAvailableAt is { } next && (soonest is null || next < soonest))
                {
                    soonest = next;
                }
            }
        }

        var wait = _options.Backoff.CapRetryAfter(soonest is { } s && s > now ? s - now : null);
        return new PortalException(PortalErrorCode.NoAvailableChannel,
            $"No channel of model '{ClientText.Echo(model)}' is available now; all {channels.Length} are backing off after failures.",
            allRateLimited ? 429 : null, wait);
    }
}
