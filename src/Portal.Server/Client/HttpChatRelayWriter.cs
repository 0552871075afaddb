using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Portal.Relay;

namespace Portal.Server.Client;

/// <summary>Writes a relayed answer to the HTTP response: one JSON body, or server-sent events, flushed as the gateway hands them over.</summary>
/// <remarks>Chat completions hand over event data, which it frames (<see cref="IChatRelayWriter"/>); Anthropic Messages hand over framed events (<see cref="IFramedRelayWriter"/>).</remarks>
internal sealed class HttpChatRelayWriter(HttpContext context) : IChatRelayWriter, IFramedRelayWriter
{
    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;

    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    private static ReadOnlySpan<byte> Done => "[DONE]"u8;

    /// <summary>Whether the response is a stream of events.</summary>
    public bool Streaming { get; private set; }

    /// <summary>Whether a write failed: the client is gone.</summary>
    public bool Failed { get; private set; }

    /// <remarks>
    /// Sets the status and headers without sending them: they go out with the first events, in the same write. The
    /// gateway starts the writer once the first event has arrived and hands it over at once, so sending the headers
    /// ahead would tell the client nothing sooner and cost a send per stream.
    /// </remarks>
    public ValueTask StartAsync(bool stream, CancellationToken cancellationToken)
    {
        Streaming = stream;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (!stream)
        {
            response.ContentType = "application/json";
            return ValueTask.CompletedTask;
        }

        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.Headers.Remove(HeaderNames.ContentEncoding);
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return ValueTask.CompletedTask;
    }

    public async ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        context.Response.ContentLength = json.Length;
        await FlushAsync(context.Response.BodyWriter.WriteAsync(json, cancellationToken));
    }

    public ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var writer = context.Response.BodyWriter;
        Frame(writer, data.Span);
        return EndsStream(data.Span) ? ValueTask.CompletedTask : FlushAsync(writer.FlushAsync(cancellationToken));
    }

    /// <summary>Writes the events into the response's buffer and flushes once: one chunk of the response for all of them.</summary>
    /// <remarks>
    /// Events that end the stream (the last is <c>[DONE]</c>) are left for the end of the response, which follows at once
    /// and flushes them with the chunked body's terminator: one send to the client instead of two.
    /// </remarks>
    public ValueTask WriteEventsAsync(IReadOnlyList<ReadOnlyMemory<byte>> events, CancellationToken cancellationToken)
    {
        var writer = context.Response.BodyWriter;
        for (var i = 0; i < events.Count; i++)
        {
            Frame(writer, events[i].Span);
        }

        return events.Count > 0 && EndsStream(events[^1].Span) ? ValueTask.CompletedTask : FlushAsync(writer.FlushAsync(cancellationToken));
    }

    /// <summary>Writes events the gateway framed, as they are, and flushes them.</summary>
    public ValueTask WriteEventsAsync(ReadOnlyMemory<byte> events, CancellationToken cancellationToken)
    {
        var writer = context.Response.BodyWriter;
        events.Span.CopyTo(writer.GetSpan(events.Length));
        writer.Advance(events.Length);
        return FlushAsync(writer.FlushAsync(cancellationToken));
    }

    /// <summary>Whether the event is the stream's last, <c>[DONE]</c>, after which the response ends.</summary>
    private static bool EndsStream(ReadOnlySpan<byte> data) => data.SequenceEqual(Done);

    /// <summary>Writes one event, <c>data: {data}\n\n</c>, without flushing it.</summary>
    private static void Frame(PipeWriter writer, ReadOnlySpan<byte> data)
    {
        var length = DataPrefix.Length + data.Length + EventEnd.Length;
        var span = writer.GetSpan(length);
        DataPrefix.CopyTo(span);
        data.CopyTo(span[DataPrefix.Length..]);
        EventEnd.CopyTo(span[(DataPrefix.Length + data.Length)..]);
        writer.Advance(length);
    }

    private async ValueTask FlushAsync(ValueTask<FlushResult> flush)
    {
        FlushResult result;
        try
        {
            result = await flush;
        }
        catch
        {
            Failed = true;
            throw;
        }

        if (result.IsCompleted || result.IsCanceled)
        {
            Failed = true;
            throw new OperationCanceledException("The client closed the connection.");
        }
    }
}
