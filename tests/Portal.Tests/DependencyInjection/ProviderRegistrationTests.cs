using Microsoft.Extensions.DependencyInjection;
using Portal.Contracts;
using Portal.Providers;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.DependencyInjection;

/// <summary>Built-in formats and strategies are registered through DI like added ones, and the catalog is the one list of formats.</summary>
public sealed class ProviderRegistrationTests
{
    [Fact]
    public async Task AddPortal_RegistersBuiltInAdaptersAndSelectorsAndTheCatalog()
    {
        var services = new ServiceCollection();
        services.AddPortal(new PortalOptions { Repository = new InMemoryPortalRepository() }).AddAdapter<EchoAdapter>();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock, EchoAdapter.Name }, provider.GetServices<IProviderAdapter>().Select(a => a.Format));
        Assert.Equal(new[] { SelectorStrategies.Random, SelectorStrategies.Lru }, provider.GetServices<IChannelSelector>().Select(s => s.Name));
        var catalog = provider.GetRequiredService<ProviderCatalog>();
        Assert.Same(catalog, provider.GetRequiredService<PortalGateway>().Providers);
        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock, EchoAdapter.Name }, catalog.Formats);
    }

    [Fact]
    public async Task AdapterRegisteredBeforeAddPortal_StillReplacesTheBuiltInOfItsFormat()
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "p", Format = PlatformFormats.Mock, BaseUrl = "mock://local" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = "m", Alias = "chat" });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-mock-0123456789abcdef" });
        var services = new ServiceCollection();
        services.AddSingleton<IProviderAdapter>(new EchoAdapter(PlatformFormats.Mock));
        services.AddPortal(new PortalOptions { Repository = repository });
        await using var provider = services.BuildServiceProvider();

        var response = await provider.GetRequiredService<PortalGateway>().ChatCompletionAsync(RepositorySeed.Chat("chat"));

        Assert.Equal("echo:m", response.Choices[0].Message!.Content!.Text);
        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock }, provider.GetRequiredService<ProviderCatalog>().Formats);
    }

    [Fact]
    public async Task Catalog_ResolvesWithoutCreatingTheOptions()
    {
        // Storage asks the catalog while it opens, and the options factory asks for the opened storage.
        var optionsCreated = false;
        var services = new ServiceCollection();
        services.AddPortal(_ =>
        {
            optionsCreated = true;
            return new PortalOptions { Repository = new InMemoryPortalRepository() };
        }).AddAdapter<EchoAdapter>();
        await using var provider = services.BuildServiceProvider();

        var catalog = provider.GetRequiredService<ProviderCatalog>();

        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock, EchoAdapter.Name }, catalog.Formats);
        Assert.Null(catalog.CheckBaseUrl(PlatformFormats.Mock, "mock://local?latency=5ms"));
        Assert.False(optionsCreated);
    }

    [Fact]
    public async Task AdaptersOfFactoryOptions_ReachTheGateway_AfterTheContainersOnes()
    {
        var services = new ServiceCollection();
        var added = new EchoAdapter("acme");
        services.AddPortal(_ => new PortalOptions { Repository = new InMemoryPortalRepository(), Adapters = [added] });
        await using var provider = services.BuildServiceProvider();

        var gateway = provider.GetRequiredService<PortalGateway>();

        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock, "acme" }, gateway.Providers.Formats);
        Assert.True(gateway.Providers.TryGet("ACME", out var found));
        Assert.Same(added, found);
        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock }, provider.GetRequiredService<ProviderCatalog>().Formats);
    }

    [Fact]
    public async Task AdaptersOfOptionsGivenDirectly_AreInTheContainersCatalog()
    {
        var services = new ServiceCollection();
        services.AddPortal(new PortalOptions { Repository = new InMemoryPortalRepository(), Adapters = [new EchoAdapter("acme")] });
        await using var provider = services.BuildServiceProvider();

        var catalog = provider.GetRequiredService<ProviderCatalog>();

        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock, "acme" }, catalog.Formats);
        Assert.Same(catalog, provider.GetRequiredService<PortalGateway>().Providers);
    }

    [Fact]
    public async Task CreateWithoutContainer_ComposesTheSameBuiltIns()
    {
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository() });

        Assert.Equal(new[] { PlatformFormats.OpenAI, PlatformFormats.Anthropic, PlatformFormats.Mock }, gateway.Providers.Formats);
    }

    [Fact]
    public void CreateWithInvalidOptions_ThrowsNamingTheSetting()
    {
        var exception = Assert.Throws<ArgumentException>(() => PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository(), SelectorStrategy = "fastest" }));

        Assert.Contains("SelectorStrategy 'fastest' is unknown; known strategies: lru, random", exception.Message, StringComparison.Ordinal);
    }

    /// <summary>Answers "echo:{upstream model name}".</summary>
    private sealed class EchoAdapter(string format) : IProviderAdapter
    {
        public const string Name = "echo";

        public EchoAdapter()
            : this(Name)
        {
        }

        public string Format => format;

        public Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new ChatCompletionResponse
            {
                Id = "echo-1",
                Model = channel.Model.Name,
                Choices = [new ChatChoice { Index = 0, Message = new ChatMessage { Role = "assistant", Content = "echo:" + channel.Model.Name }, FinishReason = "stop" }],
            });

        public IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
