using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Storage.Configuration;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests;

public sealed class StorageServiceCollectionExtensionsTests : IDisposable
{
    private readonly TempSqlite _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task AddPortalStorage_HostStart_OpensOneRepositoryServedAsBothTypes()
    {
        var services = new ServiceCollection();
        services.AddPortalStorage(o => o.ConnectionString = _database.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(default);
        }

        Assert.True(File.Exists(_database.FilePath));
        var repository = provider.GetRequiredService<EfPortalRepository>();
        Assert.Same(repository, provider.GetRequiredService<IPortalRepository>());
        Assert.Equal(StorageProviders.Sqlite, repository.Provider);
    }

    [Fact]
    public async Task AddPortalStorage_Stores_AreTheRepositorysStores()
    {
        var services = new ServiceCollection();
        services.AddPortalStorage(o => o.ConnectionString = _database.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        var repository = provider.GetRequiredService<EfPortalRepository>();

        Assert.Same(repository.Config, provider.GetRequiredService<IConfigStore>());
        Assert.Same(repository.Health, provider.GetRequiredService<IHealthStore>());
        Assert.Same(repository.Stats, provider.GetRequiredService<IRequestStatsStore>());
    }

    [Fact]
    public async Task AddPortalStorage_ResolvedBeforeTheHostStarts_OpensOnTheSpot()
    {
        var services = new ServiceCollection();
        services.AddPortalStorage(o => o.ConnectionString = _database.ConnectionString);
        await using var provider = services.BuildServiceProvider();

        var repository = provider.GetRequiredService<IPortalRepository>();

        Assert.Empty(await repository.FindModelsByNameAsync("x", default));
        Assert.True(File.Exists(_database.FilePath));
    }

    [Fact]
    public async Task AddPortalStorage_SettingsFromConfiguration_AreBoundAndConfigureRunsAfter()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:Storage:ConnectionString"] = _database.ConnectionString,
            ["Portal:Storage:CacheTtl"] = "00:00:42",
            ["Portal:Storage:RetentionDays"] = "7",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddPortalStorage(o => o.RetentionDays = 9);
        await using var provider = services.BuildServiceProvider();

        var repository = provider.GetRequiredService<EfPortalRepository>();

        Assert.Equal(TimeSpan.FromSeconds(42), repository.Options.CacheTtl);
        Assert.Equal(9, repository.Options.RetentionDays);
        Assert.True(File.Exists(_database.FilePath));
    }

    [Fact]
    public async Task AddPortalStorage_InvalidProvider_FailsTheStartNamingTheSetting()
    {
        var services = new ServiceCollection();
        services.AddPortalStorage(o => o.Provider = "oracle");
        await using var provider = services.BuildServiceProvider();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => provider.GetServices<IHostedService>().Single().StartAsync(default));
        Assert.Contains("Portal:Storage:Provider", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddPortalStorage_ConfigFileSetting_IsImportedAtStart()
    {
        var file = Path.Combine(_database.DirectoryPath, "portal.json");
        await File.WriteAllTextAsync(file, """
            { "platforms": [ { "name": "p", "format": "openai", "baseUrl": "http://127.0.0.1:1",
                               "models": [ { "name": "upstream", "alias": "fast" } ], "keys": [ "sk-start-import-0123456789" ] } ] }
            """);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:Storage:ConnectionString"] = _database.ConnectionString,
            ["Portal:ConfigFile"] = file,
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddPortalStorage();
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(default);
        }

        var models = await provider.GetRequiredService<IPortalRepository>().FindModelsByNameAsync("fast", default);
        Assert.Equal("upstream", Assert.Single(models).Name);
    }

    [Fact]
    public async Task AddPortalStorage_ConfigFileSetToMissingPath_FailsStartNamingTheFile()
    {
        var missing = Path.Combine(_database.DirectoryPath, "nope.json");
        var services = new ServiceCollection();
        services.AddPortalStorage(o =>
        {
            o.ConnectionString = _database.ConnectionString;
            o.ConfigFile = missing;
        });
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => Task.WhenAll(provider.GetServices<IHostedService>().Select(h => h.StartAsync(default))));

        Assert.Equal($"Portal:ConfigFile names {missing}, which does not exist", error.Message);
        Assert.False(File.Exists(_database.FilePath));
    }

    [Fact]
    public async Task AddPortalStorage_InvalidConfigFile_FailsStartWithPathAndProblem()
    {
        var file = Path.Combine(_database.DirectoryPath, "bad.json");
        await File.WriteAllTextAsync(file, """{ "platforms": [ { "name": "p", "format": "nope", "baseUrl": "http://127.0.0.1:1" } ] }""");
        var services = new ServiceCollection();
        services.AddPortalStorage(o =>
        {
            o.ConnectionString = _database.ConnectionString;
            o.ConfigFile = file;
        });
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<Portal.Storage.Configuration.PortalConfigException>(() => Task.WhenAll(provider.GetServices<IHostedService>().Select(h => h.StartAsync(default))));

        Assert.Equal("$.platforms[0].format", error.JsonPath);
        Assert.EndsWith("bad.json", error.FilePath, StringComparison.Ordinal);

        // The file is read first: nothing was created or migrated for a start that fails.
        Assert.False(File.Exists(_database.FilePath));
    }

    [Fact]
    public async Task AddPortalStorage_ShortDurations_AreBound()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:Storage:ConnectionString"] = _database.ConnectionString,
            ["Portal:Storage:CacheTtl"] = "250ms",
            ["Portal:Storage:RetentionInterval"] = "2h",
            ["Portal:Storage:RetentionDays"] = "7",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddPortalStorage();
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<StorageOptions>>().Value;

        Assert.Equal(TimeSpan.FromMilliseconds(250), options.CacheTtl);
        Assert.Equal(TimeSpan.FromHours(2), options.RetentionInterval);
        Assert.Equal(7, options.RetentionDays);
    }

    [Fact]
    public async Task AddPortalStorage_BadDuration_FailsNamingTheSettingAndTheForms()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:Storage:CacheTtl"] = "5x",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddPortalStorage();
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<StorageOptions>>().Value);

        Assert.Equal("Portal:Storage:CacheTtl: '5x' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss", error.Message);
    }
}
