using Portal.Testing;

namespace Portal.Tests;

public sealed class PortalGatewayTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_HealthyUpstream_ReturnsAnswerAndRecordsOneStat(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream ? FakeResponse.Stream("Hel", "lo") : FakeResponse.ChatCompletion("Hello");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", alias: "gpt");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });

        string text;
        if (stream)
        {
            var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat("gpt")).ToListAsync();
            text = string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content));
        }
        else
        {
            var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
            text = response.Choices[0].Message!.Content!.Text!;
        }

        Assert.Equal("Hello", text);
        Assert.Equal("gpt-upstream", upstream.Requests[0].BodyJson.GetProperty("model").GetString());
        var stats = await gateway.QueryStatsAsync(new StatsQuery());
        var stat = Assert.Single(stats);
        Assert.True(stat.Success);
        Assert.Equal(stream, stat.IsStream);
        Assert.Equal("gpt", stat.ModelName);
        Assert.Equal(5, stat.PromptTokens);
        Assert.Equal(7, stat.CompletionTokens);
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.ApiKey, 101).Status);
    }

    [Fact]
    public async Task GetHealth_ResourceNeverUsed_ReturnsUnknownStateNamingIt()
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, "http://127.0.0.1:1", 10, "gpt-upstream", alias: "gpt");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });

        var state = gateway.GetHealth(ResourceKind.ApiKey, 101);

        Assert.Equal(
            (ResourceKind.ApiKey, 101L, HealthStatus.Unknown, 0, (DateTimeOffset?)null, TimeSpan.Zero, (string?)null, (int?)null, 0L, 0L),
            (state.ResourceKind, state.ResourceId, state.Status, state.RetryCount, state.NextAvailableAt, state.BackoffDuration, state.LastError, state.LastErrorCode, state.SuccessCount, state.ErrorCount));
    }
}
