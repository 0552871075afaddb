using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Portal.Storage.Configuration;
using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests;

/// <summary>The admin reads with source and timestamps, key values unique per platform, and stats per key (SQLite).</summary>
public sealed class AdminRowsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TempSqlite _database = new();
    private readonly FakeTimeProvider _time = new(Start);
    private EfPortalRepository _repository = null!;

    public async Task InitializeAsync() =>
        _repository = await EfPortalRepository.OpenAsync(_database.CreateOptions(), timeProvider: _time);

    public async Task DisposeAsync()
    {
        await _repository.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task CountStats_Called_LogsNoWarning()
    {
        using var database = new TempSqlite();
        var collector = new Microsoft.Extensions.Logging.Testing.FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(new Microsoft.Extensions.Logging.Testing.FakeLoggerProvider(collector)));
        await using var repository = await EfPortalRepository.OpenAsync(database.CreateOptions(), loggerFactory);

        await repository.CountRequestStatsAsync(new StatsQuery(), CancellationToken.None);

        // The admin API counts on every page; EF Core's warning about First without OrderBy would flood the log.
        Assert.DoesNotContain(collector.GetSnapshot(), r => r.Level >= LogLevel.Warning);
    }

    [Fact]
    public async Task ListRows_ConfigAndAdminRows_ReportEachSourceAndTimes()
    {
        await ImportAsync("""{"platforms":[{"name":"cfg","format":"mock","baseUrl":"mock://local","models":["x"],"keys":[{"name":"main","value":"k-0123456789"}]}]}""");
        _time.Advance(TimeSpan.FromMinutes(1));
        var admin = await _repository.AddPlatformAsync(new Platform { Name = "adm", Format = "mock", BaseUrl = "mock://local" });
        await _repository.AddModelAsync(new Model { PlatformId = admin.Id, Name = "y" });
        await _repository.AddApiKeyAsync(new ApiKey { PlatformId = admin.Id, Value = "k-admin-0123456789" });

        var platforms = await _repository.ListPlatformRowsAsync();
        var models = await _repository.ListModelRowsAsync();
        var keys = await _repository.ListApiKeyRowsAsync();

        Assert.Equal([("cfg", RowSources.Config), ("adm", RowSources.Admin)], platforms.Select(p => (p.Item.Name, p.Source)));
        Assert.Equal([("x", RowSources.Config), ("y", RowSources.Admin)], models.Select(m => (m.Item.Name, m.Source)));
        Assert.Equal([("main", RowSources.Config), (null, RowSources.Admin)], keys.Select(k => (k.KeyName, k.Source)));
        Assert.Equal(Start, platforms[0].CreatedAt);
        Assert.Equal(Start.AddMinutes(1), platforms[1].CreatedAt);
        Assert.Equal(Start.AddMinutes(1), platforms[1].UpdatedAt);
        Assert.Null(platforms[0].KeyName);
    }

    [Fact]
    public async Task ListRows_PlatformFilter_ReturnsOnlyThatPlatformsRows()
    {
        var a = await _repository.AddPlatformAsync(new Platform { Name = "a", Format = "mock", BaseUrl = "mock://local" });
        var b = await _repository.AddPlatformAsync(new Platform { Name = "b", Format = "mock", BaseUrl = "mock://local" });
        await _repository.AddModelAsync(new Model { PlatformId = a.Id, Name = "x" });
        var bModel = await _repository.AddModelAsync(new Model { PlatformId = b.Id, Name = "x" });
        await _repository.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "k-a-0123456789" });
        var bKey = await _repository.AddApiKeyAsync(new ApiKey { PlatformId = b.Id, Value = "k-b-0123456789" });

        Assert.Equal(bModel, Assert.Single(await _repository.ListModelRowsAsync(b.Id)).Item);
        Assert.Equal(bKey, Assert.Single(await _repository.ListApiKeyRowsAsync(b.Id)).Item);
        Assert.Empty(await _repository.ListModelRowsAsync(999));
    }

    [Fact]
    public async Task GetRow_ExistingAndUnknownIds_ReturnsTheRowOrNull()
    {
        var platform = await _repository.AddPlatformAsync(new Platform { Name = "a", Format = "mock", BaseUrl = "mock://local" });
        var model = await _repository.AddModelAsync(new Model { PlatformId = platform.Id, Name = "x", Alias = "fast" });
        var key = await _repository.AddApiKeyAsync(new ApiKey { PlatformId = platform.Id, Value = "k-0123456789" });
        _time.Advance(TimeSpan.FromSeconds(30));
        await _repository.UpdateModelAsync(model with { Enabled = false });

        Assert.Equal(platform, (await _repository.GetPlatformRowAsync(platform.Id))!.Item);
        var modelRow = (await _repository.GetModelRowAsync(model.Id))!;
        Assert.False(modelRow.Item.Enabled);
        Assert.Equal(Start, modelRow.CreatedAt);
        Assert.Equal(Start.AddSeconds(30), modelRow.UpdatedAt);
        Assert.Equal(key, (await _repository.GetApiKeyRowAsync(key.Id))!.Item);
        Assert.Null(await _repository.GetPlatformRowAsync(999));
        Assert.Null(await _repository.GetModelRowAsync(999));
        Assert.Null(await _repository.GetApiKeyRowAsync(999));
    }

    [Fact]
    public async Task AddApiKey_SameValueOnThePlatform_ThrowsWithoutTheValue()
    {
        var a = await _repository.AddPlatformAsync(new Platform { Name = "a", Format = "mock", BaseUrl = "mock://local" });
        var b = await _repository.AddPlatformAsync(new Platform { Name = "b", Format = "mock", BaseUrl = "mock://local" });
        await _repository.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "sk-same-0123456789" });

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => _repository.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "sk-same-0123456789" }));
        await _repository.AddApiKeyAsync(new ApiKey { PlatformId = b.Id, Value = "sk-same-0123456789" });

        Assert.DoesNotContain("0123456789", ex.Message);
        Assert.Equal(2, (await _repository.ListApiKeysAsync()).Count);
    }

    [Fact]
    public async Task UpdateApiKey_ToAnotherKeysValue_ThrowsAndKeepingItsOwnValueDoesNot()
    {
        var a = await _repository.AddPlatformAsync(new Platform { Name = "a", Format = "mock", BaseUrl = "mock://local" });
        await _repository.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "sk-one-0123456789" });
        var two = await _repository.AddApiKeyAsync(new ApiKey { PlatformId = a.Id, Value = "sk-two-0123456789" });

        await Assert.ThrowsAsync<InvalidOperationException>(() => _repository.UpdateApiKeyAsync(two with { Value = "sk-one-0123456789" }));
        var disabled = await _repository.UpdateApiKeyAsync(two with { Enabled = false });

        Assert.Equal("sk-two-0123456789", disabled.Value);
    }

    [Fact]
    public async Task AggregateStats_ByApiKey_OneAggregatePerKeyInTheRange()
    {
        await _repository.SaveRequestStatsAsync(
        [
            Stat("1", Start.AddMinutes(1), apiKeyId: 7, success: true, durationMs: 100, promptTokens: 3),
            Stat("2", Start.AddMinutes(2), apiKeyId: 7, success: false, durationMs: 300, promptTokens: null),
            Stat("3", Start.AddMinutes(3), apiKeyId: 7, success: true, durationMs: 200, promptTokens: 4),
            Stat("4", Start.AddMinutes(4), apiKeyId: 2, success: true, durationMs: 50, promptTokens: 1),
            Stat("5", Start.AddHours(5), apiKeyId: 9, success: true, durationMs: 10, promptTokens: 1),
        ], CancellationToken.None);

        var groups = await _repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = Start, EndTime = Start.AddHours(1), GroupBy = StatsGroupBy.ApiKey });

        Assert.Equal([2L, 7L], groups.Select(g => g.ApiKeyId!.Value));
        var seven = groups[1];
        Assert.Equal(3, seven.Requests);
        Assert.Equal(2, seven.Successes);
        Assert.Equal(1 / 3.0, seven.ErrorRate, 6);
        Assert.Equal(200, seven.P50DurationMs);
        Assert.Equal(300, seven.P95DurationMs);
        Assert.Equal(7, seven.PromptTokens);
        Assert.Null(seven.ModelName);
        Assert.Null(seven.PlatformId);
    }

    [Fact]
    public async Task AggregateStats_ByApiKeyEndBeforeStart_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = Start, EndTime = Start.AddSeconds(-1), GroupBy = StatsGroupBy.ApiKey }));
    }

    private async Task ImportAsync(string json)
    {
        var path = Path.Combine(_database.DirectoryPath, "portal.json");
        await File.WriteAllTextAsync(path, json);
        await _repository.ImportConfigAsync(PortalConfigLoader.Load(path));
    }

    private static RequestStat Stat(string id, DateTimeOffset time, long apiKeyId, bool success, double durationMs, int? promptTokens) => new()
    {
        Id = id,
        Timestamp = time,
        ModelName = "m",
        PlatformId = 1,
        ApiKeyId = apiKeyId,
        ModelId = 1,
        Success = success,
        Duration = TimeSpan.FromMilliseconds(durationMs),
        PromptTokens = promptTokens,
    };
}
