using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Portal.Diagnostics;
using Portal.Health;
using Portal.Internal;
using Portal.Providers;
using Portal.Routing;
using Portal.Selection;
using Portal.Stats;

namespace Portal.Engine;

/// <summary>
/// What every client request shares: the channels, selection, classification of failures, health and stat recording,
/// and the gateway's lifecycle (requests in flight, shutdown). One <see cref="RequestRun"/> per request uses it.
/// </summary>
/// <remarks>Thread-safe; one per gateway.</remarks>
internal sealed class RequestEngine : IDisposable
{
    private static readonly ActivitySource Activities = new(PortalTelemetry.Name);

    private readonly ChannelResolver _resolver;
    private readonly IChannelSelector _selector;
    private readonly RandomSource _random;
    private readonly HealthSynchronizer _healthSync;
    private readonly IPortalRepository _repository;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<RequestRun, byte> _openStreams = new(ReferenceEqualityComparer.Instance);
    private int _inFlight;
    private volatile bool _shuttingDown;

    public RequestEngine(
        PortalOptions options, ProviderCatalog providers, ChannelResolver resolver, IChannelSelector selector, RandomSource random,
        HealthTracker health, HealthSynchronizer healthSync, StatsRecorder stats, PortalMetrics metrics, ILogger logger)
    {
        Options = options;
        Providers = providers;
        _resolver = resolver;
        _selector = selector;
        _random = random;
        Health = health;
        _healthSync = healthSync;
        Stats = stats;
        Metrics = metrics;
        Logger = logger;
        Time = options.TimeProvider;
        _repository = options.Repository;
    }

    public PortalOptions Options { get; }

    public ProviderCatalog Providers { get; }

    public TimeProvider Time { get; }

    public HealthTracker Health { get; }

    public StatsRecorder Stats { get; }

    public PortalMetrics Metrics { get; }

    public ILogger Logger { get; }

    public CancellationToken ShutdownToken => _shutdown.Token;

    public bool ShuttingDown => _shuttingDown;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Completes when shutdown has begun and no request is in flight.</summary>
    public Task Drained => _drained.Task;

    /// <summary>Counts a request in flight, or refuses it when shutting down.</summary>
    public void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_shuttingDown)
        {
            Exit();
            throw new PortalException(PortalErrorCode.ShuttingDown, "The gateway is shutting down and accepts no new requests.");
        }
    }

    public void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _shuttingDown)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Refuses new requests from now on.</summary>
    public void BeginShutdown()
    {
        _shuttingDown = true;
        if (Volatile.Read(ref _inFlight) == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Cancels every request still running.</summary>
    public Task CancelAllAsync() => _shutdown.CancelAsync();

    public void Dispose() => _shutdown.Dispose();

    public void StreamOpened(RequestRun run) => _openStreams.TryAdd(run, 0);

    public void StreamClosed(RequestRun run) => _openStreams.TryRemove(run, out _);

    /// <summary>Writes the stats of committed streams whose callers stopped reading, so shutdown loses none.</summary>
    /// <remarks>An iterator suspended at a <c>yield</c> runs again only when its caller reads, which may be never.</remarks>
    public void RecordAbandonedStreams()
    {
        foreach (var run in _openStreams.Keys)
        {
            run.Abandon();
        }
    }

    /// <summary>The channels of <paramref name="model"/>, or the error that says why there are none.</summary>
    public async ValueTask<ResolvedChannels> ResolveAsync(string model, RequestScope scope)
    {
        if (!_healthSync.Loaded.IsCompleted)
        {
            await _healthSync.Loaded.WaitAsync(scope.Token).ConfigureAwait(false);
        }

        ResolvedChannels? channels;
        try
        {
            channels = await _resolver.ResolveAsync(model, scope.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!scope.Token.IsCancellationRequested)
        {
            Log.RepositoryReadFailed(Logger, model, ex);
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
            Log.RepositoryReadFailed(Logger, model, ex);
            return new PortalException(PortalErrorCode.NoAvailableChannel, $"The channels of model '{ClientText.Echo(model)}' could not be read from storage.", innerException: ex);
        }

        return new PortalException(PortalErrorCode.ModelNotFound,
            $"The model '{ClientText.Echo(model)}' is disabled: every model or platform serving it is turned off.");
    }

    /// <summary>Picks a usable channel not yet tried by the request; returns its index in <paramref name="channels"/>, or -1 when none is left.</summary>
    public int Select(ResolvedChannels channels, PortalRequestContext context)
    {
        var now = Time.GetUtcNow().UtcTicks;
        var length = channels.Length;
        var candidates = ArrayPool<Channel>.Shared.Rent(length);
        var routes = ArrayPool<ChannelRoute>.Shared.Rent(length);
        var indexes = ArrayPool<int>.Shared.Rent(length);
        var count = 0;
        try
        {
            for (var i = 0; i < length; i++)
            {
                var channel = channels.Channels[i];
                if (channel.IsUsable(now) && !context.Tried(channel))
                {
                    candidates[count] = channel;
                    routes[count] = channels.Routes[i];
                    indexes[count++] = i;
                }
            }

            if (count == 0)
            {
                return -1;
            }

            // Called even for one candidate: a stateful selector (LRU) must learn that this channel was used.
            var selection = new ChannelSelection(candidates.AsSpan(0, count), routes.AsSpan(0, count), context, _random);
            var chosen = _selector.Select(in selection);
            return indexes[(uint)chosen < (uint)count ? chosen : 0];
        }
        finally
        {
            candidates.AsSpan(0, count).Clear();
            routes.AsSpan(0, count).Clear();
            ArrayPool<Channel>.Shared.Return(candidates);
            ArrayPool<ChannelRoute>.Shared.Return(routes);
            ArrayPool<int>.Shared.Return(indexes);
        }
    }

    /// <summary>No channel is usable: says when one will be, and whether rate limits are the reason.</summary>
    public PortalException NoChannel(ResolvedChannels channels, string model)
    {
        var now = Time.GetUtcNow();
        DateTimeOffset? soonest = null;
        var allRateLimited = true;
        foreach (var channel in channels.Channels)
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

        var wait = Options.Backoff.CapRetryAfter(soonest is { } s && s > now ? s - now : null);
        return new PortalException(PortalErrorCode.NoAvailableChannel,
            $"No channel of model '{ClientText.Echo(model)}' is available now; all {channels.Length} are backing off after failures.",
            allRateLimited ? 429 : null, wait);
    }

    /// <summary>Decides what a failed attempt means, telling cancellations by the caller, shutdown and timeouts apart.</summary>
    /// <remarks>An upstream's requested wait is capped here, once, so health and callers see the same bounded value.</remarks>
    public FailureVerdict Judge(Exception exception, RequestScope scope, AttemptScope attempt, IProviderAdapter? adapter)
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

        var verdict = FailureClassifier.Classify(exception, adapter);
        return verdict.RetryAfter is null ? verdict : verdict with { RetryAfter = Options.Backoff.CapRetryAfter(verdict.RetryAfter) };
    }

    public static Exception ToCallerException(FailureVerdict verdict, RequestScope scope, Exception cause, bool midStream = false)
    {
        if (scope.CallerCancelled)
        {
            return cause as OperationCanceledException ?? new OperationCanceledException("The request was cancelled by the caller.", cause, scope.Caller);
        }

        var message = midStream ? "The stream failed after it started: " + verdict.Message : verdict.Message;
        return new PortalException(verdict.Code, message, verdict.StatusCode, verdict.RetryAfter, cause);
    }

    public static string Outcome(Exception exception) => exception switch
    {
        PortalException portal => portal.Code.ToString(),
        OperationCanceledException => "cancelled",
        _ => "error",
    };

    /// <summary>Starts the record of one attempt: which request, which channel, when.</summary>
    public AttemptRecord BeginAttempt(PortalRequestContext context, Channel channel, ChannelRoute route, bool stream, int number)
    {
        route.AttemptStarted();
        return new AttemptRecord(channel, route, context, stream, number, Time.GetUtcNow(), Time.GetTimestamp());
    }

    public void RecordSuccess(in AttemptRecord attempt, TimeSpan? firstByte, TokenCounts tokens)
    {
        var channel = attempt.Channel;
        var duration = Time.GetElapsedTime(attempt.Start);
        var now = Time.GetUtcNow();
        attempt.Route.AttemptEnded();
        attempt.Route.ObserveLatency(firstByte ?? duration);
        channel.PlatformHealth.RecordSuccess(now);
        channel.ModelHealth.RecordSuccess(now);
        channel.KeyHealth.RecordSuccess(now);
        Stats.Record(Stat(attempt, duration, firstByte, error: null, statusCode: StatusOk, tokens));
        Metrics.Attempt("success", channel.Platform.Id);
        Metrics.Tokens(tokens.Prompt, tokens.Completion, attempt.Model);
        Log.AttemptSucceeded(Logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, duration.TotalMilliseconds);
    }

    /// <summary>Records a failed attempt: health of the blamed resource, the stat row, metrics and the log line.</summary>
    /// <param name="attempt">The attempt.</param>
    /// <param name="firstByte">Time to the first stream event, when the stream had started.</param>
    /// <param name="verdict">What the failure means.</param>
    /// <param name="attemptActivity">The attempt's span.</param>
    /// <param name="committed">Whether the upstream had answered 200 and the response to the caller had started.</param>
    public void RecordFailure(in AttemptRecord attempt, TimeSpan? firstByte, FailureVerdict verdict, Activity? attemptActivity, bool committed = false)
    {
        var channel = attempt.Channel;
        var now = Time.GetUtcNow();
        attempt.Route.AttemptEnded();
        var blamed = verdict.Blame switch
        {
            Blame.Platform => channel.PlatformHealth,
            Blame.ApiKey => channel.KeyHealth,
            Blame.Model => channel.ModelHealth,
            _ => null,
        };
        var backoff = blamed?.RecordFailure(now, verdict.Message, verdict.StatusCode, verdict.RetryAfter, Health.BackoffOptions);

        // A committed attempt failed after the upstream answered 200 (the caller got 200 too): the row says so.
        var statusCode = committed ? verdict.StatusCode ?? StatusOk : verdict.StatusCode;
        Stats.Record(Stat(attempt, Time.GetElapsedTime(attempt.Start), firstByte, verdict.Message, statusCode, default));
        var failureClass = verdict.Blame switch
        {
            Blame.Platform => "platform",
            Blame.ApiKey => "api_key",
            Blame.Model => "model",
            _ => verdict.Cancelled ? "cancelled" : "none",
        };
        Metrics.Attempt("failure", channel.Platform.Id);
        Metrics.Failure(failureClass);
        attemptActivity?.SetStatus(ActivityStatusCode.Error, failureClass);
        if (verdict.Fault is { } fault)
        {
            Log.AttemptFaulted(Logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, fault);
        }
        else if (verdict.Cancelled)
        {
            Log.AttemptCancelled(Logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, verdict.Message);
        }
        else
        {
            Log.AttemptFailed(Logger, attempt.Number, attempt.Model, channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, verdict.Summary, failureClass, backoff, verdict.Message);
        }
    }

    private const int StatusOk = 200;

    /// <summary>The stat of one attempt; a null <paramref name="error"/> means it succeeded.</summary>
    private static RequestStat Stat(in AttemptRecord attempt, TimeSpan duration, TimeSpan? firstByte, string? error, int? statusCode, TokenCounts tokens) => new()
    {
        Id = TimeOrderedId.New(attempt.Timestamp),
        Timestamp = attempt.Timestamp,
        RequestId = attempt.Context.RequestId,
        Attempt = attempt.Number,
        Protocol = attempt.Context.Protocol,
        Caller = attempt.Context.Caller,
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
        PromptTokens = tokens.Prompt,
        CompletionTokens = tokens.Completion,
        CachedInputTokens = tokens.CachedInput,
        CacheWriteTokens = tokens.CacheWrite,
        TargetFormat = attempt.Channel.Platform.Format,
    };

    public static Activity? StartActivity(string model, bool stream)
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

    public static Activity? StartAttemptActivity(Channel channel, int attempt)
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
}

/// <summary>One attempt of a request, as its stat row and log lines describe it.</summary>
/// <param name="Channel">The channel tried.</param>
/// <param name="Route">The channel's routing state (in-flight count, latency).</param>
/// <param name="Context">The request.</param>
/// <param name="Stream">Whether the request is a stream.</param>
/// <param name="Number">The attempt's number, from 1.</param>
/// <param name="Timestamp">When it started.</param>
/// <param name="Start">When it started, as a <see cref="TimeProvider"/> timestamp for durations.</param>
internal readonly record struct AttemptRecord(Channel Channel, ChannelRoute Route, PortalRequestContext Context, bool Stream, int Number, DateTimeOffset Timestamp, long Start)
{
    /// <summary>The model name the client asked for.</summary>
    public string Model => Context.Model;
}
