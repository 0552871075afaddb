using System.Diagnostics;
using System.Text.Json;
using Portal.Contracts;
using Portal.Health;
using Portal.Internal;
using Portal.Providers.OpenAI;
using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal;

/// <content>The relay path: a request kept as bytes, answered as bytes.</content>
public sealed partial class PortalGateway
{
    /// <summary>
    /// Serves a chat completion request given as the client's JSON bytes, writing the response (JSON or server-sent
    /// events) to <paramref name="writer"/>, with the same routing, failover, health and stats as
    /// <see cref="ChatCompletionAsync"/>.
    /// </summary>
    /// <remarks>
    /// When the chosen platform speaks OpenAI, the body is forwarded with only <c>model</c> rewritten (and, for a
    /// stream, <c>stream_options.include_usage</c> turned on when <see cref="PortalOptions.RequestStreamUsage"/> is set,
    /// so stats get tokens; the usage chunk is then not relayed to a client that did not ask for it), and the upstream's
    /// JSON is relayed without being re-serialized. Other formats go through their adapter. Failover happens until the
    /// writer is started: for a stream, until the first event arrived.
    /// </remarks>
    /// <param name="request">The request, from <see cref="ChatRelayRequest.Parse"/>.</param>
    /// <param name="writer">Receives the response once an attempt succeeded.</param>
    /// <param name="cancellationToken">Cancels the request (the client left): the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>What served the request, once the whole response has been written.</returns>
    /// <exception cref="PortalException">
    /// The request could not be served. When the writer was already started (a stream that broke midway), the caller
    /// should end the response with an error event instead of a status.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the writer failed (the client is gone).</exception>
    public async Task<ChatRelayResult> RelayChatCompletionAsync(ChatRelayRequest request, IChatRelayWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writer);
        Enter();
        var model = request.Model;
        var stream = request.Stream;
        var started = _time.GetTimestamp();
        var outcome = "success";
        using var activity = StartActivity(model, stream);
        using var scope = new RequestScope(request.RequestId, _options.RequestTimeout, _time, cancellationToken, _shutdown.Token);
        try
        {
            var channels = await ResolveChannelsAsync(model, scope).ConfigureAwait(false);

            // When any channel would need the body typed, it is deserialized now: a body its adapter cannot take is the
            // client's 400 before the first attempt, never a failure of some attempt (or a failover) halfway through.
            foreach (var candidate in channels)
            {
                if (!IsByteRelay(candidate))
                {
                    Typed(request);
                    break;
                }
            }

            var attempts = new Attempts(_options.MaxAttempts);
            while (attempts.Count < _options.MaxAttempts)
            {
                var channel = Select(channels, attempts) ?? throw attempts.Exhausted(this, channels, model);
                var relay = CreateRelayAttempt(channel, request);
                attempts.Add(channel);
                request.AttemptStarted(channel, attempts.Count);
                using var attempt = scope.StartAttempt(_options.AttemptTimeout);
                using var attemptActivity = StartAttemptActivity(channel, attempts.Count);
                var record = BeginAttempt(scope, channel, model, stream, attempts.Count);
                await using (relay.ConfigureAwait(false))
                {
                    try
                    {
                        await relay.OpenAsync(attempt.Token).ConfigureAwait(false);
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

                        continue;
                    }

                    // Committed: from here on a failure ends the response instead of failing over.
                    attempt.Commit();
                    TimeSpan? firstByte = null;
                    if (stream)
                    {
                        firstByte = _time.GetElapsedTime(record.Start);
                        _metrics.FirstToken(_time.GetElapsedTime(started), model);
                    }

                    try
                    {
                        var guarded = new GuardedRelayWriter(writer);
                        await guarded.StartAsync(stream, attempt.Token).ConfigureAwait(false);
                        await relay.PumpAsync(guarded, attempt.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        var verdict = ex is RelayClientGoneException
                            ? FailureVerdict.Cancellation(PortalErrorCode.InvalidRequest, "The client stopped receiving the response.")
                            : Judge(ex, scope, attempt) with { Retryable = false };
                        RecordFailure(record, firstByte, verdict, attemptActivity, committed: true);
                        if (ex is RelayClientGoneException)
                        {
                            throw new OperationCanceledException("The client stopped receiving the response.", ex.InnerException);
                        }

                        throw ToCallerException(verdict, scope, ex, midStream: stream);
                    }

                    RecordSuccess(record, firstByte, relay.PromptTokens, relay.CompletionTokens);
                    var result = new ChatRelayResult(channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, attempts.Count, relay.PromptTokens, relay.CompletionTokens);
                    request.Served(result);
                    return result;
                }
            }

            throw attempts.Exhausted(this, channels, model);
        }
        catch (Exception ex)
        {
            outcome = Outcome(ex);
            activity?.SetStatus(ActivityStatusCode.Error, outcome);
            throw;
        }
        finally
        {
            _metrics.Request(outcome, stream, model, _time.GetElapsedTime(started));
            Exit();
        }
    }

    /// <summary>The attempt for a channel: raw bytes for OpenAI platforms, the adapter's typed API for the rest.</summary>
    private RelayAttempt CreateRelayAttempt(Channel channel, ChatRelayRequest request)
    {
        var adapter = _adapters[channel.Platform.Format];
        return adapter is OpenAIAdapter openAI
            ? new OpenAIRelayAttempt(openAI, channel, request)
            : new TypedRelayAttempt(adapter, channel, Typed(request), request.Stream, request.IncludeUsage);
    }

    /// <summary>Whether a channel's platform takes the client's bytes as they are (no typed request needed).</summary>
    private bool IsByteRelay(Channel channel) => _adapters[channel.Platform.Format] is OpenAIAdapter;

    /// <summary>The request deserialized, for adapters that need it; once per request.</summary>
    private static ChatCompletionRequest Typed(ChatRelayRequest request)
    {
        if (request.TypedRequest is { } typed)
        {
            return typed;
        }

        try
        {
            typed = JsonSerializer.Deserialize(request.Body.Span, PortalJsonContext.Default.ChatCompletionRequest)
                ?? throw new PortalException(PortalErrorCode.InvalidRequest, "The request body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new PortalException(PortalErrorCode.InvalidRequest,
                $"The request body is not a valid chat completion request{(ex.Path is { Length: > 1 } path ? $" (at {path})" : "")}.", innerException: ex);
        }

        request.TypedRequest = typed;
        return typed;
    }
}
