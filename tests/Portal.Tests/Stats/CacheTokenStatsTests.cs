using Portal.Contracts;
using Portal.Testing;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Stats;

/// <summary>Prompt-cache tokens reach the stat row whatever the path: the OpenAI byte relay, and the typed API on an Anthropic platform.</summary>
public sealed class CacheTokenStatsTests
{
    private const string UsageWithCache = """{"prompt_tokens":120,"completion_tokens":8,"total_tokens":128,"prompt_tokens_details":{"cached_tokens":100,"audio_tokens":0}}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OpenAIRelay_CachedTokensOfTheUsage_AreRecorded(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(stream
            ? FakeResponse.SseRaw(
                Sse("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}"""),
                Sse("""{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":""" + UsageWithCache + "}"),
                Sse("[DONE]"))
            : FakeResponse.Json(200, """{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":""" + UsageWithCache + "}"));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m", "gpt");
        await using var gateway = CreateRelayGateway(repository);

        await RelayAsync(gateway, ChatBody(stream, model: "gpt"), new Portal.Tests.Relay.RecordingRelayWriter());

        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.Equal((120, 8, 100, (int?)null, "openai"), (row.PromptTokens, row.CompletionTokens, row.CachedInputTokens, row.CacheWriteTokens, row.TargetFormat));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TypedApiOnAnthropic_CacheReadsAndWrites_AreRecorded_AndPromptCountsThemAll(bool stream)
    {
        const string Usage = """{"input_tokens":20,"cache_creation_input_tokens":30,"cache_read_input_tokens":400,"output_tokens":9}""";
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(stream
            ? FakeResponse.SseRaw(
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":" + Usage + "}}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n",
                "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
                "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":9}}\n\n",
                "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
            : FakeResponse.Json(200, """{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"hi"}],"stop_reason":"end_turn","stop_sequence":null,"usage":""" + Usage + "}"));
        var repository = new InMemoryPortalRepository();
        repository.AddAnthropicChannel(1, upstream.BaseUrl, 10, "claude-x", "claude");
        await using var gateway = CreateRelayGateway(repository);
        var request = new ChatCompletionRequest { Model = "claude", Messages = [new ChatMessage("user", "Hello")] };

        if (stream)
        {
            await foreach (var _ in gateway.StreamChatCompletionAsync(request))
            {
            }
        }
        else
        {
            var response = await gateway.ChatCompletionAsync(request);
            Assert.Equal(450, response.Usage!.PromptTokens);
        }

        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.True(row.Success);
        Assert.Equal((450, 9, 400, 30, "anthropic"), (row.PromptTokens, row.CompletionTokens, row.CachedInputTokens, row.CacheWriteTokens, row.TargetFormat));
        Assert.Equal(4096, upstream.Requests[0].BodyJson.GetProperty("max_tokens").GetInt32());
    }
}
