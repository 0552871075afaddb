using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portal.Server.Client;

namespace Portal.Server.Tests.Client;

/// <summary>How relayed events reach the response body: framed, and flushed per batch, the stream's end with the response's end.</summary>
public sealed class HttpChatRelayWriterTests
{
    private static readonly ReadOnlyMemory<byte> Done = "[DONE]"u8.ToArray();

    [Fact]
    public async Task WriteEventsAsync_Batch_FramedAndSentAtOnce()
    {
        var (context, body) = Context();
        var writer = new HttpChatRelayWriter(context);
        await writer.StartAsync(stream: true, default);

        await writer.WriteEventsAsync([Event("a"), Event("b")], default);

        Assert.Equal("data: a\n\ndata: b\n\n", body.Text);
    }

    [Fact]
    public async Task StartAsync_Stream_HeadersGoWithTheFirstEvents()
    {
        // Started means committed, not sent: the first events follow at once, and the headers go out in their write.
        var (context, body) = Context();
        var writer = new HttpChatRelayWriter(context);

        await writer.StartAsync(stream: true, default);

        Assert.Equal(0, body.Flushes);
        Assert.Equal("text/event-stream", context.Response.ContentType);

        await writer.WriteEventsAsync([Event("a")], default);

        Assert.Equal(1, body.Flushes);
        Assert.Equal("data: a\n\n", body.Text);
    }

    [Fact]
    public async Task WriteEventsAsync_BatchEndingTheStream_SentWithTheResponsesEnd()
    {
        // The response ends right after [DONE]; its end flushes what is left together with the chunked terminator.
        var (context, body) = Context();
        var writer = new HttpChatRelayWriter(context);
        await writer.StartAsync(stream: true, default);
        await writer.WriteEventsAsync([Event("a")], default);

        await writer.WriteEventsAsync([Event("b"), Done], default);

        Assert.Equal("data: a\n\n", body.Text);
        await context.Response.BodyWriter.CompleteAsync(); // What the server does when the response ends.
        Assert.Equal("data: a\n\ndata: b\n\ndata: [DONE]\n\n", body.Text);
    }

    [Fact]
    public async Task WriteEventAsync_DoneAlone_SentWithTheResponsesEnd()
    {
        var (context, body) = Context();
        var writer = new HttpChatRelayWriter(context);
        await writer.StartAsync(stream: true, default);
        await writer.WriteEventAsync(Event("a"), default);

        await writer.WriteEventAsync(Done, default);

        Assert.Equal("data: a\n\n", body.Text);
        await context.Response.BodyWriter.CompleteAsync();
        Assert.Equal("data: a\n\ndata: [DONE]\n\n", body.Text);
    }

    private static ReadOnlyMemory<byte> Event(string data) => Encoding.UTF8.GetBytes(data);

    private static (DefaultHttpContext Context, RecordingStream Body) Context()
    {
        var body = new RecordingStream();
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        return (context, body);
    }

    /// <summary>The response body as the client would receive it.</summary>
    private sealed class RecordingStream : MemoryStream
    {
        public string Text => Encoding.UTF8.GetString(ToArray());

        /// <summary>How many times the response was sent on its way.</summary>
        public int Flushes { get; private set; }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            return base.FlushAsync(cancellationToken);
        }
    }
}
