using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Portal.Health;
using Portal.Selection;
using Portal.Stats;
using Portal.Testing;

namespace Portal.Tests.DependencyInjection;

public sealed class AddPortalTests
{
    [Fact]
    public async Task AddPortal_ResolvedTwice_ReturnsOneSingletonGatewayUsingTheFactoryOptions()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = Seed(upstream);
        var factoryCalls = 0;
        var services = new ServiceCollection()
            .AddLogging()
            .AddMetrics();
        services.AddPortal(sp =>
        {
            Interlocked.Increment(ref factoryCalls);
            return new PortalOptions { Repository = repository };
        });
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var first = provider.GetRequiredService<PortalGateway>();
        var second = provider.GetRequiredService<PortalGateway>();
        var response = await first.ChatCompletionAsync(RepositorySeed.Chat("gpt"));

        Assert.Same(first, second);
        Assert.Equal(1, factoryCalls);
        Assert.Equal("Hello from fake upstream", response.Choices[0].Message!.Content!.Text);
        Assert.Single(provider.GetServices<IHostedService>());
    }

    [Fact]
    public void AddPortal_CalledTwice_RegistersOneGatewayAndOneHostedService()
    {
        var repository = new InMemoryPortalRepository();
        var services = new ServiceCollection();
        services.AddPortal(new PortalOptions { Repository = repository });
        services.AddPortal(new PortalOptions { Repository = repository });

        Assert.Single(services, d => d.ServiceType == typeof(PortalGateway));
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
    }

    [Fact]
    public async Task Host_StartedThenStopped_ShutsTheGatewayDown()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = Seed(upstream);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPortal(sp => new PortalOptions { Repository = repository, ShutdownTimeout = TimeSpan.FromSeconds(5) });
        using var host = builder.Build();

        await host.StartAsync();
        var gateway = host.Services.GetRequiredService<PortalGateway>();
        await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
        Assert.False(gateway.IsShuttingDown);
        await host.StopAsync();

        Assert.True(gateway.IsShuttingDown);
        var error = await Assert.ThrowsAsync<PortalException>(() => gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt")));
        Assert.Equal(PortalErrorCode.ShuttingDown, error.Code);
        Assert.Single(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None)); // Flushed at stop.
        Assert.NotEmpty(await repository.GetAllHealthAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AddSelector_CustomSelectorNamedInOptions_IsUsedForSelection()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt", "sk-di-key1-0123456789abcdef", "sk-di-key2-0123456789abcdef", "sk-di-key3-0123456789abcdef");
        var services = new ServiceCollection().AddLogging().AddMetrics();
        services.AddSingleton<SelectionLog>();
        services.AddPortal(sp => new PortalOptions { Repository = repository, SelectorStrategy = LastChannelSelector.StrategyName })
            .AddSelector<LastChannelSelector>();
        await using var provider = services.BuildServiceProvider();
        var gateway = provider.GetRequiredService<PortalGateway>();

        for (var i = 0; i < 3; i++)
        {
            await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
        }

        Assert.Equal(3, provider.GetRequiredService<SelectionLog>().Calls);
        Assert.All(upstream.Requests, r => Assert.Equal("Bearer sk-di-key3-0123456789abcdef", r.Headers["Authorization"]));
    }

    [Fact]
    public async Task AddPortal_UnknownSelectorStrategy_FailsAtHostStartWithArgumentExceptionNamingTheSetting()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPortal(sp => new PortalOptions { Repository = new InMemoryPortalRepository(), SelectorStrategy = "round-robin-nonexistent" });
        using var host = builder.Build();

        var error = FindArgumentException(await Record.ExceptionAsync(() => host.StartAsync()));

        Assert.Contains(nameof(PortalOptions.SelectorStrategy), error.Message, StringComparison.Ordinal);
        Assert.Contains("round-robin-nonexistent", error.Message, StringComparison.Ordinal);
        Assert.Contains(SelectorStrategies.Random, error.Message, StringComparison.Ordinal); // Lists the known ones.
    }

    [Fact]
    public void Create_UnknownSelectorStrategy_ThrowsArgumentExceptionNamingTheSetting()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository(), SelectorStrategy = "nope" }));

        Assert.Contains(nameof(PortalOptions.SelectorStrategy), error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Func<InMemoryPortalRepository, PortalOptions>> InvalidOptions => new()
    {
        { "MaxAttempts", r => new PortalOptions { Repository = r, MaxAttempts = 0 } },
        { "RequestTimeout", r => new PortalOptions { Repository = r, RequestTimeout = TimeSpan.FromSeconds(-5) } },
        { "AttemptTimeout", r => new PortalOptions { Repository = r, AttemptTimeout = TimeSpan.FromSeconds(-5) } },
        { "AttemptTimeout", r => new PortalOptions { Repository = r, AttemptTimeout = TimeSpan.Zero } },
        { "ShutdownTimeout", r => new PortalOptions { Repository = r, ShutdownTimeout = TimeSpan.FromSeconds(-5) } },
        { "ConnectTimeout", r => new PortalOptions { Repository = r, ConnectTimeout = TimeSpan.FromSeconds(-5) } },
        { "HealthSyncInterval", r => new PortalOptions { Repository = r, HealthSyncInterval = TimeSpan.FromSeconds(-5) } },
        { "Backoff.Multiplier", r => new PortalOptions { Repository = r, Backoff = new BackoffOptions { Multiplier = 0.5 } } },
        { "Backoff.InitialDelay", r => new PortalOptions { Repository = r, Backoff = new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(-1) } } },
        { "Backoff.MaxDelay", r => new PortalOptions { Repository = r, Backoff = new BackoffOptions { InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromMinutes(1) } } },
        { "Stats.BatchSize", r => new PortalOptions { Repository = r, Stats = new StatsOptions { BatchSize = 0 } } },
        { "AttemptTimeout must not be longer than RequestTimeout", r => new PortalOptions { Repository = r, RequestTimeout = TimeSpan.FromMinutes(1), AttemptTimeout = TimeSpan.FromMinutes(2) } },
        { "AttemptTimeout must not be longer than RequestTimeout", r => new PortalOptions { Repository = r, Gateway = new GatewayOptions { RequestTimeout = TimeSpan.FromMinutes(1), AttemptTimeout = TimeSpan.FromSeconds(61) } } },
        { "Backoff.Jitter", r => new PortalOptions { Repository = r, Backoff = new BackoffOptions { Jitter = 1.5 } } },
        { "Backoff.MaxRetryAfter", r => new PortalOptions { Repository = r, Backoff = new BackoffOptions { MaxRetryAfter = TimeSpan.FromDays(2) } } },
        { "Stats.QueueCapacity", r => new PortalOptions { Repository = r, Stats = new StatsOptions { QueueCapacity = 0 } } },
        { "Stats.FlushTimeout", r => new PortalOptions { Repository = r, Stats = new StatsOptions { FlushTimeout = TimeSpan.FromSeconds(-1) } } },
        { "Repository must be set", r => new PortalOptions { Repository = null! } },
        { "Gateway must be set", r => new PortalOptions { Repository = r, Gateway = null! } },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Create_InvalidOption_ThrowsArgumentExceptionNamingTheSetting(string setting, Func<InMemoryPortalRepository, PortalOptions> options)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => PortalGateway.Create(options(new InMemoryPortalRepository())));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public async Task AddPortal_InvalidOption_FailsAtHostStartNamingTheSetting(string setting, Func<InMemoryPortalRepository, PortalOptions> options)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPortal(sp => options(new InMemoryPortalRepository()));
        using var host = builder.Build();

        var error = FindArgumentException(await Record.ExceptionAsync(() => host.StartAsync()));

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }

    private static InMemoryPortalRepository Seed(FakeUpstream upstream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt");
        return repository;
    }

    /// <summary>The host may report a failing hosted service directly or wrapped in an AggregateException.</summary>
    private static ArgumentException FindArgumentException(Exception? error)
    {
        Assert.NotNull(error);
        var found = error is AggregateException aggregate
            ? aggregate.Flatten().InnerExceptions.OfType<ArgumentException>().FirstOrDefault()
            : error as ArgumentException;
        return found ?? throw new Xunit.Sdk.XunitException($"Expected an ArgumentException, got {error}");
    }

    public sealed class SelectionLog
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Called() => Interlocked.Increment(ref _calls);
    }

    /// <summary>Always picks the last candidate; takes a dependency to prove it is built by the container.</summary>
    public sealed class LastChannelSelector(SelectionLog log) : IChannelSelector
    {
        public const string StrategyName = "last";

        public string Name => StrategyName;

        public int Select(ReadOnlySpan<Channel> candidates)
        {
            log.Called();
            return candidates.Length - 1;
        }
    }
}
