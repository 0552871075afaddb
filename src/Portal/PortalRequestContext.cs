using Portal.Internal;

namespace Portal;

/// <summary>Who asks for what, and how far the request has got: flows from the entry point through selection into every stat row.</summary>
/// <remarks>
/// The caller sets what it knows (<see cref="Protocol"/>, <see cref="Caller"/>, <see cref="SessionKey"/>,
/// <see cref="Tags"/>); the gateway fills in the rest as the request runs (<see cref="Model"/>, <see cref="Attempt"/>,
/// <see cref="TriedChannels"/>). Selectors read it through <see cref="Selection.ChannelSelection.Request"/>. A context
/// belongs to one request: passing one instance to two requests throws.
/// </remarks>
public sealed class PortalRequestContext
{
    private string? _requestId;
    private Channel[] _tried = [];
    private int _attempt;
    private int _started;

    /// <summary>The id every attempt of the request records (<see cref="RequestStat.RequestId"/>).</summary>
    /// <value>A new version 7 GUID in "N" format (32 hexadecimal digits that sort by time) unless set.</value>
    public string RequestId
    {
        // Made on first read, not at construction: a caller that sets it saves making one.
        get => _requestId ?? Interlocked.CompareExchange(ref _requestId, RequestScope.NewRequestId(), null) ?? _requestId!;
        init => _requestId = value;
    }

    /// <summary>The protocol the request came in as, one of <see cref="InboundProtocols"/> or another name.</summary>
    /// <value>The default is <see cref="InboundProtocols.OpenAIChat"/>.</value>
    public string Protocol { get; init; } = InboundProtocols.OpenAIChat;

    /// <summary>Who is calling: the name of the client token today (the per-caller key later); <see langword="null"/> when unknown.</summary>
    public string? Caller { get; init; }

    /// <summary>A key that groups requests of one conversation (for routing that keeps a session on one upstream); <see langword="null"/> when none.</summary>
    public string? SessionKey { get; init; }

    /// <summary>Free-form labels for custom selectors and policies.</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>The model name or alias the client asked for; set by the gateway when the request starts.</summary>
    public string Model { get; private set; } = "";

    /// <summary>The number of the attempt running now: 1 for the first channel, 2 after one failover; 0 before the first.</summary>
    public int Attempt => Volatile.Read(ref _attempt);

    /// <summary>The channels this request has tried so far, in order, the running attempt's included.</summary>
    public ReadOnlySpan<Channel> TriedChannels => _tried.AsSpan(0, Attempt);

    /// <summary>Claims the context for one request.</summary>
    internal void Start(string model, int maxAttempts)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("This PortalRequestContext is already used by another request; create one per request.");
        }

        Model = model;
        _tried = new Channel[maxAttempts];
    }

    /// <summary>Whether this request has tried <paramref name="channel"/> already.</summary>
    internal bool Tried(Channel channel)
    {
        foreach (var tried in TriedChannels)
        {
            if (ReferenceEquals(tried, channel))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Records that the next attempt starts on <paramref name="channel"/>; returns its number.</summary>
    internal int AttemptStarting(Channel channel)
    {
        _tried[_attempt] = channel;
        return Interlocked.Increment(ref _attempt);
    }
}

/// <summary>The names of the protocols requests come in as (<see cref="PortalRequestContext.Protocol"/>).</summary>
public static class InboundProtocols
{
    /// <summary>OpenAI Chat Completions (<c>POST /v1/chat/completions</c>), and the typed API of <see cref="PortalGateway"/>.</summary>
    public const string OpenAIChat = "openai-chat";

    /// <summary>Anthropic Messages (<c>POST /v1/messages</c>).</summary>
    public const string AnthropicMessages = "anthropic-messages";
}
