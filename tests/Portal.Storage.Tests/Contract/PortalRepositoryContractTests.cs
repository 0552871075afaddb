using Portal.Providers;

namespace Portal.Storage.Tests.Contract;

/// <summary>
/// What every <see cref="IPortalRepository"/> must do, run against each implementation by a subclass: the in-memory
/// repository, EF Core on a SQLite file, and EF Core on a real PostgreSQL.
/// </summary>
/// <remarks>
/// Every test opens its repository with <see cref="OpenAsync"/> inside the test body, so that a backend that is not
/// available (PostgreSQL without <c>PORTAL_TEST_POSTGRES</c>) skips the test instead of failing it; that is why every
/// test is a <c>[SkippableFact]</c>. Configuration is seeded through the backend's own admin API (ids are assigned by
/// the backend), and reads after a write must see it at once, whatever the backend caches.
/// </remarks>
public abstract class PortalRepositoryContractTests : IAsyncLifetime
{
    /// <summary>A fixed instant with whole milliseconds: what every backend can store exactly.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, 123, TimeSpan.Zero);

    private IPortalRepository? _repository;

    /// <summary>The repository under test (after <see cref="OpenAsync"/>).</summary>
    protected IPortalRepository Repository => _repository ?? throw new InvalidOperationException("Call OpenAsync first.");

    /// <summary>Creates the backend's repository on an empty store; skips the test when the backend is unavailable.</summary>
    protected abstract Task<IPortalRepository> CreateAsync();

    /// <summary>Adds a platform through the backend's admin API (<see cref="Platform.Id"/> is 0) and returns it as stored, with its id.</summary>
    protected abstract Task<Platform> AddPlatformAsync(Platform platform);

    /// <summary>Adds a model through the backend's admin API (<see cref="Model.Id"/> is 0) and returns it as stored, with its id.</summary>
    protected abstract Task<Model> AddModelAsync(Model model);

    /// <summary>Adds a key through the backend's admin API (<see cref="ApiKey.Id"/> is 0) and returns it as stored, with its id.</summary>
    protected abstract Task<ApiKey> AddApiKeyAsync(ApiKey apiKey);

    /// <summary>Releases what <see cref="CreateAsync"/> made besides the repository (a temp file, a database).</summary>
    protected virtual ValueTask DisposeBackendAsync() => ValueTask.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            switch (_repository)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        finally
        {
            await DisposeBackendAsync();
        }
    }

    protected async Task<IPortalRepository> OpenAsync()
    {
        _repository = await CreateAsync();
        return _repository;
    }

    // ---- Configuration reads: models ----

    [SkippableFact]
    public async Task FindModelsByName_NameAndAliasOnSeveralPlatforms_ReturnsEveryMatch()
    {
        var repository = await OpenAsync();
        var p1 = await AddPlatformAsync(NewPlatform("alpha"));
        var p2 = await AddPlatformAsync(NewPlatform("beta"));
        var gptOnP1 = await AddModelAsync(new Model { PlatformId = p1.Id, Name = "gpt-4o", Alias = "smart" });
        var gptOnP2 = await AddModelAsync(new Model { PlatformId = p2.Id, Name = "gpt-4o" });
        var miniOnP2 = await AddModelAsync(new Model { PlatformId = p2.Id, Name = "mini", Alias = "smart" });

        Assert.Equal([gptOnP1, gptOnP2], ById(await repository.FindModelsByNameAsync("gpt-4o", default)));
        Assert.Equal([gptOnP1, miniOnP2], ById(await repository.FindModelsByNameAsync("smart", default)));
        Assert.Equal([miniOnP2], ById(await repository.FindModelsByNameAsync("mini", default)));
    }

    [SkippableFact]
    public async Task FindModelsByName_AliasEqualToName_ReturnsModelOnce()
    {
        var repository = await OpenAsync();
        var platform = await AddPlatformAsync(NewPlatform("alpha"));
        var model = await AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-4o", Alias = "gpt-4o" });

        Assert.Equal([model], await repository.FindModelsByNameAsync("gpt-4o", default));
    }

    [SkippableFact]
    public async Task FindModelsByName_OtherCaseOrSpacing_ReturnsEmpty()
    {
        var repository = await OpenAsync();
        var platform = await AddPlatformAsync(NewPlatform("alpha"));
        await AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-4o", Alias = "Smart" });

        Assert.Empty(await repository.FindModelsByNameAsync("GPT-4O", default));
        Assert.Empty(await repository.FindModelsByNameAsync("smart", default));
        Assert.Empty(await repository.FindModelsByNameAsync("gpt-4o ", default));
        Assert.Empty(await repository.FindModelsByNameAsync("gpt", default));
    }

    [SkippableFact]
    public async Task FindModelsByName_UnknownName_ReturnsEmpty()
    {
        var repository = await OpenAsync();
        Assert.Empty(await repository.FindModelsByNameAsync("gpt-4o", default));

        var platform = await AddPlatformAsync(NewPlatform("alpha"));
        await AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-4o" });

        Assert.Empty(await repository.FindModelsByNameAsync("claude", default));
        Assert.Empty(await repository.FindModelsByNameAsync("", default));
    }

    [SkippableFact]
    public async Task FindModelsByName_ModelAddedAfterARead_IsFoundAtOnce()
    {
        var repository = await OpenAsync();
        var platform = await AddPlatformAsync(NewPlatform("alpha"));
        var first = await AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-4o", Alias = "smart" });
        Assert.Equal([first], await repository.FindModelsByNameAsync("smart", default));
        Assert.Empty(await repository.FindModelsByNameAsync("mini", default));

        var second = await AddModelAsync(new Model { PlatformId = platform.Id, Name = "mini", Alias = "smart" });

        Assert.Equal([first, second], ById(await repository.FindModelsByNameAsync("smart", default)));
        Assert.Equal([second], await repository.FindModelsByNameAsync("mini", default));
    }

    [SkippableFact]
    public async Task FindModelsByName_NothingChanged_ReturnsTheSameListInstance()
    {
        // The gateway reuses its channels while the repository returns the same instances (ChannelResolver).
        var repository = await OpenAsync();
        var platform = await AddPlatformAsync(NewPlatform("alpha"));
        await AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-4o" });
        await AddApiKeyAsync(NewKey(platform.Id, "one"));

        var models = await repository.FindModelsByNameAsync("gpt-4o", default);
        var keys = await repository.GetApiKeysAsync(platform.Id, default);
        var found = await repository.GetPlatformAsync(platform.Id, default);

        Assert.Same(models, await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.Same(keys, await repository.GetApiKeysAsync(platform.Id, default));
        Assert.Same(found, await repository.GetPlatformAsync(platform.Id, default));
    }

    // ---- Configuration reads: platforms ----

    [SkippableFact]
    public async Task GetPlatform_Existing_ReturnsEveryField()
    {
        var repository = await OpenAsync();
        var added = await AddPlatformAsync(new Platform
        {
            Name = "alpha",
            Format = "openai",
            BaseUrl = "https://api.example.com/v1",
            ApiVersion = "2023-06-01",
            DefaultMaxTokens = 8192,
            RateLimit = new RateLimit { Rpm = 600, Tpm = 1_000_000 },
        });
        var plain = await AddPlatformAsync(NewPlatform("beta"));

        var found = await repository.GetPlatformAsync(added.Id, default);

        Assert.NotNull(found);
        Assert.Equal(added, found);
        Assert.Equal("alpha", found.Name);
        Assert.Equal("openai", found.Format);
        Assert.Equal("https://api.example.com/v1", found.BaseUrl);
        Assert.Equal("2023-06-01", found.ApiVersion);
        Assert.Equal(8192, found.DefaultMaxTokens);
        Assert.Equal(600, found.RateLimit.Rpm);
        Assert.Equal(1_000_000, found.RateLimit.Tpm);
        Assert.True(found.Enabled);
        Assert.Equal(plain, await repository.GetPlatformAsync(plain.Id, default));
        Assert.Null((await repository.GetPlatformAsync(plain.Id, default))!.RateLimit.Rpm);
        Assert.Null((await repository.GetPlatformAsync(plain.Id, default))!.ApiVersion);
        Assert.Null((await repository.GetPlatformAsync(plain.Id, default))!.DefaultMaxTokens);
    }

    [SkippableFact]
    public async Task GetPlatform_Missing_ReturnsNull()
    {
        var repository = await OpenAsync();
        Assert.Null(await repository.GetPlatformAsync(1, default));

        var platform = await AddPlatformAsync(NewPlatform("alpha"));

        Assert.Null(await repository.GetPlatformAsync(platform.Id + 1000, default));
        Assert.Null(await repository.GetPlatformAsync(0, default));
        Assert.Null(await repository.GetPlatformAsync(-1, default));
    }

    [SkippableFact]
    public async Task GetPlatform_AddedAfterAMissedRead_IsFoundAtOnce()
    {
        var repository = await OpenAsync();
        var first = await AddPlatformAsync(NewPlatform("alpha"));
        Assert.Equal(first, await repository.GetPlatformAsync(first.Id, default));
        Assert.Null(await repository.GetPlatformAsync(first.Id + 1, default));

        var second = await AddPlatformAsync(NewPlatform("beta"));

        Assert.Equal(second, await repository.GetPlatformAsync(second.Id, default));
    }

    // ---- Configuration reads: keys ----

    [SkippableFact]
    public async Task GetApiKeys_SeveralPlatforms_ReturnsOnlyThatPlatformsKeys()
    {
        var repository = await OpenAsync();
        var p1 = await AddPlatformAsync(NewPlatform("alpha"));
        var p2 = await AddPlatformAsync(NewPlatform("beta"));
        var k1 = await AddApiKeyAsync(NewKey(p1.Id, "one"));
        var k2 = await AddApiKeyAsync(NewKey(p2.Id, "two"));
        var k3 = await AddApiKeyAsync(NewKey(p1.Id, "three"));

        Assert.Equal([k1, k3], ById(await repository.GetApiKeysAsync(p1.Id, default)));
        Assert.Equal([k2], await repository.GetApiKeysAsync(p2.Id, default));
        Assert.Equal("sk-test-one-0123456789abcdef", k1.Value);
        Assert.Equal(k1.Value, (await repository.GetApiKeysAsync(p1.Id, default)).Single(k => k.Id == k1.Id).Value);
    }

    [SkippableFact]
    public async Task GetApiKeys_PlatformWithoutKeysOrUnknown_ReturnsEmpty()
    {
        var repository = await OpenAsync();
        var p1 = await AddPlatformAsync(NewPlatform("alpha"));
        var p2 = await AddPlatformAsync(NewPlatform("beta"));
        await AddApiKeyAsync(NewKey(p1.Id, "one"));

        Assert.Empty(await repository.GetApiKeysAsync(p2.Id, default));
        Assert.Empty(await repository.GetApiKeysAsync(p2.Id + 1000, default));
    }

    [SkippableFact]
    public async Task GetApiKeys_KeyAddedAfterARead_IsReturnedAtOnce()
    {
        var repository = await OpenAsync();
        var platform = await AddPlatformAsync(NewPlatform("alpha"));
        Assert.Empty(await repository.GetApiKeysAsync(platform.Id, default));
        var first = await AddApiKeyAsync(NewKey(platform.Id, "one"));
        Assert.Equal([first], await repository.GetApiKeysAsync(platform.Id, default));

        var second = await AddApiKeyAsync(NewKey(platform.Id, "two"));

        Assert.Equal([first, second], ById(await repository.GetApiKeysAsync(platform.Id, default)));
    }

    [SkippableFact]
    public async Task DisabledRows_AreReturnedWithEnabledFalse()
    {
        // Filtering disabled rows is the gateway's job: the repository returns them as they are.
        var repository = await OpenAsync();
        var platform = await AddPlatformAsync(NewPlatform("alpha") with { Enabled = false });
        var model = await AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-4o", Alias = "smart", Enabled = false });
        var enabledModel = await AddModelAsync(new Model { PlatformId = platform.Id, Name = "mini", Alias = "smart" });
        var key = await AddApiKeyAsync(NewKey(platform.Id, "one") with { Enabled = false });
        var enabledKey = await AddApiKeyAsync(NewKey(platform.Id, "two"));

        var foundPlatform = await repository.GetPlatformAsync(platform.Id, default);
        Assert.NotNull(foundPlatform);
        Assert.False(foundPlatform.Enabled);
        Assert.Equal([model], await repository.FindModelsByNameAsync("gpt-4o", default));
        Assert.False((await repository.FindModelsByNameAsync("gpt-4o", default))[0].Enabled);
        Assert.Equal([model, enabledModel], ById(await repository.FindModelsByNameAsync("smart", default)));
        Assert.Equal([key, enabledKey], ById(await repository.GetApiKeysAsync(platform.Id, default)));
        Assert.False(ById(await repository.GetApiKeysAsync(platform.Id, default))[0].Enabled);
        Assert.True(ById(await repository.GetApiKeysAsync(platform.Id, default))[1].Enabled);
    }

    // ---- Health ----

    [SkippableFact]
    public async Task GetAllHealth_NothingSaved_ReturnsEmpty()
    {
        var repository = await OpenAsync();

        Assert.Empty(await repository.GetAllHealthAsync(default));
    }

    [SkippableFact]
    public async Task SaveHealth_Batch_LoadsEveryState()
    {
        var repository = await OpenAsync();
        HealthState[] states =
        [
            Health(ResourceKind.Platform, 1, HealthStatus.Available),
            Health(ResourceKind.ApiKey, 1, HealthStatus.Warning),
            Health(ResourceKind.Model, 1, HealthStatus.Unavailable),
            Health(ResourceKind.ApiKey, 2, HealthStatus.Unknown),
        ];

        await repository.SaveHealthAsync(states, default);
        await repository.SaveHealthAsync([], default);

        Assert.Equal(Ordered(states), Ordered(await repository.GetAllHealthAsync(default)));
    }

    [SkippableFact]
    public async Task SaveHealth_LargeBatch_LoadsEveryState()
    {
        // Larger than one statement's worth of rows in a batched upsert.
        var repository = await OpenAsync();
        var states = Enumerable.Range(1, 1_200).Select(i => Health((ResourceKind)(i % 3), i, (HealthStatus)(i % 4))).ToArray();

        await repository.SaveHealthAsync(states, default);
        await repository.SaveHealthAsync(states, default);

        Assert.Equal(Ordered(states), Ordered(await repository.GetAllHealthAsync(default)));
    }

    [SkippableFact]
    public async Task SaveHealth_SameKindAndId_ReplacesTheRow()
    {
        var repository = await OpenAsync();
        var before = Health(ResourceKind.ApiKey, 7, HealthStatus.Warning);
        var otherKind = Health(ResourceKind.Model, 7, HealthStatus.Warning);
        await repository.SaveHealthAsync([before, otherKind], default);
        var after = new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 7,
            Status = HealthStatus.Available,
            RetryCount = 0,
            NextAvailableAt = null,
            BackoffDuration = TimeSpan.Zero,
            LastError = null,
            LastErrorCode = null,
            LastCheckAt = T0.AddMinutes(5),
            LastSuccessAt = T0.AddMinutes(5),
            SuccessCount = 11,
            ErrorCount = 3,
        };

        await repository.SaveHealthAsync([after], default);
        await repository.SaveHealthAsync([after], default);

        Assert.Equal(Ordered([after, otherKind]), Ordered(await repository.GetAllHealthAsync(default)));
    }

    [SkippableFact]
    public async Task SaveHealth_EveryField_RoundTripsToTheMillisecond()
    {
        var repository = await OpenAsync();
        var full = new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 9_000_000_001,
            Status = HealthStatus.Warning,
            RetryCount = 4,
            NextAvailableAt = T0.AddSeconds(16.5),
            BackoffDuration = TimeSpan.FromMilliseconds(16_500),
            LastError = "HTTP 429: \"rate limited\" – réessayez ✓",
            LastErrorCode = 429,
            LastCheckAt = T0,
            LastSuccessAt = T0.AddDays(-1).AddMilliseconds(7),
            SuccessCount = 5_000_000_000,
            ErrorCount = 12,
        };
        var minimal = new HealthState
        {
            ResourceKind = ResourceKind.Platform,
            ResourceId = 1,
            Status = HealthStatus.Unknown,
            LastCheckAt = T0.AddMilliseconds(1),
        };

        await repository.SaveHealthAsync([full, minimal], default);

        var loaded = Ordered(await repository.GetAllHealthAsync(default));
        Assert.Equal(2, loaded.Count);
        Assert.Equal(minimal, loaded[0]);
        Assert.Equal(full, loaded[1]);
        Assert.Equal(full.NextAvailableAt!.Value.UtcTicks, loaded[1].NextAvailableAt!.Value.UtcTicks);
        Assert.Equal(full.LastCheckAt.UtcTicks, loaded[1].LastCheckAt.UtcTicks);
        Assert.Null(loaded[0].NextAvailableAt);
        Assert.Null(loaded[0].LastSuccessAt);
        Assert.Null(loaded[0].LastError);
        Assert.Null(loaded[0].LastErrorCode);
    }

    // ---- Request stats ----

    [SkippableFact]
    public async Task QueryRequestStats_NoFilter_ReturnsEveryRowNewestFirst()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(Shuffled(StatsSet()), default);

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);

        Assert.Equal([6, 5, 4, 3, 2, 1], rows.Select(Number));
    }

    [SkippableFact]
    public async Task QueryRequestStats_Empty_ReturnsEmptyAndCountsZero()
    {
        var repository = await OpenAsync();

        Assert.Empty(await repository.QueryRequestStatsAsync(new StatsQuery(), default));
        var counts = await repository.CountRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal(0, counts.TotalRequests);
        Assert.Equal(0, counts.SuccessRequests);
    }

    public static TheoryData<string> Filters() => [.. FilterCases.Keys];

    [SkippableTheory]
    [MemberData(nameof(Filters))]
    public async Task QueryAndCountRequestStats_Filter_ReturnsMatchingRowsNewestFirst(string filter)
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(StatsSet(), default);
        var (query, expected, succeeded) = FilterCases[filter];

        var rows = await repository.QueryRequestStatsAsync(query, default);
        var counts = await repository.CountRequestStatsAsync(query, default);

        Assert.Equal(expected, rows.Select(Number));

        // No row has a request id: each is a request of its own, so both views agree.
        Assert.Equal((expected.Length, succeeded), (counts.TotalRequests, counts.SuccessRequests));
        Assert.Equal((expected.Length, succeeded), (counts.TotalAttempts, counts.SuccessAttempts));
    }

    [SkippableFact]
    public async Task QueryRequestStats_LimitAndOffset_PageNewestFirst()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(StatsSet(), default);

        Assert.Equal([6, 5], (await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 2 }, default)).Select(Number));
        Assert.Equal([5, 4], (await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 2, Offset = 1 }, default)).Select(Number));
        Assert.Equal([1], (await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 10, Offset = 5 }, default)).Select(Number));
        Assert.Empty(await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 10, Offset = 6 }, default));
        Assert.Equal([5, 2], (await repository.QueryRequestStatsAsync(new StatsQuery { Success = false, Limit = 5 }, default)).Select(Number));
        Assert.Equal([4], (await repository.QueryRequestStatsAsync(new StatsQuery { Success = true, Limit = 1, Offset = 1 }, default)).Select(Number));
    }

    [SkippableFact]
    public async Task CountRequestStats_IgnoresLimitAndOffset()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(StatsSet(), default);

        var counts = await repository.CountRequestStatsAsync(new StatsQuery { Limit = 1, Offset = 3 }, default);

        Assert.Equal(6, counts.TotalRequests);
        Assert.Equal(4, counts.SuccessRequests);
    }

    [SkippableFact]
    public async Task SaveRequestStats_SeveralBatches_AddsUp()
    {
        var repository = await OpenAsync();
        var rows = StatsSet();
        await repository.SaveRequestStatsAsync(rows[..2], default);
        await repository.SaveRequestStatsAsync(rows[2..], default);
        await repository.SaveRequestStatsAsync([], default);

        Assert.Equal([6, 5, 4, 3, 2, 1], (await repository.QueryRequestStatsAsync(new StatsQuery(), default)).Select(Number));
    }

    [SkippableFact]
    public async Task SaveRequestStats_EveryField_RoundTrips()
    {
        var repository = await OpenAsync();
        var full = new RequestStat
        {
            Id = StatId(1),
            Timestamp = T0,
            RequestId = "0190aaaabbbbccccddddeeeeffff0001",
            Attempt = 3,
            Protocol = InboundProtocols.OpenAIChat,
            Caller = "client-12",
            IsStream = true,
            ModelName = "modèle/日本-ü \"quoted\"",
            PlatformId = 9_000_000_001,
            ApiKeyId = 9_000_000_002,
            ModelId = 9_000_000_003,
            Duration = TimeSpan.FromMilliseconds(12_345.678),
            FirstByteTime = TimeSpan.FromMilliseconds(234.5),
            Success = false,
            ErrorMessage = "upstream said: \"overloaded\" – " + new string('x', 1_000),
            StatusCode = 529,
            PromptTokens = 1_000_000,
            CompletionTokens = 2_000_000_000,
            CachedInputTokens = 750_000,
            CacheWriteTokens = 2_000_000_000,
            TargetFormat = PlatformFormats.Anthropic,
        };
        var minimal = new RequestStat
        {
            Id = StatId(2),
            Timestamp = T0.AddMilliseconds(-1),
            ModelName = "m",
            Success = true,
        };

        await repository.SaveRequestStatsAsync([full, minimal], default);
        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);

        Assert.Equal(2, rows.Count);
        AssertSameStat(full, rows[0]);
        AssertSameStat(minimal, rows[1]);
        Assert.Null(rows[1].FirstByteTime);
        Assert.Null(rows[1].ErrorMessage);
        Assert.Null(rows[1].StatusCode);
        Assert.Null(rows[1].PromptTokens);
        Assert.Null(rows[1].CompletionTokens);
        Assert.Null(rows[1].RequestId);
        Assert.Equal(0, rows[1].Attempt);
        Assert.Null(rows[1].Protocol);
        Assert.Null(rows[1].Caller);
        Assert.Null(rows[1].CachedInputTokens);
        Assert.Null(rows[1].CacheWriteTokens);
        Assert.Null(rows[1].TargetFormat);
        Assert.Equal(TimeSpan.Zero, rows[1].Duration);
    }

    // ---- Requests and attempts ----

    [SkippableFact]
    public async Task CountRequestStats_FailoverServedOnSecondAttempt_CountsOneServedRequestAndTwoAttempts()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(
        [
            Attempt(1, "a", 1, success: false, platform: 1),
            Attempt(2, "a", 2, success: true, platform: 2),
        ], default);

        var counts = await repository.CountRequestStatsAsync(new StatsQuery(), default);

        Assert.Equal((1, 1), (counts.TotalRequests, counts.SuccessRequests));
        Assert.Equal((2, 1), (counts.TotalAttempts, counts.SuccessAttempts));
    }

    [SkippableFact]
    public async Task CountRequestStats_MixOfRequestsAndOldRows_CountsEachRequestOnceAndEachOldRowAsARequest()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(RequestSet(), default);

        var counts = await repository.CountRequestStatsAsync(new StatsQuery(), default);

        // a (3 attempts, served), b (1, served), c (2, failed), old rows 8 and 9 (one served).
        Assert.Equal((5, 3), (counts.TotalRequests, counts.SuccessRequests));
        Assert.Equal((8, 3), (counts.TotalAttempts, counts.SuccessAttempts));
    }

    public static TheoryData<string> RequestFilters() => [.. RequestFilterCases.Keys];

    /// <summary>A filter keeps attempts; a request counts when one of its attempts matches, and is served when a matching attempt succeeded.</summary>
    [SkippableTheory]
    [MemberData(nameof(RequestFilters))]
    public async Task CountRequestStats_Filter_CountsRequestsWithAMatchingAttempt(string filter)
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(Shuffled(RequestSet()), default);
        var (query, requests, served, attempts, successes) = RequestFilterCases[filter];

        var counts = await repository.CountRequestStatsAsync(query, default);

        Assert.Equal((requests, served), (counts.TotalRequests, counts.SuccessRequests));
        Assert.Equal((attempts, successes), (counts.TotalAttempts, counts.SuccessAttempts));
    }

    [SkippableFact]
    public async Task QueryRequestStats_RequestId_ReturnsItsAttemptsInAttemptOrder()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(Shuffled(RequestSet()), default);

        var a = await repository.QueryRequestStatsAsync(new StatsQuery { RequestId = RequestId("a") }, default);
        var c = await repository.QueryRequestStatsAsync(new StatsQuery { RequestId = RequestId("c"), Limit = 1, Offset = 1 }, default);
        var failedOfA = await repository.QueryRequestStatsAsync(new StatsQuery { RequestId = RequestId("a"), Success = false }, default);

        Assert.Equal([1, 2, 3], a.Select(Number));
        Assert.Equal([1, 2, 3], a.Select(s => s.Attempt));
        Assert.All(a, s => Assert.Equal(RequestId("a"), s.RequestId));
        Assert.Equal([6], c.Select(Number));
        Assert.Equal([1, 2], failedOfA.Select(Number));
        Assert.Empty(await repository.QueryRequestStatsAsync(new StatsQuery { RequestId = RequestId("z") }, default));
    }

    [SkippableFact]
    public async Task CountRequestStats_RequestId_CountsOneRequestAndItsAttempts()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(RequestSet(), default);

        var counts = await repository.CountRequestStatsAsync(new StatsQuery { RequestId = RequestId("a") }, default);

        Assert.Equal((1, 1), (counts.TotalRequests, counts.SuccessRequests));
        Assert.Equal((3, 1), (counts.TotalAttempts, counts.SuccessAttempts));
    }

    [SkippableFact]
    public async Task SaveRequestStats_ConcurrentWritersFromEightTasks_LoseNoRow()
    {
        const int Writers = 8, Batches = 10, BatchSize = 50;
        var repository = await OpenAsync();

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(async () =>
        {
            for (var batch = 0; batch < Batches; batch++)
            {
                var rows = Enumerable.Range(0, BatchSize).Select(i => new RequestStat
                {
                    Id = Guid.NewGuid().ToString("N"),
                    Timestamp = T0.AddMilliseconds((writer * 1_000_000) + (batch * 1_000) + i),
                    ModelName = "m" + writer,
                    PlatformId = writer,
                    Success = i % 2 == 0,
                }).ToArray();
                await repository.SaveRequestStatsAsync(rows, default);
            }
        })));

        var counts = await repository.CountRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal(Writers * Batches * BatchSize, counts.TotalRequests);
        Assert.Equal(Writers * Batches * BatchSize / 2, counts.SuccessRequests);
        for (var writer = 0; writer < Writers; writer++)
        {
            var perWriter = await repository.CountRequestStatsAsync(new StatsQuery { PlatformId = writer }, default);
            Assert.Equal(Batches * BatchSize, perWriter.TotalRequests);
        }

        var all = await repository.QueryRequestStatsAsync(new StatsQuery { Limit = Writers * Batches * BatchSize * 2 }, default);
        Assert.Equal(Writers * Batches * BatchSize, all.Select(s => s.Id).Distinct().Count());
    }

    // ---- Data ----

    /// <summary>Six stats, one every 10 s from <see cref="T0"/>; row n has id <see cref="StatId"/>(n).</summary>
    /// <remarks>
    /// <code>
    ///  n  time    model  success  platform  key  stream  protocol     caller    target format
    ///  1  T0      gpt    yes      1         11   no      openai-chat  client-1  openai
    ///  2  T0+10s  gpt    no       1         12   yes     openai-chat  client-2  openai
    ///  3  T0+20s  fast   yes      2         21   yes     other        -         anthropic
    ///  4  T0+30s  gpt    yes      2         21   no      openai-chat  client-1  anthropic
    ///  5  T0+40s  fast   no       1         11   no      -            admin     -
    ///  6  T0+50s  gpt    yes      1         12   yes     openai-chat  client-1  openai
    /// </code>
    /// </remarks>
    protected static RequestStat[] StatsSet() =>
    [
        Stat(1, "gpt", success: true, platform: 1, key: 11, stream: false) with { Caller = "client-1" },
        Stat(2, "gpt", success: false, platform: 1, key: 12, stream: true) with { Caller = "client-2" },
        Stat(3, "fast", success: true, platform: 2, key: 21, stream: true) with { Protocol = "other", Caller = null, TargetFormat = PlatformFormats.Anthropic },
        Stat(4, "gpt", success: true, platform: 2, key: 21, stream: false) with { Caller = "client-1", TargetFormat = PlatformFormats.Anthropic },
        Stat(5, "fast", success: false, platform: 1, key: 11, stream: false) with { Protocol = null, Caller = "admin", TargetFormat = null },
        Stat(6, "gpt", success: true, platform: 1, key: 12, stream: true) with { Caller = "client-1" },
    ];

    /// <summary>Each filter of <see cref="StatsQuery"/> over <see cref="StatsSet"/>: the rows expected newest first and how many succeeded.</summary>
    private static readonly Dictionary<string, (StatsQuery Query, int[] Expected, int Succeeded)> FilterCases = new()
    {
        ["time range: start inclusive, end exclusive"] = (new StatsQuery { StartTime = T0.AddSeconds(10), EndTime = T0.AddSeconds(40) }, [4, 3, 2], 2),
        ["start only"] = (new StatsQuery { StartTime = T0.AddSeconds(40) }, [6, 5], 1),
        ["end only"] = (new StatsQuery { EndTime = T0.AddSeconds(10) }, [1], 1),
        ["start one millisecond after a row"] = (new StatsQuery { StartTime = T0.AddSeconds(50).AddMilliseconds(1) }, [], 0),
        ["empty range"] = (new StatsQuery { StartTime = T0.AddSeconds(20), EndTime = T0.AddSeconds(20) }, [], 0),
        ["model"] = (new StatsQuery { ModelName = "fast" }, [5, 3], 1),
        ["unknown model"] = (new StatsQuery { ModelName = "nope" }, [], 0),
        ["succeeded"] = (new StatsQuery { Success = true }, [6, 4, 3, 1], 4),
        ["failed"] = (new StatsQuery { Success = false }, [5, 2], 0),
        ["platform"] = (new StatsQuery { PlatformId = 2 }, [4, 3], 2),
        ["api key"] = (new StatsQuery { ApiKeyId = 11 }, [5, 1], 1),
        ["streaming"] = (new StatsQuery { IsStream = true }, [6, 3, 2], 2),
        ["not streaming"] = (new StatsQuery { IsStream = false }, [5, 4, 1], 2),
        ["protocol"] = (new StatsQuery { Protocol = InboundProtocols.OpenAIChat }, [6, 4, 2, 1], 3),
        ["other protocol"] = (new StatsQuery { Protocol = "other" }, [3], 1),
        ["protocol, ordinal"] = (new StatsQuery { Protocol = "OpenAI-Chat" }, [], 0),
        ["caller"] = (new StatsQuery { Caller = "client-1" }, [6, 4, 1], 3),
        ["admin caller"] = (new StatsQuery { Caller = "admin" }, [5], 0),
        ["caller, ordinal"] = (new StatsQuery { Caller = "Client-1" }, [], 0),
        ["unknown caller"] = (new StatsQuery { Caller = "client-9" }, [], 0),
        ["target format"] = (new StatsQuery { TargetFormat = PlatformFormats.OpenAI }, [6, 2, 1], 2),
        ["other target format"] = (new StatsQuery { TargetFormat = PlatformFormats.Anthropic }, [4, 3], 2),
        ["target format, ordinal"] = (new StatsQuery { TargetFormat = "OpenAI" }, [], 0),
        ["unknown target format"] = (new StatsQuery { TargetFormat = "gemini" }, [], 0),
        ["target format and platform"] = (new StatsQuery { TargetFormat = PlatformFormats.OpenAI, PlatformId = 2 }, [], 0),
        ["all filters together"] = (new StatsQuery
        {
            StartTime = T0,
            EndTime = T0.AddSeconds(60),
            ModelName = "gpt",
            Success = true,
            PlatformId = 1,
            ApiKeyId = 12,
            IsStream = true,
            Protocol = InboundProtocols.OpenAIChat,
            Caller = "client-1",
            TargetFormat = PlatformFormats.OpenAI,
        }, [6], 1),
    };

    /// <summary>Three client requests and two rows written before request ids; row n has id <see cref="StatId"/>(n), one every 10 s from <see cref="T0"/>.</summary>
    /// <remarks>
    /// <code>
    ///  n  request  attempt  success  platform  key
    ///  1  a        1        no       1         11
    ///  2  a        2        no       1         12
    ///  3  a        3        yes      2         21
    ///  4  b        1        yes      1         11
    ///  5  c        1        no       2         21
    ///  6  c        2        no       1         11
    ///  7  -        0        no       1         11
    ///  8  -        0        yes      2         21
    /// </code>
    /// </remarks>
    protected static RequestStat[] RequestSet() =>
    [
        Attempt(1, "a", 1, success: false, platform: 1, key: 11),
        Attempt(2, "a", 2, success: false, platform: 1, key: 12),
        Attempt(3, "a", 3, success: true, platform: 2, key: 21),
        Attempt(4, "b", 1, success: true, platform: 1, key: 11),
        Attempt(5, "c", 1, success: false, platform: 2, key: 21),
        Attempt(6, "c", 2, success: false, platform: 1, key: 11),
        Stat(7, "gpt", success: false, platform: 1, key: 11, stream: false),
        Stat(8, "gpt", success: true, platform: 2, key: 21, stream: false),
    ];

    /// <summary>Filters over <see cref="RequestSet"/>: requests and served requests, attempts and successful attempts.</summary>
    private static readonly Dictionary<string, (StatsQuery Query, int Requests, int Served, int Attempts, int Successes)> RequestFilterCases = new()
    {
        ["none"] = (new StatsQuery(), 5, 3, 8, 3),
        ["platform 1: a tried it twice and was served elsewhere"] = (new StatsQuery { PlatformId = 1 }, 4, 1, 5, 1),
        ["platform 2: a was served there"] = (new StatsQuery { PlatformId = 2 }, 3, 2, 3, 2),
        ["key 11"] = (new StatsQuery { ApiKeyId = 11 }, 4, 1, 4, 1),
        ["failed attempts: the requests that had one"] = (new StatsQuery { Success = false }, 3, 0, 5, 0),
        ["succeeded attempts"] = (new StatsQuery { Success = true }, 3, 3, 3, 3),
        ["time range cuts a's first attempt"] = (new StatsQuery { StartTime = T0.AddSeconds(10), EndTime = T0.AddSeconds(50) }, 3, 2, 4, 2),
        ["request id"] = (new StatsQuery { RequestId = RequestId("c") }, 1, 0, 2, 0),
        ["request id and platform"] = (new StatsQuery { RequestId = RequestId("a"), PlatformId = 1 }, 1, 0, 2, 0),
    };

    protected static string RequestId(string name) => "0190" + new string(name[0], 28);

    protected static string StatId(int n) => n.ToString("D32", System.Globalization.CultureInfo.InvariantCulture);

    protected static Platform NewPlatform(string name) =>
        new() { Name = name, Format = "openai", BaseUrl = "https://" + name + ".example.com" };

    protected static ApiKey NewKey(long platformId, string name) =>
        new() { PlatformId = platformId, Value = $"sk-test-{name}-0123456789abcdef" };

    private static RequestStat Stat(int n, string model, bool success, long platform, long key, bool stream) => new()
    {
        Id = StatId(n),
        Timestamp = T0.AddSeconds((n - 1) * 10),
        Protocol = InboundProtocols.OpenAIChat,
        TargetFormat = PlatformFormats.OpenAI,
        IsStream = stream,
        ModelName = model,
        PlatformId = platform,
        ApiKeyId = key,
        ModelId = platform * 10,
        Duration = TimeSpan.FromMilliseconds(100 * n),
        FirstByteTime = stream ? TimeSpan.FromMilliseconds(10 * n) : null,
        Success = success,
        ErrorMessage = success ? null : "HTTP 500",
        StatusCode = success ? 200 : 500,
        PromptTokens = success ? n : null,
        CompletionTokens = success ? 2 * n : null,
    };

    private static RequestStat Attempt(int n, string request, int attempt, bool success, long platform, long key = 11) =>
        Stat(n, "gpt", success, platform, key, stream: false) with { RequestId = RequestId(request), Attempt = attempt };

    private static int Number(RequestStat stat) => int.Parse(stat.Id, System.Globalization.CultureInfo.InvariantCulture);

    private static RequestStat[] Shuffled(RequestStat[] stats) => [.. stats.Select((s, i) => (s, Key: (i * 5) % stats.Length)).OrderBy(x => x.Key).Select(x => x.s)];

    private static HealthState Health(ResourceKind kind, long id, HealthStatus status) => new()
    {
        ResourceKind = kind,
        ResourceId = id,
        Status = status,
        RetryCount = status == HealthStatus.Warning ? 2 : 0,
        NextAvailableAt = status == HealthStatus.Warning ? T0.AddSeconds(2) : null,
        BackoffDuration = status == HealthStatus.Warning ? TimeSpan.FromSeconds(2) : TimeSpan.Zero,
        LastError = status == HealthStatus.Warning ? "HTTP 503" : null,
        LastErrorCode = status == HealthStatus.Warning ? 503 : null,
        LastCheckAt = T0.AddMilliseconds(id),
        LastSuccessAt = status == HealthStatus.Available ? T0 : null,
        SuccessCount = id * 3,
        ErrorCount = id,
    };

    private static List<HealthState> Ordered(IEnumerable<HealthState> states) =>
        [.. states.OrderBy(s => s.ResourceKind).ThenBy(s => s.ResourceId)];

    private static List<Model> ById(IEnumerable<Model> models) => [.. models.OrderBy(m => m.Id)];

    private static List<ApiKey> ById(IEnumerable<ApiKey> keys) => [.. keys.OrderBy(k => k.Id)];

    /// <summary>Every field equal; durations within a millisecond (stored as milliseconds), instants to the tick of their millisecond.</summary>
    private static void AssertSameStat(RequestStat expected, RequestStat actual)
    {
        Assert.Equal(expected.Duration.TotalMilliseconds, actual.Duration.TotalMilliseconds, tolerance: 1.0);
        Assert.Equal(expected.FirstByteTime is null, actual.FirstByteTime is null);
        if (expected.FirstByteTime is { } firstByte)
        {
            Assert.Equal(firstByte.TotalMilliseconds, actual.FirstByteTime!.Value.TotalMilliseconds, tolerance: 1.0);
        }

        Assert.Equal(expected.Timestamp.UtcTicks, actual.Timestamp.UtcTicks);
        Assert.Equal(expected, actual with { Duration = expected.Duration, FirstByteTime = expected.FirstByteTime });
    }
}
