namespace Portal.Relay.Internal;

/// <summary>A relayed request as the server's request log sees it, whatever its protocol.</summary>
internal interface IRelayRequest
{
    /// <summary>The id every attempt's stat row records.</summary>
    string RequestId { get; }

    /// <summary>The model name or alias asked for.</summary>
    string Model { get; }

    /// <summary>Where the request was when it ended (<see cref="RelayProgress.LastAttempt"/>).</summary>
    ChatRelayResult? LastAttempt { get; }
}

/// <summary>How far a relayed request got: set by the gateway as attempts start and end.</summary>
/// <remarks>A mutable struct kept in a field of its request; <see cref="LastAttempt"/> is built only when read (failures), not per request.</remarks>
internal struct RelayProgress
{
    private Channel? _lastChannel;
    private int _attempts;
    private ChatRelayResult? _lastResult;

    /// <summary>The channel and attempt count of the latest attempt, or what served the request; <see langword="null"/> before the first attempt.</summary>
    public readonly ChatRelayResult? LastAttempt => _lastResult
        ?? (_lastChannel is { } channel ? new ChatRelayResult(channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, _attempts, null, null) : null);

    /// <summary>Records that attempt number <paramref name="attempt"/> starts on <paramref name="channel"/>.</summary>
    public void AttemptStarted(Channel channel, int attempt)
    {
        _lastChannel = channel;
        _attempts = attempt;
    }

    /// <summary>Records what served the request.</summary>
    public void Served(ChatRelayResult result) => _lastResult = result;
}
