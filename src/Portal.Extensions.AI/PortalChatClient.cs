using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Portal.Contracts;
using Portal.Extensions.AI.Internal;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Portal.Extensions.AI;

/// <summary>A <see cref="PortalGateway"/> as a Microsoft.Extensions.AI <see cref="IChatClient"/>.</summary>
/// <remarks>
/// Requests are translated to OpenAI chat completions and sent through the gateway, so routing, failover, health and
/// stats apply as for any other caller. The client does not own the gateway: <see cref="Dispose"/> leaves it running,
/// and whoever created the gateway disposes it.
/// </remarks>
public sealed class PortalChatClient : IChatClient
{
    private readonly PortalGateway _gateway;
    private readonly string? _defaultModel;

    /// <summary>Initializes a client over <paramref name="gateway"/>.</summary>
    /// <param name="gateway">The gateway that serves the requests; it is not disposed with the client.</param>
    /// <param name="defaultModel">The model name or alias used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <exception cref="ArgumentNullException"><paramref name="gateway"/> is <see langword="null"/>.</exception>
    public PortalChatClient(PortalGateway gateway, string? defaultModel = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        _gateway = gateway;
        _defaultModel = defaultModel;
        Metadata = new ChatClientMetadata("portal", providerUri: null, defaultModelId: defaultModel);
    }

    /// <summary>Describes the client: provider <c>portal</c> and the default model.</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>Sends the conversation through the gateway and returns the answer.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">The options; <see cref="ChatOptions.ModelId"/> overrides the default model.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The answer, with its finish reason and usage.</returns>
    /// <exception cref="InvalidOperationException">No model was given in <paramref name="options"/> nor as the default.</exception>
    /// <exception cref="PortalException">The gateway could not serve the request.</exception>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AIChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = ChatMapper.ToRequest(messages, options, _defaultModel);
        var response = await _gateway.ChatCompletionAsync(request, cancellationToken).ConfigureAwait(false);
        return ChatMapper.ToResponse(response);
    }

    /// <summary>Streams the answer to the conversation through the gateway.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">The options; <see cref="ChatOptions.ModelId"/> overrides the default model.</param>
    /// <param name="cancellationToken">Cancels the stream.</param>
    /// <returns>
    /// The updates: text deltas as they arrive; tool calls whole, once the upstream finishes; the finish reason on the
    /// update that ends a choice; usage as a <see cref="UsageContent"/> when the upstream reports it.
    /// </returns>
    /// <exception cref="InvalidOperationException">No model was given in <paramref name="options"/> nor as the default.</exception>
    /// <exception cref="PortalException">The gateway could not serve the request or the stream broke; thrown during enumeration.</exception>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AIChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = ChatMapper.ToRequest(messages, options, _defaultModel);
        request.StreamOptions = new StreamOptions { IncludeUsage = true };
        var toolCalls = new StreamingToolCalls();
        await foreach (var chunk in _gateway.StreamChatCompletionAsync(request, cancellationToken).ConfigureAwait(false))
        {
            foreach (var update in ChatMapper.ToUpdates(chunk, toolCalls))
            {
                yield return update;
            }
        }

        if (toolCalls.HasPending)
        {
            // The upstream ended without a finish reason: hand over the calls it did send.
            var contents = new List<AIContent>();
            toolCalls.Complete(choice: null, contents);
            yield return ChatMapper.NewUpdate(id: null, model: null, created: null, contents, finishReason: null, raw: null);
        }
    }

    /// <summary>Returns this client for <see cref="PortalChatClient"/> or <see cref="IChatClient"/>, the gateway for <see cref="PortalGateway"/>, and the metadata for <see cref="ChatClientMetadata"/>.</summary>
    /// <param name="serviceType">The type of service wanted.</param>
    /// <param name="serviceKey">A key; when not <see langword="null"/>, nothing is returned.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="serviceType"/> is <see langword="null"/>.</exception>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return Metadata;
        }

        if (serviceType == typeof(PortalGateway))
        {
            return _gateway;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the gateway belongs to whoever created it, and is not disposed here.</summary>
    public void Dispose()
    {
    }
}
