using Portal.Contracts;

namespace Portal.Providers;

/// <summary>Speaks one platform format: turns a chat completion request into upstream calls and the answers back.</summary>
/// <remarks>
/// Adapters are singletons called concurrently. They send <c>channel.Model.Name</c> upstream (never the alias the
/// client asked for), authenticate with <c>channel.ApiKey</c>, and report every failure as an
/// <see cref="UpstreamException"/> (or let <see cref="OperationCanceledException"/> through on cancellation) so the
/// gateway can decide whom to blame. They never put a key into an exception message.
/// </remarks>
public interface IProviderAdapter
{
    /// <summary>The platform format this adapter speaks, one of <see cref="PlatformFormats"/> or a custom one.</summary>
    string Format { get; }

    /// <summary>Sends a non-streaming request and returns the complete response.</summary>
    /// <param name="channel">Where to send it.</param>
    /// <param name="request">The client's request (not modified).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The upstream's response.</returns>
    /// <exception cref="UpstreamException">The upstream call failed.</exception>
    Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken);

    /// <summary>Sends a streaming request and yields chunks as they arrive.</summary>
    /// <param name="channel">Where to send it.</param>
    /// <param name="request">The client's request (not modified).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The chunks; the sequence ends normally only when the upstream signalled the end of the stream.</returns>
    /// <exception cref="UpstreamException">The upstream call failed, or the stream broke or ended early.</exception>
    IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken);

    /// <summary>Checks a platform's base URL for this format, when a platform is configured (admin API, <c>portal.json</c>).</summary>
    /// <param name="baseUrl">The base URL as configured.</param>
    /// <returns>
    /// Why it is not acceptable, as a sentence fragment that follows the URL (<c>must be an absolute http or https URL</c>);
    /// <see langword="null"/> when it is. The default accepts any absolute http or https URL.
    /// </returns>
    string? CheckBaseUrl(string baseUrl) => ProviderCatalog.CheckHttpUrl(baseUrl);

    /// <summary>Decides whom an error this adapter reported blames, when the gateway's general rules do not fit the format.</summary>
    /// <param name="error">The error, as the adapter threw it.</param>
    /// <returns>
    /// The decision, or <see langword="null"/> (the default) for the general rules: 401 and 403 blame the key, 404 or a
    /// model-not-found error the model, 429 the key, 408 and 5xx the platform (all fail over); other 4xx are the client's
    /// fault (no blame, no failover); connection failures, timeouts and malformed answers blame the platform.
    /// </returns>
    UpstreamErrorVerdict? ClassifyError(UpstreamException error) => null;
}

/// <summary>Whom an upstream error blames, and whether another channel should be tried (<see cref="IProviderAdapter.ClassifyError"/>).</summary>
/// <param name="Blame">The resource that failed, or <see cref="UpstreamBlame.Client"/> when the request itself is at fault.</param>
/// <param name="Failover">Whether another channel should be tried.</param>
public readonly record struct UpstreamErrorVerdict(UpstreamBlame Blame, bool Failover);

/// <summary>Who an upstream error is blamed on: the resource that is backed off.</summary>
public enum UpstreamBlame
{
    /// <summary>The client's request: no resource is backed off; the upstream's (scrubbed) message reaches the client.</summary>
    Client = 0,

    /// <summary>The platform as a whole (an outage, an overload).</summary>
    Platform = 1,

    /// <summary>The model on that platform (it does not exist there, or is unavailable).</summary>
    Model = 2,

    /// <summary>The key (invalid, out of quota, rate limited).</summary>
    ApiKey = 3,
}

/// <summary>The names of the platform formats Portal knows.</summary>
public static class PlatformFormats
{
    /// <summary>The OpenAI Chat Completions API, and the many platforms compatible with it.</summary>
    public const string OpenAI = "openai";

    /// <summary>The Anthropic Messages API (<c>POST /v1/messages</c>, <c>x-api-key</c>, <c>anthropic-version</c>).</summary>
    public const string Anthropic = "anthropic";

    /// <summary>A built-in platform that answers locally and deterministically, with latency and pacing set in its base URL (<c>mock://local?latency=200ms&amp;tokensPerSecond=50</c>).</summary>
    public const string Mock = "mock";
}
