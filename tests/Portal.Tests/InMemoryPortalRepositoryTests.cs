namespace Portal.Tests;

public sealed class InMemoryPortalRepositoryTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly InMemoryPortalRepository _repository = new();

    [Fact]
    public async Task FindModelsByNameAsync_ByNameOrAlias_FindsModel()
    {
        AddPlatform(1);
        _repository.Add(new Model { Id = 10, PlatformId = 1, Name = "gpt-4o-2024", Alias = "gpt-4o" });

        Assert.Equal(10, Assert.Single(await _repository.FindModelsByNameAsync("gpt-4o-2024", None)).Id);
        Assert.Equal(10, Assert.Single(await _repository.FindModelsByNameAsync("gpt-4o", None)).Id);
        Assert.Empty(await _repository.FindModelsByNameAsync("GPT-4O", None)); // ordinal
        Assert.Empty(await _repository.FindModelsByNameAsync("unknown", None));
    }

    [Fact]
    public async Task FindModelsByNameAsync_SameNameOnSeveralPlatforms_ReturnsAllOrderedById()
    {
        AddPlatform(1);
        AddPlatform(2);
        _repository.Add(new Model { Id = 20, PlatformId = 2, Name = "gpt" });
        _repository.Add(new Model { Id = 10, PlatformId = 1, Name = "gpt-upstream", Alias = "gpt" });

        var models = await _repository.FindModelsByNameAsync("gpt", None);

        Assert.Equal(new long[] { 10, 20 }, models.Select(m => m.Id));
    }

    [Fact]
    public async Task FindModelsByNameAsync_AliasEqualsName_ListedOnce()
    {
        AddPlatform(1);
        _repository.Add(new Model { Id = 10, PlatformId = 1, Name = "gpt", Alias = "gpt" });

        Assert.Single(await _repository.FindModelsByNameAsync("gpt", None));
    }

    [Fact]
    public async Task Reads_DisabledEntities_StillReturned()
    {
        _repository.Add(new Platform { Id = 1, Name = "p1", Format = "openai", BaseUrl = "https://p1.test", Enabled = false });
        _repository.Add(new Model { Id = 10, PlatformId = 1, Name = "gpt", Enabled = false });
        _repository.Add(new ApiKey { Id = 100, PlatformId = 1, Value = "sk-disabled-key", Enabled = false });

        Assert.False(Assert.Single(await _repository.FindModelsByNameAsync("gpt", None)).Enabled);
        Assert.False((await _repository.GetPlatformAsync(1, None))!.Enabled);
        Assert.False(Assert.Single(await _repository.GetApiKeysAsync(1, None)).Enabled);
    }

    [Fact]
    public async Task Reads_NothingChanged_ReturnSameListInstances()
    {
        AddChannel(1, 10, 100, "gpt");

        var models = await _repository.FindModelsByNameAsync("gpt", None);
        var keys = await _repository.GetApiKeysAsync(1, None);

        Assert.Same(models, await _repository.FindModelsByNameAsync("gpt", None));
        Assert.Same(keys, await _repository.GetApiKeysAsync(1, None));
        await _repository.SaveRequestStatsAsync([Stat(T0)], None);
        await _repository.SaveHealthAsync([new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 100 }], None);
        Assert.Same(models, await _repository.FindModelsByNameAsync("gpt", None));
        Assert.Same(keys, await _repository.GetApiKeysAsync(1, None));
    }

    [Fact]
    public async Task Reads_AfterChange_ReturnNewListsWithTheChange()
    {
        AddChannel(1, 10, 100, "gpt");
        var models = await _repository.FindModelsByNameAsync("gpt", None);
        var keys = await _repository.GetApiKeysAsync(1, None);

        _repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-second-key" });
        _repository.Update(new Model { Id = 10, PlatformId = 1, Name = "gpt", Enabled = false });

        var newKeys = await _repository.GetApiKeysAsync(1, None);
        var newModels = await _repository.FindModelsByNameAsync("gpt", None);
        Assert.NotSame(keys, newKeys);
        Assert.NotSame(models, newModels);
        Assert.Equal(new long[] { 100, 101 }, newKeys.Select(k => k.Id));
        Assert.False(Assert.Single(newModels).Enabled);
        Assert.Single(keys); // the old list is a snapshot
    }

    [Fact]
    public async Task GetPlatformAndKeys_Unknown_NullAndEmpty()
    {
        Assert.Null(await _repository.GetPlatformAsync(1, None));
        Assert.Empty(await _repository.GetApiKeysAsync(1, None));
    }

    [Fact]
    public void Add_IdZero_AssignsNextFreeIds()
    {
        _repository.Add(new Platform { Id = 5, Name = "five", Format = "openai", BaseUrl = "https://5.test" });
        _repository.Add(new Platform { Name = "next", Format = "openai", BaseUrl = "https://6.test" });
        _repository.Add(new Model { PlatformId = 6, Name = "a" });
        _repository.Add(new Model { PlatformId = 6, Name = "b" });
        _repository.Add(new ApiKey { PlatformId = 5, Value = "sk-first-key" });

        Assert.Equal(new long[] { 5, 6 }, _repository.Platforms.Select(p => p.Id));
        Assert.Equal("next", _repository.Platforms[1].Name);
        Assert.Equal(new long[] { 1, 2 }, _repository.Models.Select(m => m.Id));
        Assert.Equal(1, Assert.Single(_repository.ApiKeys).Id);
    }

    [Fact]
    public void Add_DuplicatePlatformIdOrName_Throws()
    {
        AddPlatform(1);

        Assert.Throws<InvalidOperationException>(() => _repository.Add(new Platform { Id = 1, Name = "other", Format = "openai", BaseUrl = "https://x.test" }));
        Assert.Throws<InvalidOperationException>(() => _repository.Add(new Platform { Id = 2, Name = "p1", Format = "openai", BaseUrl = "https://x.test" }));
        Assert.Single(_repository.Platforms);
    }

    [Fact]
    public void Add_ModelDuplicateOrOrphan_Throws()
    {
        AddPlatform(1);
        AddPlatform(2);
        _repository.Add(new Model { Id = 10, PlatformId = 1, Name = "gpt" });

        Assert.Throws<InvalidOperationException>(() => _repository.Add(new Model { Id = 10, PlatformId = 2, Name = "other" }));
        Assert.Throws<InvalidOperationException>(() => _repository.Add(new Model { Id = 11, PlatformId = 1, Name = "gpt" }));
        Assert.Throws<InvalidOperationException>(() => _repository.Add(new Model { Id = 12, PlatformId = 99, Name = "x" }));
        _repository.Add(new Model { Id = 13, PlatformId = 2, Name = "gpt" }); // same name, other platform: fine
        Assert.Equal(new long[] { 10, 13 }, _repository.Models.Select(m => m.Id));
    }

    [Fact]
    public void Add_KeyDuplicateOrOrphan_Throws()
    {
        AddPlatform(1);
        _repository.Add(new ApiKey { Id = 100, PlatformId = 1, Value = "sk-key-one" });

        Assert.Throws<InvalidOperationException>(() => _repository.Add(new ApiKey { Id = 100, PlatformId = 1, Value = "sk-key-two" }));
        Assert.Throws<InvalidOperationException>(() => _repository.Add(new ApiKey { Id = 101, PlatformId = 99, Value = "sk-key-three" }));
        Assert.Single(_repository.ApiKeys);
    }

    [Fact]
    public async Task Update_Existing_ReplacesIt()
    {
        AddChannel(1, 10, 100, "gpt");

        _repository.Update(new Platform { Id = 1, Name = "renamed", Format = "openai", BaseUrl = "https://new.test" });
        _repository.Update(new Model { Id = 10, PlatformId = 1, Name = "gpt-new", Alias = "gpt" });
        _repository.Update(new ApiKey { Id = 100, PlatformId = 1, Value = "sk-rotated-key" });

        Assert.Equal("https://new.test", (await _repository.GetPlatformAsync(1, None))!.BaseUrl);
        Assert.Equal("gpt-new", Assert.Single(await _repository.FindModelsByNameAsync("gpt", None)).Name);
        Assert.Empty(await _repository.FindModelsByNameAsync("gpt-x", None));
        Assert.Equal("sk-rotated-key", Assert.Single(await _repository.GetApiKeysAsync(1, None)).Value);
    }

    [Fact]
    public void Update_Missing_ThrowsKeyNotFound()
    {
        AddPlatform(1);

        Assert.Throws<KeyNotFoundException>(() => _repository.Update(new Platform { Id = 2, Name = "p2", Format = "openai", BaseUrl = "https://x.test" }));
        Assert.Throws<KeyNotFoundException>(() => _repository.Update(new Model { Id = 10, PlatformId = 1, Name = "gpt" }));
        Assert.Throws<KeyNotFoundException>(() => _repository.Update(new ApiKey { Id = 100, PlatformId = 1, Value = "sk-some-key" }));
    }

    [Fact]
    public void Update_ModelToDuplicateNameOrMissingPlatform_Throws()
    {
        AddPlatform(1);
        _repository.Add(new Model { Id = 10, PlatformId = 1, Name = "a" });
        _repository.Add(new Model { Id = 11, PlatformId = 1, Name = "b" });

        Assert.Throws<InvalidOperationException>(() => _repository.Update(new Model { Id = 11, PlatformId = 1, Name = "a" }));
        Assert.Throws<InvalidOperationException>(() => _repository.Update(new Model { Id = 11, PlatformId = 99, Name = "b" }));
        _repository.Update(new Model { Id = 11, PlatformId = 1, Name = "b", Alias = "bee" }); // its own name: fine
    }

    // Platform names are unique (Platform.Name's doc, and Add enforces it); Update must not break that.
    [Fact]
    public void Update_PlatformToAnotherPlatformsName_Throws()
    {
        AddPlatform(1);
        AddPlatform(2);

        Assert.Throws<InvalidOperationException>(() => _repository.Update(new Platform { Id = 2, Name = "p1", Format = "openai", BaseUrl = "https://p2.test" }));
        Assert.Equal(new[] { "p1", "p2" }, _repository.Platforms.Select(p => p.Name));
    }

    // Add refuses a key whose platform does not exist; Update must not create that orphan either.
    [Fact]
    public void Update_KeyToMissingPlatform_Throws()
    {
        AddPlatform(1);
        _repository.Add(new ApiKey { Id = 100, PlatformId = 1, Value = "sk-key-one" });

        Assert.Throws<InvalidOperationException>(() => _repository.Update(new ApiKey { Id = 100, PlatformId = 99, Value = "sk-key-one" }));
        Assert.Equal(1, Assert.Single(_repository.ApiKeys).PlatformId);
    }

    [Fact]
    public async Task RemoveModelAndKey_Existing_RemovedAndReturnTrue()
    {
        AddChannel(1, 10, 100, "gpt");

        Assert.True(_repository.RemoveModel(10));
        Assert.True(_repository.RemoveApiKey(100));
        Assert.False(_repository.RemoveModel(10));
        Assert.False(_repository.RemoveApiKey(100));

        Assert.Empty(await _repository.FindModelsByNameAsync("gpt", None));
        Assert.Empty(await _repository.GetApiKeysAsync(1, None));
        Assert.NotNull(await _repository.GetPlatformAsync(1, None));
    }

    [Fact]
    public async Task RemovePlatform_WithModelsAndKeys_RemovesThemAll()
    {
        AddChannel(1, 10, 100, "gpt");
        _repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-second-key" });
        AddChannel(2, 20, 200, "gpt");

        Assert.True(_repository.RemovePlatform(1));

        Assert.Null(await _repository.GetPlatformAsync(1, None));
        Assert.Empty(await _repository.GetApiKeysAsync(1, None));
        Assert.Equal(20, Assert.Single(await _repository.FindModelsByNameAsync("gpt", None)).Id);
        Assert.Equal(new long[] { 20 }, _repository.Models.Select(m => m.Id));
        Assert.Equal(new long[] { 200 }, _repository.ApiKeys.Select(k => k.Id));
        Assert.False(_repository.RemovePlatform(1));
    }

    [Fact]
    public async Task SaveHealthAsync_SameResourceTwice_KeepsLatestPerKindAndId()
    {
        await _repository.SaveHealthAsync(
        [
            new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 1, Status = HealthStatus.Warning },
            new HealthState { ResourceKind = ResourceKind.Model, ResourceId = 1, Status = HealthStatus.Available },
        ], None);
        await _repository.SaveHealthAsync([new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = 1, Status = HealthStatus.Available }], None);

        var all = await _repository.GetAllHealthAsync(None);

        Assert.Equal(2, all.Count);
        Assert.All(all, s => Assert.Equal(HealthStatus.Available, s.Status));
    }

    [Fact]
    public async Task QueryRequestStatsAsync_NoFilter_NewestFirstWithLimitAndOffset()
    {
        await _repository.SaveRequestStatsAsync([Stat(T0.AddSeconds(2), id: "b"), Stat(T0, id: "a"), Stat(T0.AddSeconds(3), id: "c"), Stat(T0.AddSeconds(1), id: "x")], None);

        Assert.Equal(["c", "b", "x", "a"], Ids(await _repository.QueryRequestStatsAsync(new StatsQuery(), None)));
        Assert.Equal(["c", "b"], Ids(await _repository.QueryRequestStatsAsync(new StatsQuery { Limit = 2 }, None)));
        Assert.Equal(["x", "a"], Ids(await _repository.QueryRequestStatsAsync(new StatsQuery { Limit = 2, Offset = 2 }, None)));
        Assert.Empty(await _repository.QueryRequestStatsAsync(new StatsQuery { Offset = 4 }, None));
        Assert.Empty(await _repository.QueryRequestStatsAsync(new StatsQuery { Limit = 0 }, None));
        Assert.Equal(["c", "b", "x", "a"], Ids(await _repository.QueryRequestStatsAsync(new StatsQuery { Offset = -5 }, None)));
    }

    public static TheoryData<string, StatsQuery, string[]> Filters => new()
    {
        { "start inclusive", new StatsQuery { StartTime = T0.AddSeconds(1) }, ["d", "c", "b"] },
        { "end exclusive", new StatsQuery { EndTime = T0.AddSeconds(2) }, ["b", "a"] },
        { "window", new StatsQuery { StartTime = T0.AddSeconds(1), EndTime = T0.AddSeconds(3) }, ["c", "b"] },
        { "model", new StatsQuery { ModelName = "claude" }, ["c"] },
        { "success", new StatsQuery { Success = true }, ["d", "b", "a"] },
        { "failure", new StatsQuery { Success = false }, ["c"] },
        { "platform", new StatsQuery { PlatformId = 2 }, ["d", "c"] },
        { "key", new StatsQuery { ApiKeyId = 200 }, ["d"] },
        { "stream", new StatsQuery { IsStream = true }, ["b"] },
        { "not stream", new StatsQuery { IsStream = false }, ["d", "c", "a"] },
        { "combined", new StatsQuery { PlatformId = 2, Success = true, ModelName = "gpt" }, ["d"] },
        { "nothing matches", new StatsQuery { ModelName = "none" }, [] },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task QueryRequestStatsAsync_Filter_ReturnsMatchingRows(string name, StatsQuery query, string[] expected)
    {
        Assert.NotNull(name);
        await SeedFilterStatsAsync();

        Assert.Equal(expected, Ids(await _repository.QueryRequestStatsAsync(query, None)));
    }

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task CountRequestStatsAsync_Filter_CountsMatchingRowsIgnoringLimit(string name, StatsQuery query, string[] expected)
    {
        Assert.NotNull(name);
        await SeedFilterStatsAsync();
        var all = await _repository.QueryRequestStatsAsync(query with { Limit = int.MaxValue }, None);

        var summary = await _repository.CountRequestStatsAsync(query with { Limit = 1, Offset = 1 }, None);

        Assert.Equal(expected.Length, summary.TotalRequests);
        Assert.Equal(all.Count(s => s.Success), summary.SuccessRequests);
    }

    [Fact]
    public async Task CountRequestStatsAsync_Mixed_CountsTotalAndSucceeded()
    {
        await SeedFilterStatsAsync();

        var summary = await _repository.CountRequestStatsAsync(new StatsQuery(), None);

        Assert.Equal(4, summary.TotalRequests);
        Assert.Equal(3, summary.SuccessRequests);
    }

    [Fact]
    public async Task SaveRequestStatsAsync_BeyondMaxStats_DropsOldestFirst()
    {
        var repository = new InMemoryPortalRepository(maxStats: 3);

        await repository.SaveRequestStatsAsync([Stat(T0, id: "1"), Stat(T0.AddSeconds(1), id: "2")], None);
        await repository.SaveRequestStatsAsync([Stat(T0.AddSeconds(2), id: "3"), Stat(T0.AddSeconds(3), id: "4"), Stat(T0.AddSeconds(4), id: "5")], None);

        Assert.Equal(3, repository.MaxStats);
        Assert.Equal(["5", "4", "3"], Ids(await repository.QueryRequestStatsAsync(new StatsQuery(), None)));
        Assert.Equal(3, (await repository.CountRequestStatsAsync(new StatsQuery(), None)).TotalRequests);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_NonPositiveMaxStats_Throws(int maxStats)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryPortalRepository(maxStats));
    }

    [Fact]
    public async Task Operations_InParallel_DoNotThrowAndLoseNothing()
    {
        const int Platforms = 200;
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                await _repository.FindModelsByNameAsync("shared", None);
                await _repository.GetApiKeysAsync(i % Platforms + 1, None);
                await _repository.GetPlatformAsync(i % Platforms + 1, None);
                await _repository.QueryRequestStatsAsync(new StatsQuery { Limit = 5 }, None);
                _ = _repository.Models.Count;
            }
        }));
        var writers = Enumerable.Range(1, Platforms).Select(p => Task.Run(async () =>
        {
            AddPlatform(p);
            _repository.Add(new Model { Id = p, PlatformId = p, Name = "shared" });
            _repository.Add(new ApiKey { Id = p, PlatformId = p, Value = "sk-parallel-" + p });
            await _repository.SaveRequestStatsAsync([Stat(T0.AddSeconds(p), id: "s" + p)], None);
            await _repository.SaveHealthAsync([new HealthState { ResourceKind = ResourceKind.ApiKey, ResourceId = p }], None);
        }));

        await Task.WhenAll(readers.Concat(writers));

        Assert.Equal(Platforms, (await _repository.FindModelsByNameAsync("shared", None)).Count);
        Assert.Equal(Platforms, _repository.ApiKeys.Count);
        Assert.Equal(Platforms, (await _repository.CountRequestStatsAsync(new StatsQuery(), None)).TotalRequests);
        Assert.Equal(Platforms, (await _repository.GetAllHealthAsync(None)).Count);
    }

    private void AddPlatform(long id) =>
        _repository.Add(new Platform { Id = id, Name = "p" + id, Format = "openai", BaseUrl = $"https://p{id}.test" });

    private void AddChannel(long platformId, long modelId, long keyId, string modelName)
    {
        AddPlatform(platformId);
        _repository.Add(new Model { Id = modelId, PlatformId = platformId, Name = modelName });
        _repository.Add(new ApiKey { Id = keyId, PlatformId = platformId, Value = "sk-test-key-" + keyId });
    }

    private Task SeedFilterStatsAsync() => _repository.SaveRequestStatsAsync(
    [
        Stat(T0, id: "a", model: "gpt", platformId: 1, keyId: 100),
        Stat(T0.AddSeconds(1), id: "b", model: "gpt", platformId: 1, keyId: 101, stream: true),
        Stat(T0.AddSeconds(2), id: "c", model: "claude", platformId: 2, keyId: 201, success: false),
        Stat(T0.AddSeconds(3), id: "d", model: "gpt", platformId: 2, keyId: 200),
    ], None);

    private static RequestStat Stat(DateTimeOffset at, string id = "s", string model = "gpt", long platformId = 1, long keyId = 100, bool success = true, bool stream = false) => new()
    {
        Id = id,
        Timestamp = at,
        ModelName = model,
        PlatformId = platformId,
        ApiKeyId = keyId,
        Success = success,
        IsStream = stream,
    };

    private static string[] Ids(IEnumerable<RequestStat> stats) => [.. stats.Select(s => s.Id)];
}
