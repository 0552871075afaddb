using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Portal.Providers;

namespace Portal.Storage.Tests;

/// <summary>
/// The core of <see cref="EfPortalRepository"/> beyond the shared contract: admin writes, the configuration cache,
/// health upserts and migrations, run on each provider by a subclass.
/// </summary>
/// <remarks>Every test opens its repositories inside its body, so a provider that is unavailable skips instead of failing.</remarks>
public abstract class EfPortalRepositoryTests : IAsyncLifetime
{
    private readonly List<EfPortalRepository> _opened = [];

    /// <summary>Settings for this test's store (the same store on every call within one test); skips when the provider is unavailable.</summary>
    protected abstract Task<StorageOptions> CreateOptionsAsync();

    /// <summary>A context on this test's store that is not opened through the repository (no migration applied).</summary>
    private protected abstract Task<PortalDbContext> CreateBareContextAsync();

    /// <summary>Releases the store.</summary>
    protected abstract ValueTask DisposeStoreAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var repository in _opened)
        {
            await repository.DisposeAsync();
        }

        await DisposeStoreAsync();
    }

    // ---- Open ----

    [SkippableFact]
    public async Task Open_Twice_SecondOpenFindsTheDataAndMigratesNothing()
    {
        var firstLogs = new FakeLogCollector();
        using var firstLoggers = new LoggerFactory([new FakeLoggerProvider(firstLogs)]);
        var first = await OpenAsync(loggerFactory: firstLoggers);
        var platform = await first.AddPlatformAsync(NewPlatform("alpha"));
        await first.DisposeAsync();

        var secondLogs = new FakeLogCollector();
        using var secondLoggers = new LoggerFactory([new FakeLoggerProvider(secondLogs)]);
        var second = await OpenAsync(loggerFactory: secondLoggers);
        Assert.Equal(platform, await second.GetPlatformAsync(platform.Id, default));

        // With the schema current, EF Core's migrator does not run at all (it would build and diff the model snapshot).
        static bool Migrating(FakeLogRecord r) => r.Id.Id == RelationalEventId.MigrateUsingConnection.Id;
        Assert.Contains(firstLogs.GetSnapshot(), Migrating);
        Assert.DoesNotContain(secondLogs.GetSnapshot(), Migrating);
    }

    // ---- Admin writes ----

    [SkippableFact]
    public async Task AddPlatform_IdZero_DatabaseAssignsIncreasingIds()
    {
        var repository = await OpenAsync();

        var a = await repository.AddPlatformAsync(NewPlatform("alpha"));
        var b = await repository.AddPlatformAsync(NewPlatform("beta") with { RateLimit = new RateLimit { Rpm = 60, Tpm = 1000 }, Enabled = false });

        Assert.True(a.Id > 0);
        Assert.True(b.Id > a.Id);
        Assert.Equal(new RateLimit { Rpm = 60, Tpm = 1000 }, b.RateLimit);
        Assert.Equal([a, b], await repository.ListPlatformsAsync());
    }

    [SkippableFact]
    public async Task AddPlatform_ExplicitIdThenIdZero_NextIdIsPastTheExplicitOne()
    {
        var repository = await OpenAsync();

        await repository.AddPlatformAsync(NewPlatform("alpha") with { Id = 40 });
        var next = await repository.AddPlatformAsync(NewPlatform("beta"));

        Assert.Equal(41, next.Id);
    }

    [SkippableFact]
    public async Task AddPlatform_DuplicateNameOrId_ThrowsInvalidOperation()
    {
        var repository = await OpenAsync();
        var alpha = await repository.AddPlatformAsync(NewPlatform("alpha"));

        var byName = await Assert.ThrowsAsync<InvalidOperationException>(() => repository.AddPlatformAsync(NewPlatform("alpha")));
        Assert.Contains("'alpha' already exists", byName.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => repository.AddPlatformAsync(NewPlatform("beta") with { Id = alpha.Id }));
        Assert.Single(await repository.ListPlatformsAsync());
    }

    [SkippableFact]
    public async Task AddPlatform_EmptyName_ThrowsArgument()
    {
        var repository = await OpenAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => repository.AddPlatformAsync(NewPlatform(" ")));
    }

    [SkippableFact]
    public async Task UpdatePlatform_ChangesItAndRequestsSeeItAtOnce()
    {
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1));
        var alpha = await repository.AddPlatformAsync(NewPlatform("alpha"));

        var updated = await repository.UpdatePlatformAsync(alpha with { BaseUrl = "https://other.test", Enabled = false });

        Assert.Equal("https://other.test", updated.BaseUrl);
        Assert.Equal(updated, await repository.GetPlatformAsync(alpha.Id, default));
    }

    [SkippableFact]
    public async Task UpdatePlatform_Missing_ThrowsKeyNotFound_AndNameTaken_ThrowsInvalidOperation()
    {
        var repository = await OpenAsync();
        var alpha = await repository.AddPlatformAsync(NewPlatform("alpha"));
        await repository.AddPlatformAsync(NewPlatform("beta"));

        await Assert.ThrowsAsync<KeyNotFoundException>(() => repository.UpdatePlatformAsync(NewPlatform("gamma") with { Id = 999 }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => repository.UpdatePlatformAsync(alpha with { Name = "beta" }));
    }

    [SkippableFact]
    public async Task DeletePlatform_CascadesToModelsKeysAndTheirHealth()
    {
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1));
        var (alpha, model, key) = await SeedChannelAsync(repository, "alpha", "gpt-4o");
        var (beta, otherModel, otherKey) = await SeedChannelAsync(repository, "beta", "gpt-4o");
        await repository.SaveHealthAsync(
            [Health(ResourceKind.Platform, alpha.Id), Health(ResourceKind.Model, model.Id), Health(ResourceKind.ApiKey, key.Id), Health(ResourceKind.Platform, beta.Id)],
            default);

        Assert.True(await repository.DeletePlatformAsync(alpha.Id));
        Assert.False(await repository.DeletePlatformAsync(alpha.Id));

        Assert.Equal([beta], await repository.ListPlatformsAsync());
        Assert.Equal([otherModel], await repository.ListModelsAsync());
        Assert.Equal([otherKey], await repository.ListApiKeysAsync());
        Assert.Equal([otherModel], await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.Null(await repository.GetPlatformAsync(alpha.Id, default));
        Assert.Empty(await repository.GetApiKeysAsync(alpha.Id, default));
        var health = Assert.Single(await repository.GetAllHealthAsync(default));
        Assert.Equal((ResourceKind.Platform, beta.Id), (health.ResourceKind, health.ResourceId));
    }

    [SkippableFact]
    public async Task AddModel_MissingPlatformOrDuplicateName_ThrowsInvalidOperation()
    {
        var repository = await OpenAsync();
        var alpha = await repository.AddPlatformAsync(NewPlatform("alpha"));
        var beta = await repository.AddPlatformAsync(NewPlatform("beta"));
        await repository.AddModelAsync(new Model { PlatformId = alpha.Id, Name = "gpt-4o" });

        await Assert.ThrowsAsync<InvalidOperationException>(() => repository.AddModelAsync(new Model { PlatformId = 999, Name = "gpt-4o" }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => repository.AddModelAsync(new Model { PlatformId = alpha.Id, Name = "gpt-4o" }));
        var onBeta = await repository.AddModelAsync(new Model { PlatformId = beta.Id, Name = "gpt-4o", Alias = "" });

        Assert.Null(onBeta.Alias);
        Assert.Equal(2, (await repository.ListModelsAsync()).Count);
    }

    [SkippableFact]
    public async Task UpdateAndDeleteModel_AndKey_RequestsSeeTheChangeAtOnce()
    {
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1));
        var (alpha, model, key) = await SeedChannelAsync(repository, "alpha", "gpt-4o");

        var renamed = await repository.UpdateModelAsync(model with { Alias = "smart" });
        Assert.Equal([renamed], await repository.FindModelsByNameAsync("smart", default));

        var disabled = await repository.UpdateApiKeyAsync(key with { Enabled = false });
        Assert.Equal([disabled], await repository.GetApiKeysAsync(alpha.Id, default));

        Assert.True(await repository.DeleteApiKeyAsync(key.Id));
        Assert.Empty(await repository.GetApiKeysAsync(alpha.Id, default));
        Assert.True(await repository.DeleteModelAsync(model.Id));
        Assert.Empty(await repository.FindModelsByNameAsync("smart", default));
        Assert.False(await repository.DeleteModelAsync(model.Id));

        await Assert.ThrowsAsync<KeyNotFoundException>(() => repository.UpdateModelAsync(model));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => repository.UpdateApiKeyAsync(key));
        await Assert.ThrowsAsync<InvalidOperationException>(() => repository.AddApiKeyAsync(new ApiKey { PlatformId = 999, Value = "sk-x" }));
    }

    [SkippableFact]
    public async Task AddApiKey_DuplicateId_MessageNeverContainsTheValue()
    {
        var repository = await OpenAsync();
        var (alpha, _, key) = await SeedChannelAsync(repository, "alpha", "gpt-4o");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            repository.AddApiKeyAsync(new ApiKey { Id = key.Id, PlatformId = alpha.Id, Value = "sk-secret-value-1234" }));
        Assert.DoesNotContain("sk-secret", ex.Message, StringComparison.Ordinal);
    }

    // ---- Configuration cache ----

    [SkippableFact]
    public async Task RequestReads_NothingChanged_ReturnTheSameInstancesAcrossRefreshes()
    {
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1));
        var (alpha, _, _) = await SeedChannelAsync(repository, "alpha", "gpt-4o");

        var models = await repository.FindModelsByNameAsync("gpt-4o", default);
        var platform = await repository.GetPlatformAsync(alpha.Id, default);
        var keys = await repository.GetApiKeysAsync(alpha.Id, default);
        var snapshot = repository.CachedConfig;
        await repository.RefreshCacheAsync();
        repository.InvalidateCache();

        Assert.Same(models, await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.Same(platform, await repository.GetPlatformAsync(alpha.Id, default));
        Assert.Same(keys, await repository.GetApiKeysAsync(alpha.Id, default));
        Assert.Same(snapshot, repository.CachedConfig);
    }

    [SkippableFact]
    public async Task RequestReads_OtherPlatformChanged_UnrelatedListsKeepTheirInstances()
    {
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1));
        var (alpha, _, _) = await SeedChannelAsync(repository, "alpha", "gpt-4o");
        var (beta, _, _) = await SeedChannelAsync(repository, "beta", "claude");
        var gpt = await repository.FindModelsByNameAsync("gpt-4o", default);
        var alphaPlatform = await repository.GetPlatformAsync(alpha.Id, default);
        var alphaKeys = await repository.GetApiKeysAsync(alpha.Id, default);
        var claude = await repository.FindModelsByNameAsync("claude", default);

        await repository.UpdatePlatformAsync(beta with { BaseUrl = "https://moved.test" });
        await repository.AddApiKeyAsync(new ApiKey { PlatformId = beta.Id, Value = "sk-another-0123456789" });

        Assert.Same(gpt, await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.Same(alphaPlatform, await repository.GetPlatformAsync(alpha.Id, default));
        Assert.Same(alphaKeys, await repository.GetApiKeysAsync(alpha.Id, default));
        Assert.Same(claude, await repository.FindModelsByNameAsync("claude", default)); // the models themselves did not change
        Assert.Equal("https://moved.test", (await repository.GetPlatformAsync(beta.Id, default))!.BaseUrl);
        Assert.Equal(2, (await repository.GetApiKeysAsync(beta.Id, default)).Count);
    }

    [SkippableFact]
    public async Task RequestReads_TableChangedBehindTheRepository_ServeTheCacheUntilInvalidated()
    {
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1));
        var (alpha, model, _) = await SeedChannelAsync(repository, "alpha", "gpt-4o");
        await ExecuteAsync(repository, $"UPDATE models SET alias = 'smart' WHERE id = {model.Id}");

        Assert.Empty(await repository.FindModelsByNameAsync("smart", default));

        repository.InvalidateCache();

        Assert.Equal([model with { Alias = "smart" }], await repository.FindModelsByNameAsync("smart", default));
        Assert.NotNull(await repository.GetPlatformAsync(alpha.Id, default));
    }

    [SkippableFact]
    public async Task RequestReads_TtlPasses_SeeChangesMadeElsewhere()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var repository = await OpenAsync(ttl: TimeSpan.FromSeconds(5), time: time);
        var (_, model, _) = await SeedChannelAsync(repository, "alpha", "gpt-4o");
        var other = await OpenAsync(ttl: TimeSpan.FromHours(1)); // another replica on the same database
        await other.UpdateModelAsync(model with { Alias = "smart" });
        Assert.Empty(await repository.FindModelsByNameAsync("smart", default));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await repository.FindModelsByNameAsync("smart", default)).Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the TTL reload never ran");
            time.Advance(TimeSpan.FromSeconds(5));
            await Task.Delay(20);
        }
    }

    [SkippableFact]
    public async Task RequestReads_DatabaseUnreadable_ServeTheLastSnapshotAndRecover()
    {
        var logs = new FakeLogCollector();
        using var loggerFactory = new LoggerFactory([new FakeLoggerProvider(logs)]);
        var repository = await OpenAsync(ttl: TimeSpan.FromHours(1), loggerFactory: loggerFactory);
        var (alpha, model, key) = await SeedChannelAsync(repository, "alpha", "gpt-4o");
        var models = await repository.FindModelsByNameAsync("gpt-4o", default);

        // Breaks every configuration read without touching the data.
        await ExecuteAsync(repository, "ALTER TABLE models RENAME TO models_away");
        await Assert.ThrowsAnyAsync<DbException>(() => repository.RefreshCacheAsync());
        repository.InvalidateCache();
        Assert.Same(models, await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.Equal([key], await repository.GetApiKeysAsync(alpha.Id, default));
        Assert.Contains(logs.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Id.Id == 1003);

        await ExecuteAsync(repository, "ALTER TABLE models_away RENAME TO models");
        await repository.RefreshCacheAsync();
        Assert.Same(models, await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.Equal([model], models);
    }

    // ---- Health ----

    [SkippableFact]
    public async Task SaveHealth_InsertThenUpdate_OneRowPerResourceWithTheLatestValues()
    {
        var repository = await OpenAsync();
        var t = new DateTimeOffset(2026, 1, 10, 12, 0, 0, 123, TimeSpan.Zero);
        var warning = new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 7,
            Status = HealthStatus.Warning,
            RetryCount = 2,
            NextAvailableAt = t.AddSeconds(4),
            BackoffDuration = TimeSpan.FromSeconds(4),
            LastError = "rate limited",
            LastErrorCode = 429,
            LastCheckAt = t,
            LastSuccessAt = null,
            SuccessCount = 10,
            ErrorCount = 2,
        };
        var platform = Health(ResourceKind.Platform, 7);

        await repository.SaveHealthAsync([warning, platform], default);
        var recovered = warning with { Status = HealthStatus.Available, RetryCount = 0, NextAvailableAt = null, LastError = null, LastErrorCode = null, LastSuccessAt = t.AddSeconds(5), SuccessCount = 11 };
        await repository.SaveHealthAsync([recovered], default);

        var all = (await repository.GetAllHealthAsync(default)).OrderBy(h => h.ResourceKind).ToList();
        Assert.Equal([platform, recovered], all);
    }

    [SkippableFact]
    public async Task SaveHealth_BatchLargerThanOneStatement_SavesEveryRow()
    {
        var repository = await OpenAsync();
        var states = Enumerable.Range(1, 1234).Select(i => Health(ResourceKind.Model, i) with { LastError = new string('x', 3000) }).ToList();

        await repository.SaveHealthAsync(states, default);

        var all = await repository.GetAllHealthAsync(default);
        Assert.Equal(1234, all.Count);
        Assert.All(all, h => Assert.Equal(2000, h.LastError!.Length));
    }

    // ---- Migrations ----

    [SkippableFact]
    public async Task Model_HasNoChangesMissingFromTheMigrations()
    {
        await using var context = await CreateBareContextAsync();
        Assert.False(context.Database.HasPendingModelChanges());
    }

    [SkippableFact]
    public async Task Migrate_DatabaseAtInitialCreate_UpgradesWithoutLosingData()
    {
        await using (var context = await CreateBareContextAsync())
        {
            var first = context.Database.GetMigrations().First();
            Assert.EndsWith("_InitialCreate", first, StringComparison.Ordinal);
            await context.GetService<IMigrator>().MigrateAsync(first);
            Assert.Equal([first], await context.Database.GetAppliedMigrationsAsync());
            await ExecuteAsync(context,
                "INSERT INTO platforms (id, name, format, base_url, rpm, tpm, enabled, created_at, updated_at) VALUES (3, 'alpha', 'openai', 'https://a.test', 60, NULL, TRUE, 1, 2)",
                "INSERT INTO models (id, platform_id, name, alias, enabled, created_at, updated_at) VALUES (5, 3, 'gpt-4o', 'smart', FALSE, 1, 2)",
                "INSERT INTO api_keys (id, platform_id, value, enabled, created_at, updated_at) VALUES (9, 3, 'sk-old-0123456789', TRUE, 1, 2)",
                "INSERT INTO health (resource_kind, resource_id, status, retry_count, backoff_ms, last_check_at, success_count, error_count) VALUES (1, 9, 2, 1, 1000, 5, 3, 1)",
                "INSERT INTO request_stats (id, timestamp, is_stream, model_name, platform_id, api_key_id, model_id, duration_ms, success) VALUES ('0192a0b1c2d3e4f5a6b7c8d9e0f1a2b3', 5, TRUE, 'smart', 3, 9, 5, 12.5, TRUE)");
        }

        var repository = await OpenAsync();

        Assert.Equal([new Platform { Id = 3, Name = "alpha", Format = "openai", BaseUrl = "https://a.test", RateLimit = new RateLimit { Rpm = 60 } }], await repository.ListPlatformsAsync());
        Assert.Equal([new Model { Id = 5, PlatformId = 3, Name = "gpt-4o", Alias = "smart", Enabled = false }], await repository.FindModelsByNameAsync("smart", default));
        Assert.Equal([new ApiKey { Id = 9, PlatformId = 3, Value = "sk-old-0123456789" }], await repository.GetApiKeysAsync(3, default));
        Assert.Equal(3, Assert.Single(await repository.GetAllHealthAsync(default)).SuccessCount);
        await using (var context = repository.CreateContext())
        {
            Assert.Empty(await context.Database.GetPendingMigrationsAsync());
            Assert.Equal(1, await context.RequestStats.CountAsync());
            Assert.All(await context.Platforms.ToListAsync(), p => Assert.Equal("admin", p.Source));
            Assert.All(await context.ApiKeys.ToListAsync(), k => Assert.Equal(("admin", (string?)null), (k.Source, k.Name)));
        }

        // The upgraded tables take new rows.
        var beta = await repository.AddPlatformAsync(NewPlatform("beta"));
        await repository.AddApiKeyAsync(new ApiKey { PlatformId = beta.Id, Value = "sk-new-0123456789" });
        Assert.Equal(2, (await repository.ListPlatformsAsync()).Count);
    }

    [SkippableFact]
    public async Task Migrate_StatsWrittenBeforeRequestIds_ReadBackWithoutThemAndCountAsRequestsOfTheirOwn()
    {
        const string OldColumns = "id, timestamp, is_stream, model_name, platform_id, api_key_id, model_id, duration_ms, success";
        await using (var context = await CreateBareContextAsync())
        {
            var migrations = context.Database.GetMigrations().ToList();
            var added = migrations.FindIndex(m => m.EndsWith("_RequestIdAndAttempt", StringComparison.Ordinal));
            Assert.True(added > 0);
            await context.GetService<IMigrator>().MigrateAsync(migrations[added - 1]);
            await ExecuteAsync(context,
                $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000001', 5, FALSE, 'm', 3, 9, 5, 12.5, FALSE)",
                $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000002', 6, FALSE, 'm', 3, 9, 5, 10, TRUE)");
        }

        var repository = await OpenAsync();

        // A replica still on the previous version keeps inserting without the new columns during a rolling upgrade.
        await ExecuteAsync(repository, $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000003', 7, FALSE, 'm', 3, 9, 5, 10, TRUE)");
        var at = DateTimeOffset.FromUnixTimeMilliseconds(8);
        await repository.SaveRequestStatsAsync(
        [
            new RequestStat { Id = "00000000000000000000000000000004", Timestamp = at, RequestId = "0190000000000000000000000000000a", Attempt = 1, ModelName = "m" },
            new RequestStat { Id = "00000000000000000000000000000005", Timestamp = at, RequestId = "0190000000000000000000000000000a", Attempt = 2, ModelName = "m", Success = true },
        ], default);

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal(
            new (string?, int)[] { (null, 0), (null, 0), (null, 0), ("0190000000000000000000000000000a", 1), ("0190000000000000000000000000000a", 2) },
            rows.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => (r.RequestId, r.Attempt)));
        var counts = await repository.CountRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal((4, 3), (counts.TotalRequests, counts.SuccessRequests));
        Assert.Equal((5, 3), (counts.TotalAttempts, counts.SuccessAttempts));
    }

    [SkippableFact]
    public async Task Migrate_StatsWrittenBeforeProtocolAndCaller_ReadBackWithoutThemAndFilterOnlyNewRows()
    {
        const string OldColumns = "id, timestamp, is_stream, model_name, platform_id, api_key_id, model_id, duration_ms, success, request_id, attempt";
        await using (var context = await CreateBareContextAsync())
        {
            var migrations = context.Database.GetMigrations().ToList();
            var added = migrations.FindIndex(m => m.EndsWith("_ProtocolAndCaller", StringComparison.Ordinal));
            Assert.True(added > 0);
            await context.GetService<IMigrator>().MigrateAsync(migrations[added - 1]);
            await ExecuteAsync(context,
                $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000001', 5, FALSE, 'm', 3, 9, 5, 12.5, TRUE, '0190000000000000000000000000000a', 1)");
        }

        var repository = await OpenAsync();
        await using (var context = repository.CreateContext())
        {
            Assert.Empty(await context.Database.GetPendingMigrationsAsync());
        }

        // A replica still on the previous version keeps inserting without the new columns during a rolling upgrade.
        await ExecuteAsync(repository, $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000002', 6, FALSE, 'm', 3, 9, 5, 10, TRUE, '0190000000000000000000000000000b', 1)");
        await repository.SaveRequestStatsAsync(
        [
            new RequestStat { Id = "00000000000000000000000000000003", Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(7), RequestId = "0190000000000000000000000000000c", Attempt = 1, ModelName = "m", Success = true, Protocol = InboundProtocols.OpenAIChat, Caller = "client-1" },
        ], default);

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal(
            new (string?, string?)[] { (null, null), (null, null), (InboundProtocols.OpenAIChat, "client-1") },
            rows.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => (r.Protocol, r.Caller)));
        Assert.Equal(["00000000000000000000000000000003"], (await repository.QueryRequestStatsAsync(new StatsQuery { Caller = "client-1" }, default)).Select(r => r.Id));
        Assert.Equal(1, (await repository.CountRequestStatsAsync(new StatsQuery { Protocol = InboundProtocols.OpenAIChat }, default)).TotalRequests);
        Assert.Equal(3, (await repository.CountRequestStatsAsync(new StatsQuery(), default)).TotalRequests);
    }

    [SkippableFact]
    public async Task Migrate_RowsWrittenBeforeAnthropicFields_ReadBackWithNullsAndFilterAndSumOnlyNewValues()
    {
        const string OldColumns = "id, timestamp, is_stream, model_name, platform_id, api_key_id, model_id, duration_ms, success, prompt_tokens, request_id, attempt, protocol, caller";
        await using (var context = await CreateBareContextAsync())
        {
            var migrations = context.Database.GetMigrations().ToList();
            var added = migrations.FindIndex(m => m.EndsWith("_AnthropicFields", StringComparison.Ordinal));
            Assert.True(added > 0);
            await context.GetService<IMigrator>().MigrateAsync(migrations[added - 1]);
            await ExecuteAsync(context,
                "INSERT INTO platforms (id, name, format, base_url, rpm, enabled, created_at, updated_at) VALUES (3, 'alpha', 'openai', 'https://a.test', 60, TRUE, 1, 2)",
                $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000001', 5, FALSE, 'm', 3, 9, 5, 12.5, TRUE, 40, '0190000000000000000000000000000a', 1, 'openai-chat', 'client-1')");
        }

        var repository = await OpenAsync();
        await using (var context = repository.CreateContext())
        {
            Assert.Empty(await context.Database.GetPendingMigrationsAsync());
        }

        // A replica still on the previous version keeps inserting without the new columns during a rolling upgrade.
        await ExecuteAsync(repository, $"INSERT INTO request_stats ({OldColumns}) VALUES ('00000000000000000000000000000002', 6, FALSE, 'm', 3, 9, 5, 10, TRUE, 40, '0190000000000000000000000000000b', 1, 'openai-chat', 'client-1')");
        await repository.SaveRequestStatsAsync(
        [
            new RequestStat
            {
                Id = "00000000000000000000000000000003",
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(7),
                RequestId = "0190000000000000000000000000000c",
                Attempt = 1,
                ModelName = "m",
                PlatformId = 3,
                Success = true,
                PromptTokens = 100,
                CachedInputTokens = 60,
                CacheWriteTokens = 30,
                TargetFormat = PlatformFormats.OpenAI,
            },
        ], default);

        var old = new Platform { Id = 3, Name = "alpha", Format = "openai", BaseUrl = "https://a.test", RateLimit = new RateLimit { Rpm = 60 } };
        Assert.Equal([old], await repository.ListPlatformsAsync());
        var changed = await repository.UpdatePlatformAsync(old with { ApiVersion = "2023-06-01", DefaultMaxTokens = 1024 });
        Assert.Equal(changed, await repository.GetPlatformAsync(3, default));
        Assert.Equal(("2023-06-01", (int?)1024), (changed.ApiVersion, changed.DefaultMaxTokens));

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal(
            new (int?, int?, string?)[] { (null, null, null), (null, null, null), (60, 30, PlatformFormats.OpenAI) },
            rows.OrderBy(r => r.Id, StringComparer.Ordinal).Select(r => (r.CachedInputTokens, r.CacheWriteTokens, r.TargetFormat)));
        Assert.Equal(["00000000000000000000000000000003"], (await repository.QueryRequestStatsAsync(new StatsQuery { TargetFormat = PlatformFormats.OpenAI }, default)).Select(r => r.Id));
        Assert.Equal(1, (await repository.CountRequestStatsAsync(new StatsQuery { TargetFormat = PlatformFormats.OpenAI }, default)).TotalRequests);
        Assert.Equal(3, (await repository.CountRequestStatsAsync(new StatsQuery(), default)).TotalRequests);

        // The old rows' missing cache counts add nothing (on SQLite, read from the rebuilt covering indexes).
        foreach (var groupBy in new[] { StatsGroupBy.Model, StatsGroupBy.Platform })
        {
            var aggregate = Assert.Single(await repository.Stats.AggregateStatsAsync(new StatsAggregateQuery { GroupBy = groupBy }));
            Assert.Equal((3L, 180L, 60L, 30L), (aggregate.Attempts, aggregate.PromptTokens, aggregate.CachedInputTokens, aggregate.CacheWriteTokens));
        }
    }

    // ---- Helpers ----

    protected async Task<EfPortalRepository> OpenAsync(
        StorageOptions? options = null,
        TimeSpan? ttl = null,
        TimeProvider? time = null,
        ILoggerFactory? loggerFactory = null)
    {
        options ??= await CreateOptionsAsync();
        if (ttl is not null)
        {
            options.CacheTtl = ttl.Value;
        }

        var repository = await EfPortalRepository.OpenAsync(options, loggerFactory, time);
        _opened.Add(repository);
        return repository;
    }

    protected static Platform NewPlatform(string name) => new() { Name = name, Format = "openai", BaseUrl = $"https://{name}.test" };

    private static HealthState Health(ResourceKind kind, long id) => new()
    {
        ResourceKind = kind,
        ResourceId = id,
        Status = HealthStatus.Available,
        LastCheckAt = new DateTimeOffset(2026, 1, 10, 12, 0, 0, TimeSpan.Zero),
        SuccessCount = 1,
    };

    private static async Task<(Platform, Model, ApiKey)> SeedChannelAsync(EfPortalRepository repository, string platform, string model)
    {
        var p = await repository.AddPlatformAsync(NewPlatform(platform));
        var m = await repository.AddModelAsync(new Model { PlatformId = p.Id, Name = model });
        var k = await repository.AddApiKeyAsync(new ApiKey { PlatformId = p.Id, Value = $"sk-{platform}-0123456789abcdef" });
        return (p, m, k);
    }

    protected static async Task ExecuteAsync(EfPortalRepository repository, string sql)
    {
        await using var context = repository.CreateContext();
        await ExecuteAsync(context, sql);
    }

    protected static async Task ExecuteAsync(DbContext context, params string[] statements)
    {
        foreach (var sql in statements)
        {
            await context.Database.ExecuteSqlRawAsync(sql);
        }
    }

    protected static async Task<object?> ScalarAsync(DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
