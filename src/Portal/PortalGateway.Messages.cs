using Portal.Engine;
using Portal.Internal;
using Portal.Providers;
using Portal.Providers.Anthropic;
using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal;

/// <content>The Anthropic Messages entry point: a Messages request kept as bytes, answered in Anthropic's shape.</content>
public sealed partial class PortalGateway
{
    /// <summary>
    /// Serves an Anthropic Messages request given as the client's JSON bytes, writing the response (a message, or
    /// server-sent events) to <paramref name="writer"/>, with the same routing, failover, health and stats as every other
    /// entry point.
    /// </summary>
    /// <remarks>
    /// When the chosen platform speaks <c>anthropic</c>, the body is forwarded with only <c>model</c> rewritten, with the
    /// client's <c>anthropic-version</c> and <c>anthropic-beta</c> headers, and the upstream's events are relayed as
    /// they come. Any other platform gets the request converted to its format and its answer converted back to
    /// Anthropic's shape; what the platform cannot express is dropped (see the README's conversion rules). Failover
    /// happens until the writer is started: for a stream, until the first event arrived; a request may fail over from
    /// one format to another.
    /// </remarks>
    /// <param name="request">The request, from <see cref="MessagesRelayRequest.Parse"/>.</param>
    /// <param name="writer">Receives the response once an attempt succeeded.</param>
    /// <param name="context">Who asks, and how (one context per request); its <see cref="PortalRequestContext.RequestId"/> is the one recorded.</param>
    /// <param name="cancellationToken">Cancels the request (the client left): the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>What served the request, once the whole response has been written.</returns>
    /// <exception cref="PortalException">
    /// The request could not be served. When the writer was already started (a stream that broke midway), the caller
    /// should end the response with an <c>error</c> event instead of a status.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the writer failed (the client is gone).</exception>
    public async Task<ChatRelayResult> RelayMessagesAsync(MessagesRelayRequest request, IFramedRelayWriter writer, PortalRequestContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(context);
        using var run = RequestRun.Start(_engine, context, request.Model, request.Stream, cancellationToken);
        var attempt = await run.OpenAsync<MessagesOpener, MessagesAttempt>(new MessagesOpener(request, _engine.Providers)).ConfigureAwait(false);
        await using (attempt.ConfigureAwait(false))
        {
            try
            {
                var guarded = new GuardedFramedWriter(writer);
                await guarded.StartAsync(request.Stream, run.Token).ConfigureAwait(false);
                await attempt.PumpAsync(guarded, run.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                throw run.Failed(ex);
            }

            run.Succeeded(attempt.Tokens);
            var channel = run.Channel;
            var result = new ChatRelayResult(channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, run.Attempt, attempt.Tokens.Prompt, attempt.Tokens.Completion);
            request.Served(result);
            return result;
        }
    }

    /// <summary>Counts the input tokens of an Anthropic Messages request (<c>POST /v1/messages/count_tokens</c>) for the model it names.</summary>
    /// <remarks>
    /// When the model has a usable channel on an <c>anthropic</c> platform, the upstream counts
    /// (<c>/v1/messages/count_tokens</c>) and the count is exact; otherwise, or when that call fails, Portal estimates it
    /// locally (<see cref="MessageTokenCount.Exact"/> is then <see langword="false"/>): text, tool definitions and calls
    /// tokenized with o200k_base, images by Anthropic's size formula. Counting records no stat row and blames no channel:
    /// it is free upstream and answers a question about the request, not a generation.
    /// </remarks>
    /// <param name="request">The request, from <see cref="MessagesRelayRequest.ParseTokenCount"/>.</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    /// <returns>The count, and whether the platform made it.</returns>
    /// <exception cref="PortalException">
    /// The model is unknown or has no channel (<see cref="PortalErrorCode.ModelNotFound"/>,
    /// <see cref="PortalErrorCode.NoAvailableChannel"/>), or the platform rejected the request as invalid
    /// (<see cref="PortalErrorCode.InvalidRequest"/>, with its message).
    /// </exception>
    public async Task<MessageTokenCount> CountMessageTokensAsync(MessagesRelayRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var scope = new RequestScope(request.RequestId, _engine.Options.RequestTimeout, _engine.Time, cancellationToken, _engine.ShutdownToken);
        var channels = await _engine.ResolveAsync(request.Model, scope).ConfigureAwait(false);
        var now = _engine.Time.GetUtcNow().UtcTicks;
        var tries = 0;
        foreach (var channel in channels.Channels)
        {
            if (tries == MaxCountAttempts || !channel.IsUsable(now) || _engine.Providers.Get(channel.Platform.Format) is not AnthropicAdapter anthropic)
            {
                continue;
            }

            tries++;
            try
            {
                return new MessageTokenCount(await anthropic.CountTokensAsync(channel, request, scope.Token).ConfigureAwait(false), Exact: true);
            }
            catch (UpstreamException ex) when (ex.StatusCode is 400 or 413 or 422 && !AnthropicErrors.IsBilling(ex))
            {
                throw new PortalException(PortalErrorCode.InvalidRequest, ex.Message, ex.StatusCode, innerException: ex);
            }
            catch (Exception ex) when (ex is UpstreamException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Counting is advisory: a platform that cannot count now leaves the estimate.
            }
        }

        return new MessageTokenCount(Tokens.TokenEstimator.EstimateAnthropicRequest(request.Body.Span), Exact: false);
    }

    /// <summary>How many Anthropic channels a token count asks before it estimates.</summary>
    private const int MaxCountAttempts = 2;

    /// <summary>A Messages attempt: the client's bytes for Anthropic platforms, a conversion for the rest.</summary>
    private readonly struct MessagesOpener(MessagesRelayRequest request, ProviderCatalog providers) : IAttemptOpener<MessagesAttempt>
    {
        /// <summary>
        /// When any channel would need the request converted, it is converted now: a body the conversion cannot take is
        /// the client's 400 before the first attempt, never a failure of some attempt halfway through.
        /// </summary>
        public void Prepare(ResolvedChannels channels)
        {
            foreach (var channel in channels.Channels)
            {
                if (providers.Get(channel.Platform.Format) is not IMessagesRelayProvider)
                {
                    Converted(request);
                    break;
                }
            }
        }

        public ValueTask<MessagesAttempt> OpenAsync(Channel channel, IProviderAdapter adapter, int attempt, CancellationToken cancellationToken)
        {
            request.AttemptStarted(channel, attempt);
            var relay = adapter is IMessagesRelayProvider messages
                ? messages.CreateMessagesRelay(channel, request)
                : new ConvertedMessagesAttempt(adapter, channel, Converted(request), request.Stream, request.Model);
            return AttemptOpening.OpenAsync(relay, static (r, token) => r.OpenAsync(token), cancellationToken);
        }
    }

    /// <summary>The request converted to the chat contract, for platforms of other formats; once per request.</summary>
    private static Contracts.ChatCompletionRequest Converted(MessagesRelayRequest request) =>
        request.ChatRequest ??= AnthropicInbound.ToChat(request.Body.Span).Request;
}
