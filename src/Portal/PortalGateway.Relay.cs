using System.Text.Json;
using Portal.Contracts;
using Portal.Engine;
using Portal.Internal;
using Portal.Providers;
using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal;

/// <content>The relay entry point: a request kept as bytes, answered as bytes.</content>
public sealed partial class PortalGateway
{
    /// <summary>
    /// Serves a chat completion request given as the client's JSON bytes, writing the response (JSON or server-sent
    /// events) to <paramref name="writer"/>, with the same routing, failover, health and stats as
    /// <see cref="ChatCompletionAsync(ChatCompletionRequest, CancellationToken)"/>.
    /// </summary>
    /// <remarks>
    /// When the chosen platform's format relays bytes (OpenAI's does), the body is forwarded with only <c>model</c>
    /// rewritten (and, for a stream, <c>stream_options.include_usage</c> turned on when
    /// <see cref="PortalOptions.RequestStreamUsage"/> is set, so stats get tokens; the usage chunk is then not relayed to
    /// a client that did not ask for it), and the upstream's JSON is relayed without being re-serialized. Other formats
    /// go through their adapter. Failover happens until the writer is started: for a stream, until the first event arrived.
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
    public Task<ChatRelayResult> RelayChatCompletionAsync(ChatRelayRequest request, IChatRelayWriter writer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RelayChatCompletionAsync(request, writer, new PortalRequestContext { RequestId = request.RequestId }, cancellationToken);
    }

    /// <summary>
    /// Serves a chat completion request given as the client's JSON bytes on behalf of the caller <paramref name="context"/>
    /// describes; see <see cref="RelayChatCompletionAsync(ChatRelayRequest, IChatRelayWriter, CancellationToken)"/>.
    /// </summary>
    /// <param name="request">The request, from <see cref="ChatRelayRequest.Parse"/>.</param>
    /// <param name="writer">Receives the response once an attempt succeeded.</param>
    /// <param name="context">Who asks, and how (one context per request); selectors and stat rows see it. Its <see cref="PortalRequestContext.RequestId"/> is the one recorded.</param>
    /// <param name="cancellationToken">Cancels the request (the client left): the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>What served the request, once the whole response has been written.</returns>
    /// <exception cref="PortalException">The request could not be served; see the other overload.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or the writer failed (the client is gone).</exception>
    public async Task<ChatRelayResult> RelayChatCompletionAsync(ChatRelayRequest request, IChatRelayWriter writer, PortalRequestContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(context);
        using var run = RequestRun.Start(_engine, context, request.Model, request.Stream, cancellationToken);
        var relay = await run.OpenAsync<RelayOpener, RelayAttempt>(new RelayOpener(request, _engine.Providers)).ConfigureAwait(false);
        await using (relay.ConfigureAwait(false))
        {
            try
            {
                var guarded = new GuardedRelayWriter(writer);
                await guarded.StartAsync(request.Stream, run.Token).ConfigureAwait(false);
                await relay.PumpAsync(guarded, run.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                throw run.Failed(ex);
            }

            run.Succeeded(relay.Tokens);
            var channel = run.Channel;
            var result = new ChatRelayResult(channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, run.Attempt, relay.Tokens.Prompt, relay.Tokens.Completion);
            request.Served(result);
            return result;
        }
    }

    /// <summary>A relay attempt: the client's bytes for formats that take them, the adapter's typed API for the rest.</summary>
    private readonly struct RelayOpener(ChatRelayRequest request, ProviderCatalog providers) : IAttemptOpener<RelayAttempt>
    {
        /// <summary>
        /// When any channel would need the body typed, it is deserialized now: a body its adapter cannot take is the
        /// client's 400 before the first attempt, never a failure of some attempt (or a failover) halfway through.
        /// </summary>
        public void Prepare(ResolvedChannels channels)
        {
            foreach (var channel in channels.Channels)
            {
                if (providers.Get(channel.Platform.Format) is not IByteRelayProvider)
                {
                    Typed(request);
                    break;
                }
            }
        }

        public ValueTask<RelayAttempt> OpenAsync(Channel channel, IProviderAdapter adapter, int attempt, CancellationToken cancellationToken)
        {
            request.AttemptStarted(channel, attempt);
            var relay = adapter is IByteRelayProvider bytes
                ? bytes.CreateRelay(channel, request)
                : new TypedRelayAttempt(adapter, channel, Typed(request), request.Stream, request.IncludeUsage);
            return AttemptOpening.OpenAsync(relay, static (r, token) => r.OpenAsync(token), cancellationToken);
        }
    }

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
