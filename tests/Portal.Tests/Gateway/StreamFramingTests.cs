using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>A typed stream is read right however the upstream frames it: events and characters split across writes, any line ending, comments.</summary>
/// <remarks>The relay's counterpart is <c>RelayResponseTests.Relay_Stream_EachEventsDataIsUpstreamBytesThenDone</c>.</remarks>
public sealed class StreamFramingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task SplitWrites_Streaming_ContentArrivesIntact(int splitEvery)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("héllo wörld 你好", "second").SplitEvery(splitEvery);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);

        var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)).ToListAsync();

        Assert.Equal(["héllo wörld 你好", "second"], chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content).OfType<string>());
        Assert.Equal("stop", chunks[^1].Choices[0].FinishReason);
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.True(row.Success);
        Assert.Equal(7, row.CompletionTokens);
    }

    [Theory]
    [InlineData("\r\n", 0)]
    [InlineData("\r\n", 1)]
    [InlineData("\r\n", 2)]
    [InlineData("\r", 0)]
    [InlineData("\r", 1)]
    [InlineData("\n", 1)]
    public async Task LineEndingsAndKeepAliveComments_Streaming_ParsedCorrectly(string lineEnd, int splitEvery)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var response = FakeResponse.SseRaw(
            ": keep-alive" + lineEnd + lineEnd,
            SseChunk("Hi", lineEnd: lineEnd),
            ": keep-alive" + lineEnd,
            lineEnd,
            SseChunk(" thére", lineEnd: lineEnd),
            SseChunk(null, "stop", lineEnd),
            SseDone(lineEnd));
        upstream.DefaultResponse = splitEvery > 0 ? response.SplitEvery(splitEvery) : response;
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);

        var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)).ToListAsync();

        Assert.Equal(3, chunks.Count);
        Assert.Equal("Hi thére", string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content)));
        Assert.Equal("stop", chunks[^1].Choices[0].FinishReason);
        Assert.True(Assert.Single(await gateway.QueryStatsAsync(new StatsQuery())).Success);
    }
}
