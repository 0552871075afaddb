using Microsoft.EntityFrameworkCore;
using Portal.Storage.Configuration;
using Portal.Storage.Configuration.Internal;
using Portal.Storage.Entities;

namespace Portal.Storage.Tests.Configuration;

/// <summary>The import rules, run on SQLite through the context overload (no repository needed).</summary>
public sealed class ConfigImportTests : IDisposable
{
    private const string TwoPlatforms = """
        {
          "platforms": [
            {
              "name": "openai", "format": "openai", "baseUrl": "https://api.openai.com/v1",
              "rateLimit": { "rpm": 500 },
              "models": [ { "name": "gpt-4o-mini", "alias": "fast" }, "gpt-4o" ],
              "keys": [ "sk-openai-one-000000001", { "name": "backup", "value": "sk-openai-two-000000002" } ]
            },
            {
              "name": "deepseek", "format": "openai", "baseUrl": "https://api.deepseek.com/v1",
              "models": [ "deepseek-chat" ],
              "keys": [ "sk-deepseek-00000000003" ]
            }
          ]
        }
        """;

    private readonly ConfigTestDatabase _db = new();

    public void Dispose() => _db.Dispose();

    [Fact]
    public async Task Import_IntoEmptyDatabase_AddsEveryRowAsConfig()
    {
        var result = await _db.ImportAsync(TwoPlatforms);

        Assert.Equal(new ConfigImportResult { Added = 2 + 3 + 3 }, result);
        var (platforms, models, keys) = await _db.ReadAllAsync();
        Assert.Equal(["openai", "deepseek"], platforms.Select(p => p.Name));
        Assert.Equal(500, platforms[0].Rpm);
        Assert.Null(platforms[0].Tpm);
        Assert.Equal(["gpt-4o-mini", "gpt-4o", "deepseek-chat"], models.Select(m => m.Name));
        Assert.Equal([platforms[0].Id, platforms[0].Id, platforms[1].Id], models.Select(m => m.PlatformId));
        Assert.Equal("fast", models[0].Alias);
        Assert.Equal([null, "backup", null], keys.Select(k => k.Name));
        Assert.Equal([platforms[0].Id, platforms[0].Id, platforms[1].Id], keys.Select(k => k.PlatformId));
        AssertAll(platforms, models, keys, source: RowSource.Config, enabled: true, createdAt: _db.Now, updatedAt: _db.Now);
    }

    [Fact]
    public async Task Import_SameFileTwice_SecondWritesNothing()
    {
        await _db.ImportAsync(TwoPlatforms);
        var before = await _db.ReadAllAsync();
        var importedAt = _db.Now;
        _db.Time.Advance(TimeSpan.FromHours(1));
        _db.Commands.Clear();

        var result = await _db.ImportAsync(TwoPlatforms);

        Assert.Equal(new ConfigImportResult { Unchanged = 8 }, result);
        Assert.False(result.HasChanges);
        Assert.Empty(_db.Commands.Writes);
        var (platforms, models, keys) = await _db.ReadAllAsync();
        AssertAll(platforms, models, keys, source: RowSource.Config, enabled: true, createdAt: importedAt, updatedAt: importedAt);
        Assert.Equal(before.Platforms.Select(p => p.Id), platforms.Select(p => p.Id));
        Assert.Equal(before.Models.Select(m => m.Id), models.Select(m => m.Id));
        Assert.Equal(before.Keys.Select(k => k.Id), keys.Select(k => k.Id));
    }

    [Fact]
    public async Task Import_ChangedFile_UpdatesOnlyWhatChanged()
    {
        await _db.ImportAsync(TwoPlatforms);
        var before = await _db.ReadAllAsync();
        var firstImport = _db.Now;
        _db.Time.Advance(TimeSpan.FromMinutes(5));
        var changed = TwoPlatforms
            .Replace("https://api.openai.com/v1", "https://proxy.example.com/v1", StringComparison.Ordinal) // platform
            .Replace("\"rpm\": 500", "\"rpm\": 600, \"tpm\": 100000", StringComparison.Ordinal)             // same platform
            .Replace("\"alias\": \"fast\"", "\"alias\": \"quick\"", StringComparison.Ordinal)               // model
            .Replace("sk-openai-two-000000002", "sk-openai-two-rotated-02", StringComparison.Ordinal);      // named key

        var result = await _db.ImportAsync(changed);

        Assert.Equal(new ConfigImportResult { Updated = 3, Unchanged = 5 }, result);
        var (platforms, models, keys) = await _db.ReadAllAsync();
        Assert.Equal(before.Platforms.Select(p => p.Id), platforms.Select(p => p.Id));
        Assert.Equal(before.Models.Select(m => m.Id), models.Select(m => m.Id));
        Assert.Equal(before.Keys.Select(k => k.Id), keys.Select(k => k.Id));

        Assert.Equal("https://proxy.example.com/v1", platforms[0].BaseUrl);
        Assert.Equal((600, 100000), (platforms[0].Rpm, platforms[0].Tpm));
        Assert.Equal("quick", models[0].Alias);
        Assert.Equal("sk-openai-two-rotated-02", keys[1].Value);
        Assert.Equal(
            [_db.Now, firstImport],
            platforms.Select(p => p.UpdatedAt));
        Assert.Equal([_db.Now, firstImport, firstImport], models.Select(m => m.UpdatedAt));
        Assert.Equal([firstImport, _db.Now, firstImport], keys.Select(k => k.UpdatedAt));
        Assert.All(platforms, p => Assert.Equal(firstImport, p.CreatedAt));
    }

    [Fact]
    public async Task Import_ApiVersionAndDefaultMaxTokens_AreStoredChangedAndClearedWithTheFile()
    {
        const string withFields = """{ "platforms": [ { "name": "p", "format": "openai", "baseUrl": "https://p.example", "apiVersion": "2023-06-01", "defaultMaxTokens": 8192 } ] }""";
        var added = await _db.ImportAsync(withFields);
        var stored = Assert.Single((await _db.ReadAllAsync()).Platforms);
        Assert.Equal(new ConfigImportResult { Added = 1 }, added);
        Assert.Equal(("2023-06-01", (int?)8192), (stored.ApiVersion, stored.DefaultMaxTokens));
        Assert.Equal(new ConfigImportResult { Unchanged = 1 }, await _db.ImportAsync(withFields));

        var newVersion = await _db.ImportAsync(withFields.Replace("2023-06-01", "2024-01-01", StringComparison.Ordinal));
        Assert.Equal(new ConfigImportResult { Updated = 1 }, newVersion);
        Assert.Equal("2024-01-01", Assert.Single((await _db.ReadAllAsync()).Platforms).ApiVersion);

        var newMaxTokens = await _db.ImportAsync(withFields.Replace("2023-06-01", "2024-01-01", StringComparison.Ordinal).Replace("8192", "1024", StringComparison.Ordinal));
        Assert.Equal(new ConfigImportResult { Updated = 1 }, newMaxTokens);
        Assert.Equal(1024, Assert.Single((await _db.ReadAllAsync()).Platforms).DefaultMaxTokens);

        var removed = await _db.ImportAsync("""{ "platforms": [ { "name": "p", "format": "openai", "baseUrl": "https://p.example" } ] }""");
        var cleared = Assert.Single((await _db.ReadAllAsync()).Platforms);
        Assert.Equal(new ConfigImportResult { Updated = 1 }, removed);
        Assert.Equal(((string?)null, (int?)null), (cleared.ApiVersion, cleared.DefaultMaxTokens));
        Assert.Equal(stored.Id, cleared.Id);
    }

    [Fact]
    public async Task Import_UnnamedKeyWithNewValue_AddsANewKeyAndDisablesTheOld()
    {
        await _db.ImportAsync(TwoPlatforms);
        var oldId = (await _db.ReadAllAsync()).Keys[0].Id;

        var result = await _db.ImportAsync(TwoPlatforms.Replace("sk-openai-one-000000001", "sk-openai-one-rotated-1", StringComparison.Ordinal));

        Assert.Equal(new ConfigImportResult { Added = 1, Disabled = 1, Unchanged = 7 }, result);
        var keys = (await _db.ReadAllAsync()).Keys;
        var old = Assert.Single(keys, k => k.Id == oldId);
        Assert.False(old.Enabled);
        Assert.Equal("sk-openai-one-000000001", old.Value);
        Assert.True(Assert.Single(keys, k => k.Value == "sk-openai-one-rotated-1").Enabled);
    }

    [Fact]
    public async Task Import_RowsRemovedFromTheFile_AreDisabledNotDeleted()
    {
        await _db.ImportAsync(TwoPlatforms);
        var before = await _db.ReadAllAsync();
        _db.Time.Advance(TimeSpan.FromMinutes(5));
        const string onlyOpenAiWithout4oAndBackup = """
            { "platforms": [ {
              "name": "openai", "format": "openai", "baseUrl": "https://api.openai.com/v1", "rateLimit": { "rpm": 500 },
              "models": [ { "name": "gpt-4o-mini", "alias": "fast" } ],
              "keys": [ "sk-openai-one-000000001" ]
            } ] }
            """;

        var result = await _db.ImportAsync(onlyOpenAiWithout4oAndBackup);

        // Disabled: gpt-4o, the backup key, and the deepseek platform with its model and key.
        Assert.Equal(new ConfigImportResult { Disabled = 5, Unchanged = 3 }, result);
        var (platforms, models, keys) = await _db.ReadAllAsync();
        Assert.Equal(before.Platforms.Select(p => p.Id), platforms.Select(p => p.Id));
        Assert.Equal(before.Models.Select(m => m.Id), models.Select(m => m.Id));
        Assert.Equal(before.Keys.Select(k => k.Id), keys.Select(k => k.Id));
        Assert.Equal([true, false], platforms.Select(p => p.Enabled));
        Assert.Equal([true, false, false], models.Select(m => m.Enabled));
        Assert.Equal([true, false, false], keys.Select(k => k.Enabled));
        Assert.Equal(_db.Now, platforms[1].UpdatedAt);
        Assert.Equal(RowSource.Config, platforms[1].Source);

        // Importing the shorter file again changes nothing: the disabled rows stay as they are.
        _db.Commands.Clear();
        Assert.Equal(new ConfigImportResult { Unchanged = 3 }, await _db.ImportAsync(onlyOpenAiWithout4oAndBackup));
        Assert.Empty(_db.Commands.Writes);
    }

    [Fact]
    public async Task Import_RemovedRowsComingBack_AreEnabledAgainWithTheirIds()
    {
        await _db.ImportAsync(TwoPlatforms);
        var before = await _db.ReadAllAsync();
        await _db.ImportAsync("""{ "platforms": [] }""");
        Assert.All((await _db.ReadAllAsync()).Platforms, p => Assert.False(p.Enabled));

        var result = await _db.ImportAsync(TwoPlatforms);

        Assert.Equal(new ConfigImportResult { Updated = 8 }, result);
        var (platforms, models, keys) = await _db.ReadAllAsync();
        Assert.Equal(before.Platforms.Select(p => p.Id), platforms.Select(p => p.Id));
        Assert.Equal(before.Models.Select(m => m.Id), models.Select(m => m.Id));
        Assert.Equal(before.Keys.Select(k => k.Id), keys.Select(k => k.Id));
        Assert.All(platforms, p => Assert.True(p.Enabled));
        Assert.All(models, m => Assert.True(m.Enabled));
        Assert.All(keys, k => Assert.True(k.Enabled));
    }

    [Fact]
    public async Task Import_DisabledInTheFile_StoresTheRowDisabled()
    {
        var json = TwoPlatforms.Replace("\"gpt-4o\"", "{ \"name\": \"gpt-4o\", \"enabled\": false }", StringComparison.Ordinal);

        await _db.ImportAsync(json);

        Assert.Equal([true, false, true], (await _db.ReadAllAsync()).Models.Select(m => m.Enabled));
        Assert.Equal(new ConfigImportResult { Unchanged = 8 }, await _db.ImportAsync(json));
    }

    [Fact]
    public async Task Import_AdminRowsNotInTheFile_AreNeverTouched()
    {
        await _db.ImportAsync(TwoPlatforms);
        var openAiId = (await _db.ReadAllAsync()).Platforms[0].Id;
        long adminPlatformId;
        using (var context = _db.CreateContext())
        {
            var adminPlatform = new PlatformEntity { Name = "admin-made", Format = "openai", BaseUrl = "https://admin.example", CreatedAt = 1, UpdatedAt = 1 };
            context.Platforms.Add(adminPlatform);
            await context.SaveChangesAsync();
            adminPlatformId = adminPlatform.Id;
            context.Models.AddRange(
                new ModelEntity { PlatformId = adminPlatformId, Name = "admin-model", CreatedAt = 1, UpdatedAt = 1 },
                new ModelEntity { PlatformId = openAiId, Name = "admin-model-on-config-platform", CreatedAt = 1, UpdatedAt = 1 });
            context.ApiKeys.AddRange(
                new ApiKeyEntity { PlatformId = adminPlatformId, Value = "sk-admin-key-0000000001", CreatedAt = 1, UpdatedAt = 1 },
                new ApiKeyEntity { PlatformId = openAiId, Name = "admin-named", Value = "sk-admin-key-0000000002", CreatedAt = 1, UpdatedAt = 1 });
            await context.SaveChangesAsync();
        }

        var before = await _db.ReadAllAsync();
        _db.Time.Advance(TimeSpan.FromMinutes(5));

        // Everything the file made is removed; the admin's rows stay exactly as they were.
        var result = await _db.ImportAsync("""{ "platforms": [] }""");

        Assert.Equal(new ConfigImportResult { Disabled = 8 }, result);
        var after = await _db.ReadAllAsync();
        AssertSameAdminRows(before, after);
        Assert.True(Assert.Single(after.Platforms, p => p.Id == adminPlatformId).Enabled);

        // And a full import again leaves them alone too.
        Assert.Equal(new ConfigImportResult { Updated = 8 }, await _db.ImportAsync(TwoPlatforms));
        AssertSameAdminRows(before, await _db.ReadAllAsync());
    }

    [Fact]
    public async Task Import_FileListsAnAdminRow_TakesItOverKeepingItsId()
    {
        long platformId, modelId, namedKeyId, unnamedKeyId;
        using (var context = _db.CreateContext())
        {
            var platform = new PlatformEntity { Name = "openai", Format = "openai", BaseUrl = "https://old.example", CreatedAt = 1, UpdatedAt = 1 };
            context.Platforms.Add(platform);
            await context.SaveChangesAsync();
            var model = new ModelEntity { PlatformId = platform.Id, Name = "gpt-4o", CreatedAt = 1, UpdatedAt = 1 };
            var named = new ApiKeyEntity { PlatformId = platform.Id, Name = "backup", Value = "sk-admin-old-0000000001", CreatedAt = 1, UpdatedAt = 1 };
            var unnamed = new ApiKeyEntity { PlatformId = platform.Id, Value = "sk-openai-one-000000001", CreatedAt = 1, UpdatedAt = 1 };
            context.AddRange(model, named, unnamed);
            await context.SaveChangesAsync();
            (platformId, modelId, namedKeyId, unnamedKeyId) = (platform.Id, model.Id, named.Id, unnamed.Id);
        }

        var result = await _db.ImportAsync(TwoPlatforms);

        // Taken over: the platform, gpt-4o and both keys (by name and by value). Added: gpt-4o-mini and deepseek's three rows.
        Assert.Equal(new ConfigImportResult { Added = 4, Updated = 4 }, result);
        var (platforms, models, keys) = await _db.ReadAllAsync();
        var openai = Assert.Single(platforms, p => p.Id == platformId);
        Assert.Equal(("https://api.openai.com/v1", RowSource.Config, 1L, _db.Now), (openai.BaseUrl, openai.Source, openai.CreatedAt, openai.UpdatedAt));
        Assert.Equal(RowSource.Config, Assert.Single(models, m => m.Id == modelId).Source);
        var namedKey = Assert.Single(keys, k => k.Id == namedKeyId);
        Assert.Equal(("sk-openai-two-000000002", RowSource.Config), (namedKey.Value, namedKey.Source));
        Assert.Equal(RowSource.Config, Assert.Single(keys, k => k.Id == unnamedKeyId).Source);
        Assert.Equal(3, keys.Count);

        // From now on the file manages them: removed from the file, they are disabled like any config row.
        await _db.ImportAsync("""{ "platforms": [] }""");
        Assert.False((await _db.ReadAllAsync()).Platforms.Single(p => p.Id == platformId).Enabled);
    }

    [Fact]
    public async Task Import_EnvKeys_StoreTheVariableValueAndFollowItsChanges()
    {
        const string json = """
            { "platforms": [ {
              "name": "openai", "format": "openai", "baseUrl": "https://api.openai.com/v1",
              "keys": [ "env:PRIMARY", { "name": "backup", "value": "env:BACKUP" } ]
            } ] }
            """;
        var environment = new Dictionary<string, string> { ["PRIMARY"] = "sk-primary-000000000001", ["BACKUP"] = "sk-backup-0000000000001" };

        await _db.ImportAsync(json, environment.GetValueOrDefault);
        var first = (await _db.ReadAllAsync()).Keys;
        Assert.Equal(["sk-primary-000000000001", "sk-backup-0000000000001"], first.Select(k => k.Value));

        // Same variables: nothing changes.
        Assert.Equal(new ConfigImportResult { Unchanged = 3 }, await _db.ImportAsync(json, environment.GetValueOrDefault));

        // Rotated secrets: the named key is updated in place, the unnamed one is replaced.
        environment["PRIMARY"] = "sk-primary-000000000002";
        environment["BACKUP"] = "sk-backup-0000000000002";
        var result = await _db.ImportAsync(json, environment.GetValueOrDefault);

        Assert.Equal(new ConfigImportResult { Added = 1, Updated = 1, Disabled = 1, Unchanged = 1 }, result);
        var keys = (await _db.ReadAllAsync()).Keys;
        Assert.Equal(3, keys.Count);
        var backup = Assert.Single(keys, k => k.Name == "backup");
        Assert.Equal((first[1].Id, "sk-backup-0000000000002"), (backup.Id, backup.Value));
        Assert.False(Assert.Single(keys, k => k.Value == "sk-primary-000000000001").Enabled);
        Assert.True(Assert.Single(keys, k => k.Value == "sk-primary-000000000002").Enabled);
    }

    [Fact]
    public async Task Import_ExampleFile_ImportsAndIsIdempotent()
    {
        var environment = new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = "sk-openai-primary-0001",
            ["OPENAI_API_KEY_2"] = "sk-openai-backup-0002",
            ["DEEPSEEK_API_KEY"] = "sk-deepseek-0003",
        };
        var json = await File.ReadAllTextAsync(PortalConfigLoaderTests.FindExampleFile());

        var first = await _db.ImportAsync(json, environment.GetValueOrDefault);
        var second = await _db.ImportAsync(json, environment.GetValueOrDefault);

        Assert.Equal(3 + 6 + 4, first.Added);
        Assert.Equal(new ConfigImportResult { Unchanged = first.Added }, second);
    }

    [Fact]
    public async Task Import_FailingMidway_LeavesNothingHalfWritten()
    {
        await _db.ImportAsync(TwoPlatforms);
        var before = await _db.ReadAllAsync();
        _db.Time.Advance(TimeSpan.FromMinutes(5));

        // The platforms are saved first (their new ids are needed), then the models: make the model insert fail.
        using (var context = _db.CreateContext())
        {
            await context.Database.ExecuteSqlRawAsync("CREATE TRIGGER fail_model_insert BEFORE INSERT ON models BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
        }

        var changed = TwoPlatforms
            .Replace("https://api.openai.com/v1", "https://proxy.example.com/v1", StringComparison.Ordinal)
            .Replace("\"platforms\": [", """
                "platforms": [ { "name": "new-platform", "format": "openai", "baseUrl": "https://new.example", "models": [ "new-model" ] },
                """, StringComparison.Ordinal)
            .Replace("\"keys\": [ \"sk-deepseek-00000000003\" ]", "\"keys\": []", StringComparison.Ordinal);

        var ex = await Assert.ThrowsAnyAsync<DbUpdateException>(() => _db.ImportAsync(changed));

        Assert.Contains("injected failure", ex.InnerException?.Message, StringComparison.Ordinal);
        var after = await _db.ReadAllAsync();
        Assert.Equivalent(before, after, strict: true);
    }

    [Fact]
    public async Task Import_Cancelled_WritesNothing()
    {
        await _db.ImportAsync(TwoPlatforms);
        var before = await _db.ReadAllAsync();
        var file = PortalConfigLoader.Parse("""{ "platforms": [] }""", "portal.json");
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        using (var context = _db.CreateContext())
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                ConfigImport.RunAsync(context, file, _db.Now, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, cancellation.Token));
        }

        Assert.Equivalent(before, await _db.ReadAllAsync(), strict: true);
    }

    private static void AssertAll(List<PlatformEntity> platforms, List<ModelEntity> models, List<ApiKeyEntity> keys, string source, bool enabled, long createdAt, long updatedAt)
    {
        Assert.All(platforms, p => Assert.Equal((source, enabled, createdAt, updatedAt), (p.Source, p.Enabled, p.CreatedAt, p.UpdatedAt)));
        Assert.All(models, m => Assert.Equal((source, enabled, createdAt, updatedAt), (m.Source, m.Enabled, m.CreatedAt, m.UpdatedAt)));
        Assert.All(keys, k => Assert.Equal((source, enabled, createdAt, updatedAt), (k.Source, k.Enabled, k.CreatedAt, k.UpdatedAt)));
    }

    private static void AssertSameAdminRows(
        (List<PlatformEntity> Platforms, List<ModelEntity> Models, List<ApiKeyEntity> Keys) before,
        (List<PlatformEntity> Platforms, List<ModelEntity> Models, List<ApiKeyEntity> Keys) after)
    {
        Assert.Equivalent(before.Platforms.Where(p => p.Source == RowSource.Admin), after.Platforms.Where(p => p.Source == RowSource.Admin), strict: true);
        Assert.Equivalent(before.Models.Where(m => m.Source == RowSource.Admin), after.Models.Where(m => m.Source == RowSource.Admin), strict: true);
        Assert.Equivalent(before.Keys.Where(k => k.Source == RowSource.Admin), after.Keys.Where(k => k.Source == RowSource.Admin), strict: true);
        Assert.Equal(2, after.Models.Count(m => m.Source == RowSource.Admin));
        Assert.Equal(2, after.Keys.Count(k => k.Source == RowSource.Admin));
    }
}
