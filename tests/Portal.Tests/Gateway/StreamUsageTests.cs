using Portal.Contracts;
using Portal.Testing;

namespace Portal.Tests.Gateway;

public sealed class StreamUsageTests
{
    private const string UsageOnlyChunk =
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":13,\"total_tokens\":24}}\n\n";

    private static readonly string[] Events =
    [
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        UsageOnlyChunk,
        "data: [DONE]\n\n",
    ];

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stream_UpstreamAskedForUsageOnlyWhenEnabled(bool requestStreamUsage)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("Hi");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, RequestStreamUsage = requestStreamUsage });

        await gateway.StreamChatCompletionAsync(RepositorySeed.Chat("m")).ToListAsync();

        var sent = Assert.Single(upstream.Requests).BodyJson;
        var asked = sent.TryGetProperty("stream_options", out var options)
            && options.TryGetProperty("include_usage", out var include) && include.GetBoolean();
        Assert.Equal(requestStreamUsage, asked);
    }

    [Fact]
    public async Task Stream_CallerDidNotAskForUsage_UsageChunkHiddenButTokensRecorded()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(Events);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });

        var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat("m")).ToListAsync();

        Assert.Equal(2, chunks.Count);
        Assert.All(chunks, c => Assert.NotEmpty(c.Choices));
        var stat = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.True(stat.Success);
        Assert.Equal(11, stat.PromptTokens);
        Assert.Equal(13, stat.CompletionTokens);
    }

    [Fact]
    public async Task Stream_CallerAskedForUsage_GetsUsageChunkAndOptionsPassThrough()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(Events);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });
        var request = RepositorySeed.Chat("m");
        request.StreamOptions = new StreamOptions { IncludeUsage = true, IncludeObfuscation = false };

        var chunks = await gateway.StreamChatCompletionAsync(request).ToListAsync();

        Assert.Equal(3, chunks.Count);
        Assert.Equal(24, chunks[^1].Usage!.TotalTokens);
        var options = Assert.Single(upstream.Requests).BodyJson.GetProperty("stream_options");
        Assert.True(options.GetProperty("include_usage").GetBoolean());
        Assert.False(options.GetProperty("include_obfuscation").GetBoolean());
    }

    [Fact]
    public async Task NonStreaming_StreamOptionsAreNotSentUpstream()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });
        var request = RepositorySeed.Chat("m");
        request.StreamOptions = new StreamOptions { IncludeUsage = true };

        await gateway.ChatCompletionAsync(request);

        Assert.False(Assert.Single(upstream.Requests).BodyJson.TryGetProperty("stream_options", out _));
    }
}
