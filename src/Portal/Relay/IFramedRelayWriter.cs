namespace Portal.Relay;

/// <summary>Where a relay writes a response whose stream events the gateway frames itself: Anthropic Messages (<see cref="PortalGateway.RelayMessagesAsync"/>), usually to an HTTP response.</summary>
/// <remarks>
/// The gateway calls <see cref="StartAsync"/> once, when an attempt has succeeded and failover is over, then either
/// <see cref="WriteBodyAsync"/> once (non-streaming) or <see cref="WriteEventsAsync"/> with the events that have
/// arrived together, already framed as server-sent events (<c>event: message_start\ndata: {…}\n\n</c>). Nothing is
/// written before <see cref="StartAsync"/>, so a writer that was never started can still send an error status. An
/// exception thrown by the writer means the client is gone: the request is recorded as cancelled and no resource is
/// blamed.
/// </remarks>
public interface IFramedRelayWriter
{
    /// <summary>Commits the response: status 200 and the content type (<c>application/json</c>, or <c>text/event-stream</c> when <paramref name="stream"/>).</summary>
    /// <param name="stream">Whether server-sent events follow.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the response has started.</returns>
    ValueTask StartAsync(bool stream, CancellationToken cancellationToken);

    /// <summary>Writes the whole body of a non-streaming response (UTF-8 JSON).</summary>
    /// <param name="json">The body; valid only during the call.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the body is written.</returns>
    ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken);

    /// <summary>Writes one or more whole server-sent events, framed, and flushes them to the client.</summary>
    /// <param name="events">The events' bytes, each ending with a blank line; valid only during the call.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the events have been flushed.</returns>
    ValueTask WriteEventsAsync(ReadOnlyMemory<byte> events, CancellationToken cancellationToken);
}
