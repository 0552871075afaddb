using System.Text.Json;
using Portal.Contracts;
using Portal.Health;
using Portal.Relay;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>Relaying to a platform of another format (the built-in <c>mock</c>): the body is deserialized, the answer serialized for the client.</summary>
public sealed class RelayTypedFormatTests
{
    private const string Expected = "This is a mock response from mock-model to: Hello";

    [Fact]
    public async Task Relay_MockNonStream_WritesOneValidCompletionBody()
    {
        var repository = new InMemoryPortalRepository();
        repository.AddMockChannel(1, 10);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(gateway, ChatBody(stream: false), writer);

        AssertComplete(writer, stream: false);
        var response = JsonSerializer.Deserialize(writer.Bodies[0], PortalJsonContext.Default.ChatCompletionResponse)!;
        Assert.Equal(Expected, response.Choices[0].Message!.Content!.Text);
        Assert.Equal(MockModel, response.Model);
        Assert.Equal(new ChatRelayResult(1, 10, 101, 1, 1, 9), result);
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: false);
        Assert.Equal((1, 9), (row.PromptTokens, row.CompletionTokens));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_MockStream_WritesValidChunkEventsAndUsageOnlyWhenAsked(bool includeUsage)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddMockChannel(1, 10);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();
        var body = "{\"model\":\"gpt\",\"stream\":true" + (includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

        var result = await RelayAsync(gateway, body, writer);

        AssertComplete(writer, stream: true);
        var chunks = writer.Events.SkipLast(1).Select(e => JsonSerializer.Deserialize(e, PortalJsonContext.Default.ChatCompletionChunk)!).ToList();
        Assert.Equal(Expected, writer.Text());
        Assert.All(chunks, c => Assert.Equal(MockModel, c.Model));
        Assert.Equal("stop", chunks.SelectMany(c => c.Choices).Last().FinishReason);
        var usageChunks = chunks.Where(c => c.Usage is not null).ToList();
        if (includeUsage)
        {
            var usage = Assert.Single(usageChunks);
            Assert.Same(usage, chunks[^1]);
            Assert.Empty(usage.Choices);
            Assert.Equal(10, usage.Usage!.TotalTokens);
        }
        else
        {
            Assert.Empty(usageChunks);
            Assert.All(chunks, c => Assert.NotEmpty(c.Choices));
        }

        Assert.Equal((1, 9), (result.PromptTokens, result.CompletionTokens));
        var row = AssertSuccessRow(await gateway.QueryStatsAsync(new StatsQuery()), 1, 101, stream: true);
        Assert.Equal((1, 9), (row.PromptTokens, row.CompletionTokens));
        Assert.NotNull(row.FirstByteTime);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_OpenAIChannelFailsThenMockServes_FailsOverAcrossFormats(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(500, "The server had an error.", "server_error");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        repository.AddMockChannel(2, 20);
        await using var gateway = CreateRelayGateway(repository);
        var before = DateTimeOffset.UtcNow;
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(gateway, ChatBody(stream), writer);

        AssertComplete(writer, stream);
        Assert.Equal(Expected, writer.Text());
        Assert.Equal(new ChatRelayResult(2, 20, 201, 2, 1, 9), result);
        AssertBlamed(gateway, ResourceKind.Platform, 1, 500, before);
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.Platform, 2).Status);
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(2, rows.Count);
        AssertFailedRow(rows, 1, 101, 500, stream);
        AssertSuccessRow(rows, 2, 201, stream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_MockErrorModelThenOpenAIServes_FailsOverAcrossFormats(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "from openai");
        var repository = new InMemoryPortalRepository();
        repository.AddMockChannel(1, 10, "mock-error-500");
        repository.AddOpenAIChannel(2, upstream.BaseUrl, 20, UpstreamName, Alias);
        await using var gateway = CreateRelayGateway(repository);
        var before = DateTimeOffset.UtcNow;
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(gateway, ChatBody(stream), writer);

        AssertComplete(writer, stream);
        Assert.Equal("from openai", writer.Text());
        Assert.Equal(new ChatRelayResult(2, 20, 201, 2, 5, 7), result);
        AssertBlamed(gateway, ResourceKind.Platform, 1, 500, before);
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(2, rows.Count);
        AssertFailedRow(rows, 1, 101, 500, stream);
        AssertSuccessRow(rows, 2, 201, stream);
        Assert.Equal(UpstreamName, Assert.Single(upstream.Requests).BodyJson.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_MockErrorModelOnly_ThrowsUpstreamFailedWithoutStartingWriter(bool stream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddMockChannel(1, 10, "mock-error-500");
        await using var gateway = CreateRelayGateway(repository);
        var before = DateTimeOffset.UtcNow;
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ChatBody(stream), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Empty(writer.Calls);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, 500, before, stream);
    }

    [Theory]
    [InlineData(false, "\"temperature\":\"hot\"")]
    [InlineData(true, "\"temperature\":\"hot\"")]
    [InlineData(false, "\"max_tokens\":[1]")]
    [InlineData(true, "\"n\":1.5")]
    public async Task Relay_BodyNotDeserializableRoutedToMock_ThrowsInvalidRequestWithoutStatRow(bool stream, string member)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddMockChannel(1, 10);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();
        var body = "{\"model\":\"gpt\"" + (stream ? ",\"stream\":true" : "") + "," + member + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}";

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, body, writer));

        Assert.Equal(PortalErrorCode.InvalidRequest, exception.Code);
        Assert.Empty(writer.Calls);
        Assert.Empty(await gateway.QueryStatsAsync(new StatsQuery()));
        AssertUnknown(gateway, ResourceKind.Platform, 1);
        AssertUnknown(gateway, ResourceKind.ApiKey, 101);
        AssertUnknown(gateway, ResourceKind.Model, 10);
    }
}
