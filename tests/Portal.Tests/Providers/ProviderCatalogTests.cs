using Portal.Contracts;
using Portal.Health;
using Portal.Providers;
using Portal.Testing;

namespace Portal.Tests.Providers;

/// <summary>The catalog of formats: the one list every part of Portal asks, and the per-format rules it carries.</summary>
public sealed class ProviderCatalogTests
{
    [Fact]
    public async Task Gateway_ListsBuiltInFormatsThenAddedOnes()
    {
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository(), Adapters = [new CustomAdapter("acme")] });

        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock, "acme" }, gateway.Providers.Formats);
        Assert.Equal("openai, anthropic, mock, acme", gateway.Providers.Describe());
    }

    [Fact]
    public void LaterAdapterForAFormat_ReplacesTheEarlierOneInItsPlace()
    {
        var replacement = new CustomAdapter("OpenAI");
        var catalog = new ProviderCatalog([new CustomAdapter("openai"), new CustomAdapter("mock"), replacement]);

        Assert.Equal(new[] { "mock", "OpenAI" }, catalog.Formats);
        Assert.True(catalog.TryGet("OPENAI", out var found));
        Assert.Same(replacement, found);
    }

    [Theory]
    [InlineData("openai", "openai")]
    [InlineData("OpenAI", "openai")]
    [InlineData("MOCK", "mock")]
    [InlineData("Anthropic", "anthropic")]
    [InlineData("gemini", null)]
    public async Task Canonical_IgnoresCase_NullWhenUnknown(string written, string? canonical)
    {
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository() });

        Assert.Equal(canonical, gateway.Providers.Canonical(written));
    }

    [Theory]
    [InlineData("openai", "https://api.openai.com/v1", null)]
    [InlineData("openai", "http://127.0.0.1:8080", null)]
    [InlineData("openai", "mock://local", "must be an absolute http or https URL")]
    [InlineData("openai", "api.openai.com", "must be an absolute http or https URL")]
    [InlineData("mock", "mock://local?latency=200ms", null)]
    [InlineData("mock", "ftp://local", "must be an absolute mock, http or https URL")]
    [InlineData("mock", "mock://local?latency=soon", "has invalid mock settings")]
    [InlineData("nope", "https://example.test", "the format 'nope' is unknown (known: openai, anthropic, mock)")]
    public async Task CheckBaseUrl_FollowsEachFormatsRule(string format, string baseUrl, string? problem)
    {
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository() });

        var result = gateway.Providers.CheckBaseUrl(format, baseUrl);

        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.NotNull(result);
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AdapterClassification_OverridesTheGeneralRules()
    {
        // A 400 is the client's fault by the general rules; this format says its 400s mean the key is exhausted.
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "acme", Format = "acme", BaseUrl = "https://acme.test" });
        repository.Add(new Platform { Id = 2, Name = "backup", Format = PlatformFormats.Mock, BaseUrl = "mock://local" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = "m", Alias = "chat" });
        repository.Add(new Model { Id = 20, PlatformId = 2, Name = "mock-ok", Alias = "chat" });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-acme-0123456789abcdef" });
        repository.Add(new ApiKey { Id = 201, PlatformId = 2, Value = "sk-mock-0123456789abcdef" });
        var adapter = new CustomAdapter("acme", new UpstreamException(UpstreamErrorKind.Http, "quota exhausted", 400), new UpstreamErrorVerdict(UpstreamBlame.ApiKey, Failover: true));
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            Adapters = [adapter],
            SelectorStrategy = Gateway.GatewayTestKit.FirstChannelSelector.StrategyName,
            Selectors = [new Gateway.GatewayTestKit.FirstChannelSelector()],
        });

        var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat("chat"));

        Assert.Contains("mock response from mock-ok", response.Choices[0].Message!.Content!.Text!, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.ApiKey, 101).Status);
        Assert.Equal(HealthStatus.Unknown, gateway.GetHealth(ResourceKind.Platform, 1).Status);
    }

    [Fact]
    public async Task WithoutAdapterClassification_A400IsTheClientsFault()
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "acme", Format = "acme", BaseUrl = "https://acme.test" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = "m", Alias = "chat" });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-acme-0123456789abcdef" });
        var adapter = new CustomAdapter("acme", new UpstreamException(UpstreamErrorKind.Http, "bad request", 400));
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, Adapters = [adapter] });

        var exception = await Assert.ThrowsAsync<PortalException>(() => gateway.ChatCompletionAsync(RepositorySeed.Chat("chat")));

        Assert.Equal(PortalErrorCode.InvalidRequest, exception.Code);
        Assert.Equal(HealthStatus.Unknown, gateway.GetHealth(ResourceKind.ApiKey, 101).Status);
    }

    /// <summary>An adapter of any format that fails every call with <paramref name="failure"/> and classifies it as <paramref name="verdict"/>.</summary>
    private sealed class CustomAdapter(string format, UpstreamException? failure = null, UpstreamErrorVerdict? verdict = null) : IProviderAdapter
    {
        public string Format => format;

        public Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            throw failure ?? new UpstreamException(UpstreamErrorKind.Connection, "not wired");

        public IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            throw failure ?? new UpstreamException(UpstreamErrorKind.Connection, "not wired");

        public UpstreamErrorVerdict? ClassifyError(UpstreamException error) => verdict;
    }
}
