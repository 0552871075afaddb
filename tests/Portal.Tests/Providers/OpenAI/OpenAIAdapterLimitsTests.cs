using Portal.Testing;

namespace Portal.Tests.Providers.OpenAI;

public sealed class OpenAIAdapterLimitsTests
{
    [Fact]
    public async Task Chat_ResponseOver64MB_FailsAsProtocolErrorBlamingPlatform()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var huge = "{\"id\":\"x\",\"choices\":[],\"pad\":\"" + new string('a', (64 * 1024 * 1024) + 16) + "\"}";
        upstream.DefaultResponse = FakeResponse.Json(200, huge);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, MaxAttempts = 1 });

        var error = await Assert.ThrowsAsync<PortalException>(() => gateway.ChatCompletionAsync(RepositorySeed.Chat("m")));

        Assert.Equal(PortalErrorCode.UpstreamFailed, error.Code);
        Assert.Contains("larger than 64 MB", error.Message, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.Platform, 1).Status);
    }

    [Fact]
    public async Task Chat_LargeErrorBody_IsCutAndStillClassified()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Text(503, "overloaded " + new string('x', 1024 * 1024));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, MaxAttempts = 1 });

        var error = await Assert.ThrowsAsync<PortalException>(() => gateway.ChatCompletionAsync(RepositorySeed.Chat("m")));

        Assert.Equal(503, error.StatusCode);
        Assert.StartsWith("All 1 attempt(s)", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 2048, "The upstream's body must be cut, not copied whole into the message.");
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.Platform, 1).Status);
    }
}
