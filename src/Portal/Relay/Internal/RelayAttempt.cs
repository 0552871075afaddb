namespace Portal.Relay.Internal;

/// <summary>One upstream attempt of a relayed request: opened with failover, then pumped to the client once committed.</summary>
internal abstract class RelayAttempt : IAsyncDisposable
{
    /// <summary>The tokens used, once the upstream reported usage.</summary>
    public Stats.TokenCounts Tokens { get; protected set; }

    /// <summary>
    /// Calls the upstream and waits until the answer can be committed to: the whole body of a non-streaming response, or
    /// the first event of a stream. Failures here fail over.
    /// </summary>
    public abstract Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>Writes the answer to the client (after the writer was started). Upstream failures here end the response.</summary>
    public abstract Task PumpAsync(IChatRelayWriter writer, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    /// <summary>Whether a stream chunk goes to the caller: a usage-only chunk the gateway asked for on its own is for stats only.</summary>
    /// <param name="choices">How many choices the chunk has.</param>
    /// <param name="hasUsage">Whether the chunk carries usage.</param>
    /// <param name="callerWantsUsage">Whether the caller asked for usage (<c>stream_options.include_usage</c>).</param>
    internal static bool ForCaller(int choices, bool hasUsage, bool callerWantsUsage) => callerWantsUsage || choices > 0 || !hasUsage;

    /// <summary>Takes usage from a scanned chunk or response.</summary>
    protected void TakeUsage(in ChunkScan scan)
    {
        if (scan.HasUsage)
        {
            Tokens = scan.Tokens;
        }
    }
}

/// <summary>Opens relay attempts of any protocol.</summary>
internal static class AttemptOpening
{
    /// <summary>Opens <paramref name="attempt"/> with <paramref name="open"/>; an attempt that fails to open is disposed before the failure goes on.</summary>
    public static async ValueTask<T> OpenAsync<T>(T attempt, Func<T, CancellationToken, Task> open, CancellationToken cancellationToken)
        where T : IAsyncDisposable
    {
        try
        {
            await open(attempt, cancellationToken).ConfigureAwait(false);
            return attempt;
        }
        catch (Exception)
        {
            await attempt.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

/// <summary>A writer failed: the client is gone. The request counts as cancelled by the caller.</summary>
internal sealed class RelayClientGoneException(Exception inner) : Exception("The client stopped receiving the response.", inner);

/// <summary>Wraps the caller's writer so its failures are told apart from upstream ones.</summary>
/// <remarks>
/// Any exception from the writer means the client is gone, except a cancellation of the token it was given (deadline,
/// shutdown or the caller), which the gateway attributes itself. ASP.NET Core's ConnectionAbortedException is an
/// <see cref="OperationCanceledException"/> thrown without that token being cancelled.
/// </remarks>
internal sealed class GuardedRelayWriter(IChatRelayWriter inner) : IChatRelayWriter
{
    public async ValueTask StartAsync(bool stream, CancellationToken cancellationToken)
    {
        try
        {
            await inner.StartAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }

    public async ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        try
        {
            await inner.WriteBodyAsync(json, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }

    public async ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        try
        {
            await inner.WriteEventAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }

    public async ValueTask WriteEventsAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken cancellationToken)
    {
        try
        {
            await inner.WriteEventsAsync(events, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }
}

/// <summary>Wraps the caller's framed writer so its failures are told apart from upstream ones, as <see cref="GuardedRelayWriter"/> does.</summary>
internal sealed class GuardedFramedWriter(IFramedRelayWriter inner) : IFramedRelayWriter
{
    public async ValueTask StartAsync(bool stream, CancellationToken cancellationToken)
    {
        try
        {
            await inner.StartAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }

    public async ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        try
        {
            await inner.WriteBodyAsync(json, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }

    public async ValueTask WriteEventsAsync(ReadOnlyMemory<byte> events, CancellationToken cancellationToken)
    {
        try
        {
            await inner.WriteEventsAsync(events, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RelayClientGoneException(ex);
        }
    }
}
