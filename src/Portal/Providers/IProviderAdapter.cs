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
}

/// <summary>The names of the platform formats Portal knows.</summary>
public static class PlatformFormats
{
    /// <summary>The OpenAI Chat Completions API, and the many platforms compatible with it.</summary>
    public const string OpenAI = "openai";

    /// <summary>A built-in platform that answers locally and deterministically, with latency and pacing set in its base URL (<c>mock://local?latency=200ms&amp;tokensPerSecond=50</c>).</summary>
    public const string Mock = "mock";
}
