using System.Text;
using System.Text.Json;
using Portal.Contracts;
using Portal.Health;
using Portal.Relay;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>What a relayed request hands the client: the upstream's own bytes, one write per event, and the usage chunk only when asked for.</summary>
public sealed class RelayResponseTests
{
    // Unknown fields, odd whitespace and number forms, raw and escaped non-ASCII: re-serializing would change every one.
    private const string UnusualCompletion =
        "{ \"id\" : \"chatcmpl-odd\",\"object\":\"chat.completion\",\"created\":1.7e9,\"model\":\"gpt-upstream\",\n"
        + "  \"x_vendor\":{\"trace\":[1,2.50,null],\"flag\":true},\n"
        + "  \"choices\":[ {\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"h\u00e9llo \\u00e9 \ud83d\ude80 \\ud83d\\ude00 \\\"q\\\" \\/\",\"x_msg\":{}},"
        + "\"logprobs\":null,\"finish_reason\":\"stop\"} ],\n"
        + "  \"usage\":{\"prompt_tokens\":21,\"completion_tokens\":34,\"total_tokens\":55,\"prompt_tokens_details\":{\"cached_tokens\":0}},"
        + "\"system_fingerprint\":\"fp_\\u0041\" }";

    private static readonly string[] UnusualChunks =
    [
        "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"x_vendor\":[1.0,{}],\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"h\u00e9\"},\"finish_reason\":null}]}",
        "{ \"id\" : \"c\" , \"choices\" : [ { \"index\" : 0 , \"delta\" : { \"content\" : \" \\ud83d\\ude00 \\\"x\\\"\" } , \"finish_reason\" : null } ] , \"usage\" : null }",
        "{\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
    ];

    [Fact]
    public async Task Relay_StreamGzipEncodedUpstream_ClientGetsEveryEventDecompressed()
    {
        // The gateway accepts compressed responses, so an upstream may gzip its event stream. The SSE reader waits for
        // each event with a zero-byte read, which then goes to the decompression stream between slow events.
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw([.. UnusualChunks.Select(Sse), Sse("[DONE]")])
            .Gzip()
            .WithDelayBetweenWrites(TimeSpan.FromMilliseconds(30));
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();

        await RelayAsync(gateway, ChatBody(stream: true), writer);

        AssertComplete(writer, stream: true);
        Assert.Equal([.. UnusualChunks, "[DONE]"], writer.EventTexts);
        Assert.Contains("gzip", Assert.Single(upstream.Requests).Headers["Accept-Encoding"], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Relay_NonStream_ClientGetsUpstreamBytesExactly()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200, UnusualCompletion);
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(gateway, ChatBody(stream: false), writer);

        AssertComplete(writer, stream: false);
        Assert.Equal(["start:False", "body"], writer.Calls);
        Assert.Equal(Encoding.UTF8.GetBytes(UnusualCompletion), writer.Bodies[0]);
        Assert.Equal(21, result.PromptTokens);
        Assert.Equal(34, result.CompletionTokens);
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: false);
        Assert.Equal(21, row.PromptTokens);
        Assert.Equal(34, row.CompletionTokens);
        Assert.Null(row.FirstByteTime);
    }

    [Theory]
    [InlineData("\n", false)]
    [InlineData("\r\n", false)]
    [InlineData("\n", true)]
    public async Task Relay_Stream_EachEventsDataIsUpstreamBytesThenDone(string lineEnd, bool splitBytes)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var raw = FakeResponse.SseRaw(
            ": keep-alive" + lineEnd + lineEnd,
            "data: " + UnusualChunks[0] + lineEnd + lineEnd,
            "event: message" + lineEnd + "data:" + UnusualChunks[1] + lineEnd + lineEnd,
            "data: " + UnusualChunks[2] + lineEnd + lineEnd,
            "data: [DONE]" + lineEnd + lineEnd);
        upstream.DefaultResponse = splitBytes ? raw.SplitEvery(7) : raw;
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();

        await RelayAsync(gateway, ChatBody(stream: true), writer);

        AssertComplete(writer, stream: true);
        Assert.Equal(["start:True", "event", "event", "event", "event"], writer.Calls);
        Assert.Equal([.. UnusualChunks, "[DONE]"], writer.EventTexts);
        Assert.Equal(Encoding.UTF8.GetBytes(UnusualChunks[1]), writer.Events[1]);
        Assert.Equal("h\u00e9 \ud83d\ude00 \"x\"", writer.Text());
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: true);
        Assert.NotNull(row.FirstByteTime);
    }

    [Fact]
    public async Task Relay_StreamWithoutDoneButFinishReason_EndsWithGatewayDone()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(Sse(UnusualChunks[0]), Sse(UnusualChunks[2]));
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();

        await RelayAsync(gateway, ChatBody(stream: true), writer);

        Assert.Equal([UnusualChunks[0], UnusualChunks[2], "[DONE]"], writer.EventTexts);
        AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: true);
    }

    [Fact]
    public async Task Relay_StreamClientDidNotAskForUsage_UsageChunkHiddenButTokensRecorded()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(Sse(UnusualChunks[0]), Sse(UnusualChunks[2]), Sse(UsageOnlyData), SseDone());
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(gateway, ChatBody(stream: true), writer);

        Assert.Equal([UnusualChunks[0], UnusualChunks[2], "[DONE]"], writer.EventTexts);
        Assert.Equal((11, 13), (result.PromptTokens, result.CompletionTokens));
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: true);
        Assert.Equal((11, 13), (row.PromptTokens, row.CompletionTokens));
        Assert.True(Assert.Single(upstream.Requests).BodyJson.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task Relay_StreamClientAskedForUsage_UsageChunkRelayedVerbatim()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(Sse(UnusualChunks[0]), Sse(UnusualChunks[2]), Sse(UsageOnlyData), SseDone());
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();
        var body = "{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        var result = await RelayAsync(gateway, body, writer);

        Assert.Equal([UnusualChunks[0], UnusualChunks[2], UsageOnlyData, "[DONE]"], writer.EventTexts);
        Assert.Equal((11, 13), (result.PromptTokens, result.CompletionTokens));
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: true);
        Assert.Equal((11, 13), (row.PromptTokens, row.CompletionTokens));
    }

    [Fact]
    public async Task Relay_StreamUsageOnlyChunkWithoutFinishReason_StillFailsAsUnfinished()
    {
        // A hidden usage chunk is not a finish: a stream of content then usage, cut before [DONE], never said it was done.
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(Sse(UnusualChunks[0]), Sse(UsageOnlyData));
        await using var gateway = SingleChannel(upstream);
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ChatBody(stream: true), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Equal([UnusualChunks[0]], writer.EventTexts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_Success_ResultCarriesChannelIdsAttemptsAndTokens(bool stream)
    {
        await using var failing = await FakeUpstream.StartAsync();
        await using var upstream = await FakeUpstream.StartAsync();
        failing.DefaultResponse = FakeResponse.Error(503, "Overloaded", "server_error");
        upstream.DefaultResponse = Ok(stream, "served");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, failing.BaseUrl, 10, UpstreamName, Alias);
        repository.AddOpenAIChannel(2, upstream.BaseUrl, 20, UpstreamName, Alias, "sk-second-1-0123456789abcdef", "sk-second-2-0123456789abcdef");
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(gateway, ChatBody(stream), writer);

        Assert.Equal(new ChatRelayResult(2, 20, 201, 2, 5, 7), result);
        Assert.Equal("served", writer.Text());
        var success = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 2, 201, stream);
        Assert.Equal((5, 7), (success.PromptTokens, success.CompletionTokens));
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.ApiKey, 201).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_UpstreamReportsNoUsage_TokensNull(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.SseRaw(Sse(UnusualChunks[0]), Sse(UnusualChunks[2]), SseDone())
            : FakeResponse.Json(200, "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"x\"},\"finish_reason\":\"stop\"}],\"usage\":null}");
        await using var gateway = SingleChannel(upstream);

        var result = await RelayAsync(gateway, ChatBody(stream), new RecordingRelayWriter());

        Assert.Null(result.PromptTokens);
        Assert.Null(result.CompletionTokens);
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream);
        Assert.Null(row.PromptTokens);
    }

    private static PortalGateway SingleChannel(FakeUpstream upstream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        return CreateRelayGateway(repository);
    }
}
