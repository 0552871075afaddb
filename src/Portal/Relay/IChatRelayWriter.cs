namespace Portal.Relay;

/// <summary>Where <see cref="PortalGateway.RelayChatCompletionAsync(Relay.ChatRelayRequest, Relay.IChatRelayWriter, CancellationToken)"/> writes a response: an HTTP response, usually.</summary>
/// <remarks>
/// The gateway calls <see cref="StartAsync"/> once, when an attempt has succeeded and failover is over, then either
/// <see cref="WriteBodyAsync"/> once (non-streaming) or, for a stream ending with <c>[DONE]</c>,
/// <see cref="WriteEventsAsync"/> with the events that have arrived together (or <see cref="WriteEventAsync"/> per event).
/// Nothing is written before <see cref="StartAsync"/>, so a writer that was never started can still send an error status.
/// An exception thrown by the writer means the client is gone: the request is recorded as cancelled and no resource is
/// blamed.
/// </remarks>
public interface IChatRelayWriter
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

    /// <summary>Writes one server-sent event, <c>data: {data}\n\n</c>, and flushes it to the client.</summary>
    /// <param name="data">The event's data (a JSON chunk, or <c>[DONE]</c>); valid only during the call.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the event has been flushed.</returns>
    ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Writes several server-sent events, each as <see cref="WriteEventAsync"/> writes one, and flushes them to the client together.</summary>
    /// <remarks>
    /// A relayed stream hands over every event that has arrived from the upstream in one call, as soon as no further
    /// event is at hand without waiting, so no event waits for a later one. The default implementation calls
    /// <see cref="WriteEventAsync"/> for each event in turn; a writer that can buffer writes them all and flushes once.
    /// </remarks>
    /// <param name="events">The events' data, in order (JSON chunks, the last may be <c>[DONE]</c>); valid only during the call.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the events have been flushed.</returns>
    async ValueTask WriteEventsAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Count; i++)
        {
            await WriteEventAsync(events[i], cancellationToken).ConfigureAwait(false);
        }
    }
}
