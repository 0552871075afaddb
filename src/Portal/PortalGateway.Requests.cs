using System.Runtime.CompilerServices;
using Portal.Contracts;
using Portal.Engine;
using Portal.Internal;
using Portal.Providers;
using Portal.Relay.Internal;
using Portal.Stats;

namespace Portal;

/// <content>The typed entry points: a chat completion request as objects, answered as objects.</content>
public sealed partial class PortalGateway
{
    /// <summary>Sends a chat completion request, failing over between channels until one answers.</summary>
    /// <param name="request">The request; its <c>model</c> is a model name or alias. It is not modified.</param>
    /// <param name="cancellationToken">Cancels the request; the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>The upstream's response.</returns>
    /// <exception cref="PortalException">The request could not be served; <see cref="PortalException.Code"/> says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public Task<ChatCompletionResponse> ChatCompletionAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        ChatCompletionAsync(request, new PortalRequestContext(), cancellationToken);

    /// <summary>Sends a chat completion request on behalf of the caller <paramref name="context"/> describes, failing over between channels until one answers.</summary>
    /// <param name="request">The request; its <c>model</c> is a model name or alias. It is not modified.</param>
    /// <param name="context">Who asks, and how (one context per request); selectors and stat rows see it.</param>
    /// <param name="cancellationToken">Cancels the request; the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>The upstream's response.</returns>
    /// <exception cref="PortalException">The request could not be served; <see cref="PortalException.Code"/> says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ChatCompletionResponse> ChatCompletionAsync(ChatCompletionRequest request, PortalRequestContext context, CancellationToken cancellationToken = default)
    {
        Validate(request);
        ArgumentNullException.ThrowIfNull(context);
        using var run = RequestRun.Start(_engine, context, request.Model, stream: false, cancellationToken);
        var response = await run.OpenAsync<TypedOpener, ChatCompletionResponse>(new TypedOpener(request)).ConfigureAwait(false);
        run.Succeeded(TokenCounts.From(response.Usage));
        return response;
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
    public IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(ChatCompletionRequest request, CancellationToken cancellationToken = default) =>
        StreamChatCompletionAsync(request, new PortalRequestContext(), cancellationToken);

    /// <summary>Sends a streaming chat completion request on behalf of the caller <paramref name="context"/> describes and yields chunks as the upstream produces them.</summary>
    /// <param name="request">The request; its <c>model</c> is a model name or alias. It is not modified.</param>
    /// <param name="context">Who asks, and how (one context per request); selectors and stat rows see it.</param>
    /// <param name="cancellationToken">Cancels the stream; the upstream call is cancelled at once and nobody is blamed.</param>
    /// <returns>
    /// The chunks. Failover happens only before the first chunk is yielded; a failure after that ends the enumeration
    /// with a <see cref="PortalException"/>.
    /// </returns>
    /// <exception cref="PortalException">The request could not be served or the stream broke; thrown during enumeration.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(
        ChatCompletionRequest request, PortalRequestContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Validate(request);
        ArgumentNullException.ThrowIfNull(context);
        using var run = RequestRun.Start(_engine, context, request.Model, stream: true, cancellationToken);
        var callerWantsUsage = request.StreamOptions?.IncludeUsage == true;
        var (upstream, more, skippedUsage) = await run.OpenAsync<StreamOpener, (IAsyncEnumerator<ChatCompletionChunk>, bool, Usage?)>(
            new StreamOpener(request, callerWantsUsage)).ConfigureAwait(false);
        try
        {
            var tokens = TokenCounts.From(skippedUsage);
            while (more)
            {
                var chunk = upstream.Current;
                if (chunk.Usage is { } usage)
                {
                    tokens = TokenCounts.From(usage);
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
                    throw run.Failed(ex);
                }
            }

            run.Succeeded(tokens);
        }
        finally
        {
            await DisposeQuietlyAsync(upstream).ConfigureAwait(false);
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

    /// <summary>A non-streaming attempt: the whole response, through the adapter.</summary>
    private readonly struct TypedOpener(ChatCompletionRequest request) : IAttemptOpener<ChatCompletionResponse>
    {
        public void Prepare(ResolvedChannels channels)
        {
        }

        public async ValueTask<ChatCompletionResponse> OpenAsync(Channel channel, IProviderAdapter adapter, int attempt, CancellationToken cancellationToken) =>
            await adapter.ChatCompletionAsync(channel, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A streaming attempt: open until the first chunk for the caller (or the end of a stream without one).</summary>
    private readonly struct StreamOpener(ChatCompletionRequest request, bool callerWantsUsage)
        : IAttemptOpener<(IAsyncEnumerator<ChatCompletionChunk> Chunks, bool HasFirst, Usage? SkippedUsage)>
    {
        public void Prepare(ResolvedChannels channels)
        {
        }

        public async ValueTask<(IAsyncEnumerator<ChatCompletionChunk> Chunks, bool HasFirst, Usage? SkippedUsage)> OpenAsync(
            Channel channel, IProviderAdapter adapter, int attempt, CancellationToken cancellationToken)
        {
            var chunks = adapter.StreamChatCompletionAsync(channel, request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                var (hasFirst, usage) = await TypedRelayAttempt.FirstForCallerAsync(chunks, callerWantsUsage).ConfigureAwait(false);
                return (chunks, hasFirst, usage);
            }
            catch (Exception)
            {
                await DisposeQuietlyAsync(chunks).ConfigureAwait(false);
                throw;
            }
        }
    }

    private static async ValueTask DisposeQuietlyAsync(IAsyncDisposable disposable)
    {
        try
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The attempt's outcome is already decided; a failing cleanup must not replace it.
        }
    }
}
