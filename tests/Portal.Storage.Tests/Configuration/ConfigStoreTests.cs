using Microsoft.Extensions.Time.Testing;
using Portal.Storage.Configuration;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Configuration;

/// <summary>
/// <see cref="IConfigStore"/> through its own interface: every write's result (the stored row, or why it was refused),
/// the protection of the config file's rows and of platforms in use. Run on each provider by a subclass.
/// </summary>
public abstract class ConfigStoreTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);
    private EfPortalRepository? _repository;

    /// <summary>Settings of an empty store for this test; skips the test when the provider is unavailable.</summary>
    protected abstract Task<StorageOptions> CreateOptionsAsync();

    protected virtual ValueTask DisposeStoreAsync() => ValueTask.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_repository is not null)
        {
            await _repository.DisposeAsync();
        }

        await DisposeStoreAsync();
    }

    [SkippableFact]
    public async Task AddPlatform_Valid_ReturnsTheStoredRowFromTheAdmin()
    {
        var store = await OpenAsync();

        var result = await store.AddPlatformAsync(Platform("a"));

        Assert.True(result.Succeeded);
        Assert.Null(result.Error);
        Assert.True(result.Value.Item.Id > 0);
        Assert.Equal(("a", RowSources.Admin, Start, Start), (result.Value.Item.Name, result.Value.Source, result.Value.CreatedAt, result.Value.UpdatedAt));
        Assert.Equal(result.Value, await store.GetPlatformRowAsync(result.Value.Item.Id));
        Assert.Equal(result.Value.Item, await store.GetPlatformAsync(result.Value.Item.Id, default));
    }

    [SkippableFact]
    public async Task Add_InvalidField_RefusedAsInvalidWithoutWriting()
    {
        var store = await OpenAsync();

        var platform = await store.AddPlatformAsync(Platform(" "));
        var model = await store.AddModelAsync(new Model { PlatformId = 1, Name = "m", Alias = new string('a', 201) });
        var key = await store.AddApiKeyAsync(new ApiKey { PlatformId = 1, Value = "" });

        AssertRefused(platform, ConfigWriteErrorKind.Invalid, "Platform.Name is required.");
        AssertRefused(model, ConfigWriteErrorKind.Invalid, "Model.Alias is longer than 200 characters.");
        AssertRefused(key, ConfigWriteErrorKind.Invalid, "ApiKey.Value is required.");
        Assert.Empty(await store.ListPlatformRowsAsync());
    }

    [SkippableFact]
    public async Task AddAndUpdatePlatform_ApiVersionAndDefaultMaxTokens_StoredAndClearedAgain()
    {
        var store = await OpenAsync();
        var longest = "v" + new string('1', 99);

        var added = (await store.AddPlatformAsync(Platform("a") with { ApiVersion = longest, DefaultMaxTokens = 1 })).Value!;

        Assert.Equal((longest, (int?)1), (added.Item.ApiVersion, added.Item.DefaultMaxTokens));
        Assert.Equal(added, await store.GetPlatformRowAsync(added.Item.Id));
        Assert.Equal(added.Item, await store.GetPlatformAsync(added.Item.Id, default));

        var cleared = (await store.UpdatePlatformAsync(added.Item with { ApiVersion = "", DefaultMaxTokens = null })).Value!;

        Assert.Equal(((string?)null, (int?)null), (cleared.Item.ApiVersion, cleared.Item.DefaultMaxTokens)); // empty is none
        Assert.Equal(cleared, await store.GetPlatformRowAsync(added.Item.Id));
        Assert.Equal(cleared.Item, await store.GetPlatformAsync(added.Item.Id, default));
    }

    [SkippableFact]
    public async Task AddPlatform_ApiVersionLongerThan100_RefusedAsInvalidWithoutWriting()
    {
        var store = await OpenAsync();

        var result = await store.AddPlatformAsync(Platform("a") with { ApiVersion = new string('1', 101) });

        AssertRefused(result, ConfigWriteErrorKind.Invalid, "Platform.ApiVersion is longer than 100 characters.");
        Assert.Empty(await store.ListPlatformRowsAsync());
    }

    [SkippableFact]
    public async Task AddPlatform_ApiVersionWithALineBreak_RefusedAsInvalidWithoutWriting()
    {
        var store = await OpenAsync();

        var result = await store.AddPlatformAsync(Platform("a") with { ApiVersion = "2023-06-01\r\nx-injected: 1" });

        AssertRefused(result, ConfigWriteErrorKind.Invalid, "Platform.ApiVersion contains a control character (U+000D).");
        Assert.Empty(await store.ListPlatformRowsAsync());
    }

    [SkippableFact]
    public async Task AddPlatform_ApiVersionWithSurroundingSpace_RefusedAsInvalidWithoutWriting()
    {
        var store = await OpenAsync();

        var result = await store.AddPlatformAsync(Platform("a") with { ApiVersion = " 2023-06-01" });

        AssertRefused(result, ConfigWriteErrorKind.Invalid, "Platform.ApiVersion starts or ends with white space.");
        Assert.Empty(await store.ListPlatformRowsAsync());
    }

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(-4096)]
    public async Task AddPlatform_DefaultMaxTokensBelowOne_RefusedAsInvalidWithoutWriting(int value)
    {
        var store = await OpenAsync();

        var result = await store.AddPlatformAsync(Platform("a") with { DefaultMaxTokens = value });

        AssertRefused(result, ConfigWriteErrorKind.Invalid, $"Platform.DefaultMaxTokens must be at least 1 (or null for the default); it is {value}.");
        Assert.Empty(await store.ListPlatformRowsAsync());
    }

    [SkippableFact]
    public async Task UpdatePlatform_DefaultMaxTokensZero_RefusedAsInvalidAndLeftAlone()
    {
        var store = await OpenAsync();
        var added = (await store.AddPlatformAsync(Platform("a") with { DefaultMaxTokens = 2048 })).Value!;

        var result = await store.UpdatePlatformAsync(added.Item with { DefaultMaxTokens = 0 });

        AssertRefused(result, ConfigWriteErrorKind.Invalid, "Platform.DefaultMaxTokens must be at least 1");
        Assert.Equal(added, await store.GetPlatformRowAsync(added.Item.Id));
    }

    [SkippableFact]
    public async Task Add_TakenNameIdOrValue_OrMissingPlatform_RefusedAsConflict()
    {
        var store = await OpenAsync();
        var a = (await store.AddPlatformAsync(Platform("a"))).Value!.Item;
        await store.AddModelAsync(new Model { PlatformId = a.Id, Name = "m" });
        await store.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "sk-taken-0123456789" });

        AssertRefused(await store.AddPlatformAsync(Platform("a")), ConfigWriteErrorKind.Conflict, "A platform named 'a' already exists.");
        AssertRefused(await store.AddPlatformAsync(Platform("b") with { Id = a.Id }), ConfigWriteErrorKind.Conflict, $"A platform with id {a.Id} already exists.");
        AssertRefused(await store.AddModelAsync(new Model { PlatformId = a.Id, Name = "m" }), ConfigWriteErrorKind.Conflict, $"Platform {a.Id} already has a model named 'm'.");
        AssertRefused(await store.AddModelAsync(new Model { PlatformId = 999, Name = "m" }), ConfigWriteErrorKind.Conflict, "No platform with id 999.");
        var key = await store.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "sk-taken-0123456789" });
        AssertRefused(key, ConfigWriteErrorKind.Conflict, $"Platform {a.Id} already has a key with the same value.");
        Assert.DoesNotContain("sk-taken", key.Error!.Message, StringComparison.Ordinal);
        Assert.Single(await store.ListPlatformRowsAsync());
    }

    [SkippableFact]
    public async Task Update_MissingRow_RefusedAsNotFound()
    {
        var store = await OpenAsync();

        AssertRefused(await store.UpdatePlatformAsync(Platform("a") with { Id = 7 }), ConfigWriteErrorKind.NotFound, "No platform with id 7.");
        AssertRefused(await store.UpdateModelAsync(new Model { Id = 8, PlatformId = 1, Name = "m" }), ConfigWriteErrorKind.NotFound, "No model with id 8.");
        AssertRefused(await store.UpdateApiKeyAsync(new ApiKey { Id = 9, PlatformId = 1, Value = "sk-0123456789" }), ConfigWriteErrorKind.NotFound, "No key with id 9.");
    }

    [SkippableFact]
    public async Task Update_AdminRow_ReturnsTheChangedRowAndRequestsSeeIt()
    {
        var store = await OpenAsync();
        var added = (await store.AddPlatformAsync(Platform("a"))).Value!;
        _time.Advance(TimeSpan.FromMinutes(1));

        var result = await store.UpdatePlatformAsync(added.Item with { Enabled = false });

        Assert.True(result.Succeeded);
        Assert.False(result.Value.Item.Enabled);
        Assert.Equal((Start, Start.AddMinutes(1)), (result.Value.CreatedAt, result.Value.UpdatedAt));
        Assert.Equal(result.Value.Item, await store.GetPlatformAsync(added.Item.Id, default));
    }

    [SkippableFact]
    public async Task UpdateAndDelete_ConfigFileRowWithoutForce_RefusedAsConfigManagedAndLeftAlone()
    {
        var store = await OpenAsync();
        await ImportAsync(store);
        var platform = Assert.Single(await store.ListPlatformRowsAsync());
        var model = Assert.Single(await store.ListModelRowsAsync());
        var key = Assert.Single(await store.ListApiKeyRowsAsync());

        var update = await store.UpdatePlatformAsync(platform.Item with { Enabled = false });
        var deleteModel = await store.DeleteModelAsync(model.Item.Id);
        var deleteKey = await store.DeleteApiKeyAsync(key.Item.Id);
        var deletePlatform = await store.DeletePlatformAsync(platform.Item.Id, cascade: true);

        AssertRefused(update, ConfigWriteErrorKind.ConfigManaged, $"The platform {platform.Item.Id} is managed by the config file");
        Assert.Contains("Portal:ConfigFile", update.Error!.Message, StringComparison.Ordinal);
        AssertRefused(deleteModel, ConfigWriteErrorKind.ConfigManaged, $"The model {model.Item.Id} is managed by the config file");
        AssertRefused(deleteKey, ConfigWriteErrorKind.ConfigManaged, $"The key {key.Item.Id} is managed by the config file");
        AssertRefused(deletePlatform, ConfigWriteErrorKind.ConfigManaged, $"The platform {platform.Item.Id} is managed by the config file");
        Assert.Equal([platform], await store.ListPlatformRowsAsync());
        Assert.Equal([model], await store.ListModelRowsAsync());
        Assert.Equal([key], await store.ListApiKeyRowsAsync());
    }

    [SkippableFact]
    public async Task UpdateAndDelete_ConfigFileRowWithForce_WriteAndKeepTheSource()
    {
        var store = await OpenAsync();
        await ImportAsync(store);
        var platform = Assert.Single(await store.ListPlatformRowsAsync());
        var model = Assert.Single(await store.ListModelRowsAsync());

        var update = await store.UpdatePlatformAsync(platform.Item with { Enabled = false }, force: true);
        var delete = await store.DeleteModelAsync(model.Item.Id, force: true);

        Assert.True(update.Succeeded);
        Assert.Equal((false, RowSources.Config), (update.Value.Item.Enabled, update.Value.Source));
        Assert.True(delete.Succeeded);
        Assert.Equal((model, 0, 0), (delete.Value.Row, delete.Value.Models, delete.Value.Keys));
        Assert.Empty(await store.ListModelRowsAsync());
        Assert.Empty(await store.FindModelsByNameAsync("x", default));
    }

    [SkippableFact]
    public async Task DeletePlatform_WithModelsAndKeysWithoutCascade_RefusedAsInUseWithTheCounts()
    {
        var store = await OpenAsync();
        var platform = (await store.AddPlatformAsync(Platform("a"))).Value!.Item;
        await store.AddModelAsync(new Model { PlatformId = platform.Id, Name = "m1" });
        await store.AddModelAsync(new Model { PlatformId = platform.Id, Name = "m2" });
        await store.AddApiKeyAsync(new ApiKey { PlatformId = platform.Id, Value = "sk-0123456789" });

        var result = await store.DeletePlatformAsync(platform.Id);

        AssertRefused(result, ConfigWriteErrorKind.PlatformInUse, $"The platform {platform.Id} still has 2 model(s) and 1 key(s)");
        Assert.Equal((2, 1), (result.Error!.Models, result.Error.Keys));
        Assert.NotNull(await store.GetPlatformRowAsync(platform.Id));
    }

    [SkippableFact]
    public async Task DeletePlatform_WithCascade_DeletesItsModelsKeysAndHealthAndReportsThem()
    {
        var store = await OpenAsync();
        var platform = (await store.AddPlatformAsync(Platform("a"))).Value!;
        var model = (await store.AddModelAsync(new Model { PlatformId = platform.Item.Id, Name = "m" })).Value!.Item;
        await store.AddApiKeyAsync(new ApiKey { PlatformId = platform.Item.Id, Value = "sk-0123456789" });
        await _repository!.Health.SaveHealthAsync([new HealthState { ResourceKind = ResourceKind.Model, ResourceId = model.Id, Status = HealthStatus.Available }], default);

        var result = await store.DeletePlatformAsync(platform.Item.Id, cascade: true);

        Assert.True(result.Succeeded);
        Assert.Equal((platform, 1, 1), (result.Value.Row, result.Value.Models, result.Value.Keys));
        Assert.Empty(await store.ListModelRowsAsync());
        Assert.Empty(await store.ListApiKeyRowsAsync());
        Assert.Empty(await _repository.Health.GetAllHealthAsync(default));
        Assert.Null(await store.GetPlatformAsync(platform.Item.Id, default));
        AssertRefused(await store.DeletePlatformAsync(platform.Item.Id, cascade: true), ConfigWriteErrorKind.NotFound, $"No platform with id {platform.Item.Id}.");
    }

    private static Platform Platform(string name) => new() { Name = name, Format = "mock", BaseUrl = "mock://local" };

    private static void AssertRefused<T>(ConfigWriteResult<T> result, ConfigWriteErrorKind kind, string message)
        where T : class
    {
        Assert.False(result.Succeeded);
        Assert.Null(result.Value);
        Assert.Equal(kind, result.Error.Kind);
        Assert.StartsWith(message, result.Error.Message, StringComparison.Ordinal);
    }

    private static Task ImportAsync(IConfigStore store) => store.ImportConfigAsync(PortalConfigLoader.Parse(
        """{"platforms":[{"name":"cfg","format":"mock","baseUrl":"mock://local","models":["x"],"keys":[{"name":"main","value":"k-0123456789"}]}]}""",
        "portal.json"));

    private async Task<IConfigStore> OpenAsync()
    {
        var options = await CreateOptionsAsync();
        options.RetentionDays = 0;
        _repository = await EfPortalRepository.OpenAsync(options, timeProvider: _time);
        return _repository.Config;
    }
}

/// <summary><see cref="ConfigStoreTests"/> on a SQLite file.</summary>
public sealed class SqliteConfigStoreTests : ConfigStoreTests
{
    private readonly TempSqlite _database = new();

    protected override Task<StorageOptions> CreateOptionsAsync() => Task.FromResult(_database.CreateOptions());

    protected override ValueTask DisposeStoreAsync()
    {
        _database.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary><see cref="ConfigStoreTests"/> on a real PostgreSQL, one fresh database per test; skipped when <c>PORTAL_TEST_POSTGRES</c> is unset.</summary>
public sealed class PostgresConfigStoreTests : ConfigStoreTests
{
    private PostgresDatabase? _database;

    protected override async Task<StorageOptions> CreateOptionsAsync()
    {
        _database ??= await PostgresDatabase.CreateAsync();
        return _database.CreateOptions();
    }

    protected override async ValueTask DisposeStoreAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
