using Microsoft.Extensions.Time.Testing;
using Portal.Storage.Configuration;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Configuration;

/// <summary>The public import through an open repository, on SQLite and PostgreSQL: the cache, and replicas importing together.</summary>
public sealed class RepositoryConfigImportTests
{
    private static readonly Dictionary<string, string> ExampleEnvironment = new()
    {
        ["OPENAI_API_KEY"] = "sk-openai-primary-0001",
        ["OPENAI_API_KEY_2"] = "sk-openai-backup-0002",
        ["DEEPSEEK_API_KEY"] = "sk-deepseek-0003",
    };

    // 3 platforms, 6 models, 4 keys.
    private const int ExampleRows = 13;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static PortalConfigFile Example() =>
        PortalConfigLoader.Load(PortalConfigLoaderTests.FindExampleFile(), name => ExampleEnvironment.GetValueOrDefault(name));

    [SkippableTheory]
    [InlineData(StorageProviders.Sqlite)]
    [InlineData(StorageProviders.Postgres)]
    public async Task ImportConfigAsync_ExampleFile_IsServedAtOnceAndASecondImportChangesNothing(string provider)
    {
        await using var database = await Database.CreateAsync(provider);
        await using var repository = await EfPortalRepository.OpenAsync(database.Options, timeProvider: _time);

        var first = await repository.ImportConfigAsync(Example());

        Assert.Equal(new ConfigImportResult { Added = ExampleRows }, first);
        var fast = await repository.FindModelsByNameAsync("fast", CancellationToken.None);
        Assert.Equal(["deepseek-chat", "gpt-4o-mini"], fast.Select(m => m.Name).Order(StringComparer.Ordinal));
        var openAiId = fast.Single(m => m.Name == "gpt-4o-mini").PlatformId;
        var openai = await repository.GetPlatformAsync(openAiId, CancellationToken.None);
        Assert.Equal(("openai", "https://api.openai.com/v1", 500, 200000), (openai!.Name, openai.BaseUrl, openai.RateLimit.Rpm, openai.RateLimit.Tpm));
        var keys = await repository.GetApiKeysAsync(openAiId, CancellationToken.None);
        Assert.Equal(["sk-openai-backup-0002", "sk-openai-primary-0001"], keys.Select(k => k.Value).Order(StringComparer.Ordinal));
        Assert.False(Assert.Single(await repository.FindModelsByNameAsync("o1", CancellationToken.None)).Enabled);
        var local = Assert.Single(await repository.FindModelsByNameAsync("llama3.1:8b", CancellationToken.None));
        Assert.False((await repository.GetPlatformAsync(local.PlatformId, CancellationToken.None))!.Enabled);

        var second = await repository.ImportConfigAsync(Example());

        Assert.Equal(new ConfigImportResult { Unchanged = ExampleRows }, second);
    }

    [SkippableTheory]
    [InlineData(StorageProviders.Sqlite)]
    [InlineData(StorageProviders.Postgres)]
    public async Task ImportConfigAsync_ApiVersionAndDefaultMaxTokens_AreServedOnThePlatform(string provider)
    {
        await using var database = await Database.CreateAsync(provider);
        await using var repository = await EfPortalRepository.OpenAsync(database.Options, timeProvider: _time);
        const string file = """{ "platforms": [ { "name": "p", "format": "openai", "baseUrl": "https://p.example", "apiVersion": "2023-06-01", "defaultMaxTokens": 8192, "models": [ "a" ] } ] }""";

        await repository.ImportConfigAsync(PortalConfigLoader.Parse(file, "portal.json"));

        var model = Assert.Single(await repository.FindModelsByNameAsync("a", CancellationToken.None));
        var platform = await repository.GetPlatformAsync(model.PlatformId, CancellationToken.None);
        Assert.Equal(("2023-06-01", (int?)8192), (platform!.ApiVersion, platform.DefaultMaxTokens));

        await repository.ImportConfigAsync(PortalConfigLoader.Parse(file.Replace("\"defaultMaxTokens\": 8192, ", "", StringComparison.Ordinal), "portal.json"));

        platform = await repository.GetPlatformAsync(model.PlatformId, CancellationToken.None);
        Assert.Equal(("2023-06-01", (int?)null), (platform!.ApiVersion, platform.DefaultMaxTokens));
    }

    [SkippableTheory]
    [InlineData(StorageProviders.Sqlite)]
    [InlineData(StorageProviders.Postgres)]
    public async Task ImportConfigAsync_ModelRemovedFromTheFile_IsServedDisabled(string provider)
    {
        await using var database = await Database.CreateAsync(provider);
        await using var repository = await EfPortalRepository.OpenAsync(database.Options, timeProvider: _time);
        const string withModel = """{ "platforms": [ { "name": "p", "format": "openai", "baseUrl": "https://p.example", "models": [ "a", "b" ], "keys": [ "sk-p-000000000001" ] } ] }""";
        await repository.ImportConfigAsync(PortalConfigLoader.Parse(withModel, "portal.json"));
        var before = Assert.Single(await repository.FindModelsByNameAsync("b", CancellationToken.None));
        Assert.True(before.Enabled);

        var result = await repository.ImportConfigAsync(PortalConfigLoader.Parse(withModel.Replace("\"a\", \"b\"", "\"a\"", StringComparison.Ordinal), "portal.json"));

        Assert.Equal(new ConfigImportResult { Disabled = 1, Unchanged = 3 }, result);
        var after = Assert.Single(await repository.FindModelsByNameAsync("b", CancellationToken.None));
        Assert.Equal(before.Id, after.Id);
        Assert.False(after.Enabled);
    }

    [SkippableTheory]
    [InlineData(StorageProviders.Sqlite)]
    [InlineData(StorageProviders.Postgres)]
    public async Task ImportConfigAsync_TwoReplicasStartingTogether_BothSucceedAndOneAddsEverything(string provider)
    {
        await using var database = await Database.CreateAsync(provider);
        await using var first = await EfPortalRepository.OpenAsync(database.Options, timeProvider: _time);
        await using var second = await EfPortalRepository.OpenAsync(database.Options, timeProvider: _time);
        var file = Example();

        var results = await Task.WhenAll(
            Task.Run(() => first.ImportConfigAsync(file)),
            Task.Run(() => second.ImportConfigAsync(file)));

        // The imports are serialized: the later one finds everything already there.
        Assert.Contains(new ConfigImportResult { Added = ExampleRows }, results);
        Assert.Contains(new ConfigImportResult { Unchanged = ExampleRows }, results);
    }

    /// <summary>A fresh database of either provider.</summary>
    private sealed class Database : IAsyncDisposable
    {
        private readonly TempSqlite? _sqlite;
        private readonly PostgresDatabase? _postgres;

        private Database(TempSqlite? sqlite, PostgresDatabase? postgres)
        {
            _sqlite = sqlite;
            _postgres = postgres;
            Options = sqlite?.CreateOptions() ?? postgres!.CreateOptions();
        }

        public StorageOptions Options { get; }

        public static async Task<Database> CreateAsync(string provider) => provider == StorageProviders.Sqlite
            ? new Database(new TempSqlite(), null)
            : new Database(null, await PostgresDatabase.CreateAsync());

        public async ValueTask DisposeAsync()
        {
            _sqlite?.Dispose();
            if (_postgres is not null)
            {
                await _postgres.DisposeAsync();
            }
        }
    }
}
