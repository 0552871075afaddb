using System.Text;
using System.Text.Json;
using Portal.Providers;
using Portal.Providers.OpenAI;

namespace Portal.Tests.Providers.OpenAI;

/// <summary>The end-of-stream and error rules the typed adapter and the byte relay share.</summary>
public sealed class OpenAIEventStreamTests
{
    private const string Key = "sk-stream-rules-0123456789";

    private static readonly Channel TestChannel = new(
        new Platform { Id = 1, Name = "p", Format = PlatformFormats.OpenAI, BaseUrl = "http://127.0.0.1:9" },
        new Model { Id = 2, PlatformId = 1, Name = "m" },
        new ApiKey { Id = 3, PlatformId = 1, Value = Key });

    [Fact]
    public async Task ReadAsync_Done_EndsAndReadsNothingAfterIt()
    {
        // What follows [DONE] is not even an event stream: it is never read.
        await using var events = Open("data: {}\n\ndata: [DONE]\n\n<html>not an event stream</html>\n");

        Assert.True(await events.ReadAsync(CancellationToken.None));
        events.Check(error: null, finished: false);
        Assert.False(await events.ReadAsync(CancellationToken.None));

        Assert.True(events.Ended);
        Assert.False(await events.ReadAsync(CancellationToken.None));
        Assert.False(events.TryRead());
    }

    [Fact]
    public async Task ReadAsync_BodyEndsAfterAFinishReason_EndsWithoutDone()
    {
        await using var events = Open("data: {}\n\n");

        Assert.True(await events.ReadAsync(CancellationToken.None));
        events.Check(error: null, finished: true);

        Assert.False(await events.ReadAsync(CancellationToken.None));
        Assert.True(events.Ended);
    }

    [Theory]
    [InlineData("", "Upstream stream ended without any event.")]
    [InlineData(": keep-alive\n\n", "Upstream stream ended without any event.")]
    [InlineData("data: {}\n\n", "Upstream stream ended before [DONE] or a finish reason.")]
    public async Task ReadAsync_BodyEndsWithoutDoneOrFinishReason_ProtocolError(string body, string message)
    {
        await using var events = Open(body);

        var e = await Assert.ThrowsAsync<UpstreamException>(async () =>
        {
            while (await events.ReadAsync(CancellationToken.None))
            {
                events.Check(error: null, finished: false);
            }
        });

        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
        Assert.Equal(message, e.Message);
        Assert.Equal(200, e.StatusCode);
    }

    [Theory]
    [InlineData(0, "Upstream connection was lost before the first event.")]
    [InlineData(1, "Upstream connection was lost in the middle of the stream.")]
    public async Task ReadAsync_ConnectionLost_ConnectionErrorSaysWhen(int eventsBefore, string message)
    {
        var body = string.Concat(Enumerable.Repeat("data: {}\n\n", eventsBefore));
        await using var events = new OpenAIEventStream(new BreakingStream(Encoding.UTF8.GetBytes(body)), 200, TestChannel);
        for (var i = 0; i < eventsBefore; i++)
        {
            Assert.True(await events.ReadAsync(CancellationToken.None));
            events.Check(error: null, finished: false);
        }

        var e = await Assert.ThrowsAsync<UpstreamException>(async () => await events.ReadAsync(CancellationToken.None));

        Assert.Equal(UpstreamErrorKind.Connection, e.Kind);
        Assert.Equal(message, e.Message);
        Assert.IsType<IOException>(e.InnerException);
    }

    [Fact]
    public async Task Check_ErrorMember_ThrowsTheUpstreamsErrorScrubbed()
    {
        await using var events = Open("data: {}\n\n");
        Assert.True(await events.ReadAsync(CancellationToken.None));
        using var error = JsonDocument.Parse($$"""{"message":"Rate limited for {{Key}}","type":"rate_limit_error","code":"rate_limit_exceeded"}""");

        var e = Assert.Throws<UpstreamException>(() => events.Check(error.RootElement, finished: false));

        Assert.Equal(UpstreamErrorKind.Http, e.Kind);
        Assert.Equal(429, e.StatusCode);
        Assert.DoesNotContain(Key, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("Rate limited for", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ErrorEventType_ThrowsErrorEvent()
    {
        await using var events = Open("event: error\ndata: {}\n\n");
        Assert.True(await events.ReadAsync(CancellationToken.None));

        var e = Assert.Throws<UpstreamException>(() => events.Check(error: null, finished: true));

        Assert.Equal(UpstreamErrorKind.Http, e.Kind);
        Assert.Equal("Upstream sent an error event.", e.Message);
    }

    [Fact]
    public async Task TryRead_EventsAtHand_ReturnedThenFalseAtDone()
    {
        await using var events = Open("data: 1\n\ndata: 2\n\ndata: [DONE]\n\n");

        Assert.True(await events.ReadAsync(CancellationToken.None));
        Assert.True(events.TryRead());
        Assert.Equal("2", Encoding.UTF8.GetString(events.Data.Span));
        Assert.False(events.Ended);
        Assert.False(events.TryRead());

        Assert.True(events.Ended);
        Assert.False(await events.ReadAsync(CancellationToken.None));
    }

    private static OpenAIEventStream Open(string body) => new(new MemoryStream(Encoding.UTF8.GetBytes(body)), 200, TestChannel);

    /// <summary>A stream that hands out its bytes, then fails as a dropped connection does.</summary>
    private sealed class BreakingStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Position < Length ? base.ReadAsync(buffer, cancellationToken) : throw new IOException("Connection reset by peer.");

        public override int Read(byte[] buffer, int offset, int count) =>
            Position < Length ? base.Read(buffer, offset, count) : throw new IOException("Connection reset by peer.");
    }
}
