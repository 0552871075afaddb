using Microsoft.EntityFrameworkCore;
using Portal.Providers;

namespace Portal.Storage.Tests.Stats;

/// <summary>
/// Request stats on <see cref="EfPortalRepository"/>: idempotent inserts, filters, aggregates, time series and batch
/// deletes. Run on SQLite and PostgreSQL by the derived classes; expected values are computed by hand (or, for large
/// groups, by sorting in the test), so both providers must return the same numbers.
/// </summary>
public abstract class RequestStatsTests : IAsyncLifetime
{
    /// <summary>Start of the day the datasets use.</summary>
    protected static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private EfPortalRepository? _repository;

    /// <summary>Settings of an empty store for this test; skips the test when the backend is unavailable.</summary>
    protected abstract Task<StorageOptions> CreateStoreAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_repository is not null)
        {
            await _repository.DisposeAsync();
        }

        await DisposeStoreAsync();
    }

    protected virtual ValueTask DisposeStoreAsync() => ValueTask.CompletedTask;

    /// <summary>Opens the repository on an empty request_stats table (retention off, so nothing deletes behind the test).</summary>
    protected async Task<EfPortalRepository> OpenAsync()
    {
        var options = await CreateStoreAsync();
        options.RetentionDays = 0;
        _repository = await EfPortalRepository.OpenAsync(options);
        await using var context = _repository.CreateContext();
        await context.RequestStats.ExecuteDeleteAsync();
        return _repository;
    }

    // ---- Inserts ----

    [SkippableFact]
    public async Task Save_RetriedBatchWithStoredAndRepeatedIds_SkipsThemWithoutFailing()
    {
        var repository = await OpenAsync();
        var first = Enumerable.Range(1, 5).Select(i => Stat(i, T0.AddSeconds(i))).ToList();
        await repository.SaveRequestStatsAsync(first, default);

        // A retry after a timeout resends rows already written, with new ones; a row may even repeat within the batch.
        var retry = first.Concat(Enumerable.Range(6, 3).Select(i => Stat(i, T0.AddSeconds(i)))).Append(first[0] with { Duration = TimeSpan.FromMilliseconds(999) }).ToList();
        await repository.SaveRequestStatsAsync(retry, default);

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 100 }, default);
        Assert.Equal(Enumerable.Range(1, 8).Reverse().Select(Id), rows.Select(r => r.Id));
        Assert.Equal(TimeSpan.FromMilliseconds(10), rows.Single(r => r.Id == Id(1)).Duration); // the first write wins
    }

    // PostgreSQL rejects half a surrogate pair, which would fail the whole batch at every retry.
    [SkippableFact]
    public async Task Save_OverlongTextEndingInsideASurrogatePair_IsCutBeforeThePair()
    {
        var repository = await OpenAsync();
        var error = new string('e', 1999) + "🚀";
        var model = new string('m', 199) + "🚀";
        var protocol = new string('p', 199) + "🚀";
        var caller = new string('c', 199) + "🚀";
        var format = new string('f', 49) + "🚀";

        await repository.SaveRequestStatsAsync([Stat(1, T0) with { ErrorMessage = error, ModelName = model, Protocol = protocol, Caller = caller, TargetFormat = format }], default);

        var row = Assert.Single(await repository.QueryRequestStatsAsync(new StatsQuery(), default));
        Assert.Equal(error[..1999], row.ErrorMessage);
        Assert.Equal(model[..199], row.ModelName);
        Assert.Equal(protocol[..199], row.Protocol);
        Assert.Equal(caller[..199], row.Caller);
        Assert.Equal(format[..49], row.TargetFormat);
    }

    [SkippableFact]
    public async Task Save_EveryField_RoundTripsAndOverlongTextIsCut()
    {
        var repository = await OpenAsync();
        var full = new RequestStat
        {
            Id = Id(1),
            Timestamp = T0.AddMilliseconds(1234),
            RequestId = "0190aaaabbbbccccddddeeeeffff0001",
            Attempt = 2,
            Protocol = "p-" + new string('p', 300),
            Caller = "c-" + new string('c', 300),
            IsStream = true,
            ModelName = "gpt-x",
            PlatformId = 3,
            ApiKeyId = 4,
            ModelId = 5,
            Duration = TimeSpan.FromMilliseconds(812.25),
            FirstByteTime = TimeSpan.FromMilliseconds(101.5),
            Success = false,
            ErrorMessage = new string('e', 5000),
            StatusCode = 502,
            PromptTokens = 11,
            CompletionTokens = 22,
            CachedInputTokens = 7,
            CacheWriteTokens = 3,
            TargetFormat = "f-" + new string('f', 300),
        };
        var minimal = new RequestStat { Id = Id(2), Timestamp = T0, ModelName = "m" };
        await repository.SaveRequestStatsAsync([full, minimal], default);

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);

        Assert.Equal(full with { ErrorMessage = new string('e', 2000), Protocol = full.Protocol[..200], Caller = full.Caller[..200], TargetFormat = full.TargetFormat[..50] }, rows[0]);
        Assert.Equal(minimal, rows[1]);
    }

    // Text is bound as UTF-8: short values from a buffer on the stack, longer ones (here the error message) from the string.
    [SkippableFact]
    public async Task Save_NonAsciiText_RoundTripsShortAndLong()
    {
        var repository = await OpenAsync();
        var model = "模型-ü-🚀-" + new string('é', 150);
        var error = string.Concat(Enumerable.Repeat("上游失败 🚀 ", 249)); // 1,992 characters, 4,482 UTF-8 bytes
        var stats = new[]
        {
            Stat(1, T0, success: false) with { ModelName = model, ErrorMessage = error },
            Stat(2, T0.AddSeconds(1)) with { ModelName = "m-" + model[..8] },
        };

        await repository.SaveRequestStatsAsync(stats, default);

        var rows = await repository.QueryRequestStatsAsync(new StatsQuery(), default);
        Assert.Equal(stats.Reverse(), rows);
    }

    // ---- Queries ----

    public static TheoryData<string> Filters() => [.. FilterCases.Keys];

    [SkippableTheory]
    [MemberData(nameof(Filters))]
    public async Task QueryAndCount_Filter_ReturnsMatchingRowsNewestFirst(string filter)
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FilterSet(), default);
        var (query, expected, succeeded) = FilterCases[filter];

        var rows = await repository.QueryRequestStatsAsync(query, default);
        var counts = await repository.CountRequestStatsAsync(query with { Limit = 1, Offset = 1 }, default);

        Assert.Equal(expected.Select(Id), rows.Select(r => r.Id));
        Assert.Equal(expected.Length, counts.TotalRequests);
        Assert.Equal(succeeded, counts.SuccessRequests);
    }

    [SkippableFact]
    public async Task Query_LimitAndOffset_PageNewestFirst()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FilterSet(), default);

        Assert.Equal(new[] { 8, 7, 6 }, await Page(new StatsQuery { Limit = 3 }));
        Assert.Equal(new[] { 5, 4, 3 }, await Page(new StatsQuery { Limit = 3, Offset = 3 }));
        Assert.Equal(new[] { 2, 1 }, await Page(new StatsQuery { Limit = 3, Offset = 6 }));
        Assert.Empty(await Page(new StatsQuery { Limit = 3, Offset = 8 }));
        Assert.Empty(await Page(new StatsQuery { Limit = 0 }));
        Assert.Equal(new[] { 3 }, await Page(new StatsQuery { Success = false, Limit = 2, Offset = 1 }));

        async Task<int[]> Page(StatsQuery query) =>
            [.. (await repository.QueryRequestStatsAsync(query, default)).Select(r => int.Parse(r.Id[^6..]))];
    }

    // ---- Aggregates ----

    [SkippableFact]
    public async Task Aggregate_ByModel_MatchesHandComputedValues()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(Shuffled(AggregateSet()), default);

        var result = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddHours(1) });

        // Ordinal order: upper case first.
        Assert.Equal(["Gamma", "alpha", "beta"], result.Select(a => a.ModelName));
        Assert.All(result, a => Assert.Null(a.PlatformId));
        AssertAggregate(result[0], requests: 1, successes: 1, p50: 5, p95: 5, firstByte: null, prompt: 4, completion: 6, cached: 2, cacheWrite: 1);

        // alpha: durations 10..100; p50 = rank ceil(5) = 50, p95 = rank ceil(9.5) = 10 -> 100.
        AssertAggregate(result[1], requests: 10, successes: 7, p50: 50, p95: 100, firstByte: 6, prompt: 50, completion: 18, cached: 37, cacheWrite: 4);

        // beta: durations 100, 200, 300; p50 = rank 2, p95 = rank ceil(2.85) = 3. No row reported usage or cache use.
        AssertAggregate(result[2], requests: 3, successes: 3, p50: 200, p95: 300, firstByte: null, prompt: 0, completion: 0, cached: 0, cacheWrite: 0);
    }

    [SkippableFact]
    public async Task Aggregate_ByPlatform_MatchesHandComputedValues()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(Shuffled(AggregateSet()), default);

        var result = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddHours(1), GroupBy = StatsGroupBy.Platform });

        Assert.Equal([1L, 2L], result.Select(a => a.PlatformId));
        Assert.All(result, a => Assert.Null(a.ModelName));
        AssertAggregate(result[0], requests: 10, successes: 7, p50: 50, p95: 100, firstByte: 6, prompt: 50, completion: 18, cached: 37, cacheWrite: 4);

        // Platform 2 holds beta and Gamma: durations 5, 100, 200, 300; p50 = rank 2, p95 = rank ceil(3.8) = 4.
        AssertAggregate(result[1], requests: 4, successes: 4, p50: 100, p95: 300, firstByte: null, prompt: 4, completion: 6, cached: 2, cacheWrite: 1);
    }

    [SkippableFact]
    public async Task Aggregate_ByApiKey_OneGroupPerKeyAscending()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(
        [
            Stat(1, T0.AddMinutes(1), durationMs: 100, apiKeyId: 7, prompt: 3, cached: 2),
            Stat(2, T0.AddMinutes(2), durationMs: 300, apiKeyId: 7, success: false),
            Stat(3, T0.AddMinutes(3), durationMs: 200, apiKeyId: 7, prompt: 4, cached: 1, cacheWrite: 4),
            Stat(4, T0.AddMinutes(4), durationMs: 50, apiKeyId: 2, prompt: 1),
            Stat(5, T0.AddHours(2), durationMs: 10, apiKeyId: 9),
        ], default);

        var result = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddHours(1), GroupBy = StatsGroupBy.ApiKey });

        Assert.Equal([2L, 7L], result.Select(a => a.ApiKeyId));
        Assert.All(result, a => Assert.Null(a.ModelName));
        Assert.All(result, a => Assert.Null(a.PlatformId));
        AssertAggregate(result[0], requests: 1, successes: 1, p50: 50, p95: 50, firstByte: null, prompt: 1, completion: 0, cached: 0, cacheWrite: 0);

        // Key 7: durations 100, 200, 300; p50 = rank 2, p95 = rank ceil(2.85) = 3.
        AssertAggregate(result[1], requests: 3, successes: 2, p50: 200, p95: 300, firstByte: null, prompt: 7, completion: 0, cached: 3, cacheWrite: 4);
    }

    [SkippableFact]
    public async Task Aggregate_OpenRange_CoversEveryRow()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(AggregateSet(), default);

        var result = await repository.AggregateStatsAsync(new StatsAggregateQuery());

        // alpha also has the two rows just outside the hour: durations 10..100 plus 2,000 and 3,000, 1,000 cached tokens each.
        var alpha = result.Single(a => a.ModelName == "alpha");
        Assert.Equal(12, alpha.Requests);
        Assert.Equal(60, alpha.P50DurationMs);
        Assert.Equal(3000, alpha.P95DurationMs);
        Assert.Equal(37 + 2000, alpha.CachedInputTokens);
    }

    [SkippableFact]
    public async Task Aggregate_NoRowsInRange_ReturnsEmpty()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(AggregateSet(), default);

        Assert.Empty(await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0.AddDays(1), EndTime = T0.AddDays(2) }));
    }

    [SkippableFact]
    public async Task Aggregate_EndBeforeStart_Throws()
    {
        var repository = await OpenAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddTicks(-1) }));
    }

    public static TheoryData<string> LargeGroupShapes() => ["random with ties", "sample holds only the largest", "sample holds only the smallest"];

    /// <summary>Groups above the direct-select size take the sample-and-refine path on SQLite; its answer must still be the exact nearest rank, even when the sample is misleading.</summary>
    [SkippableTheory]
    [MemberData(nameof(LargeGroupShapes))]
    public async Task Aggregate_LargeGroup_ReturnsTheExactNearestRank(string shape)
    {
        var repository = await OpenAsync();
        const int n = 12_345;
        var random = new Random(7);

        // SQLite numbers rows 1, 2, ... in insert order and samples every 31st: the last two shapes put the extremes there.
        double Duration(int row) => shape switch
        {
            "random with ties" => random.Next(0, 4000) / 4.0,
            "sample holds only the largest" => row % StatsAggregator.SampleEvery == 0 ? 1_000_000 + row : row,
            _ => row % StatsAggregator.SampleEvery == 0 ? row / 1000.0 : 1000 + row,
        };
        var rows = Enumerable.Range(1, n)
            .Select(i => Stat(i, T0.AddMilliseconds(i), durationMs: Duration(i), model: i % 2 == 0 ? "even" : "odd", platformId: 1))
            .ToList();
        await repository.SaveRequestStatsAsync(rows, default);

        var byModel = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddDays(1) });
        var byPlatform = await repository.AggregateStatsAsync(new StatsAggregateQuery { GroupBy = StatsGroupBy.Platform });

        foreach (var (aggregate, members) in new[]
        {
            (byModel.Single(a => a.ModelName == "even"), rows.Where(r => r.ModelName == "even")),
            (byModel.Single(a => a.ModelName == "odd"), rows.Where(r => r.ModelName == "odd")),
            (byPlatform.Single(), rows),
        })
        {
            var sorted = members.Select(r => r.Duration.TotalMilliseconds).Order().ToArray();
            Assert.Equal(sorted.Length, aggregate.Requests);
            Assert.Equal(sorted[(int)Math.Ceiling(sorted.Length * 0.50) - 1], aggregate.P50DurationMs);
            Assert.Equal(sorted[(int)Math.Ceiling(sorted.Length * 0.95) - 1], aggregate.P95DurationMs);
        }
    }

    [SkippableFact]
    public async Task Aggregate_ByModel_CountsRequestsOnceAndAttemptsEach()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FailoverSet(), default);

        var x = Assert.Single(await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddHours(1) }));

        // r1 (served on attempt 2), r2 (served on 1), r3 (3 failed attempts), one row without request id (served).
        AssertRequests(x, requests: 4, served: 3, failovers: 1, attempts: 7, successAttempts: 3);
    }

    [SkippableFact]
    public async Task Aggregate_ByPlatform_CountsARequestWhereItHadAttemptsAndServedOnlyWhereServed()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FailoverSet(), default);

        var result = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddHours(1), GroupBy = StatsGroupBy.Platform });

        Assert.Equal([1L, 2L], result.Select(a => a.PlatformId));
        AssertRequests(result[0], requests: 4, served: 2, failovers: 0, attempts: 5, successAttempts: 2); // r3 tried platform 1 twice: one request
        AssertRequests(result[1], requests: 2, served: 1, failovers: 1, attempts: 2, successAttempts: 1);
    }

    [SkippableFact]
    public async Task Aggregate_ByApiKey_CountsRequestsPerKey()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FailoverSet(), default);

        var result = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0, EndTime = T0.AddHours(1), GroupBy = StatsGroupBy.ApiKey });

        Assert.Equal([1L, 2L, 3L], result.Select(a => a.ApiKeyId));
        AssertRequests(result[0], requests: 4, served: 2, failovers: 0, attempts: 4, successAttempts: 2);
        AssertRequests(result[1], requests: 2, served: 1, failovers: 1, attempts: 2, successAttempts: 1);
        AssertRequests(result[2], requests: 1, served: 0, failovers: 0, attempts: 1, successAttempts: 0);
    }

    [SkippableFact]
    public async Task Aggregate_RangeCutsARequestsFirstAttempt_StillCountsTheRequestOnce()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FailoverSet(), default);

        // From r1's second attempt on: r1 keeps one attempt in range, and is one request.
        var x = Assert.Single(await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = T0.AddSeconds(61), EndTime = T0.AddHours(1) }));

        AssertRequests(x, requests: 1, served: 1, failovers: 1, attempts: 1, successAttempts: 1);
    }

    // ---- Time series ----

    [SkippableFact]
    public async Task TimeSeries_Failovers_CountRequestsOncePerBucketAndAttemptsEach()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(FailoverSet(), default);

        var minutes = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddHours(1) });
        var hours = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddHours(1), BucketSize = StatsBucketSize.Hour });
        var platform1 = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddHours(1), PlatformId = 1, BucketSize = StatsBucketSize.Hour });

        // r1 failed at 0:59 and was served at 1:01: a request in both minutes, an error only in the first.
        Assert.Equal([(T0, 4L, 2L, 6L, 4L), (T0.AddMinutes(1), 1L, 0L, 1L, 0L)], minutes.Select(Counts));
        Assert.Equal([(T0, 4L, 1L, 7L, 4L)], hours.Select(Counts));
        Assert.Equal([(T0, 4L, 2L, 5L, 3L)], platform1.Select(Counts));

        static (DateTimeOffset, long, long, long, long) Counts(StatsTimeBucket b) => (b.Start, b.Requests, b.Errors, b.Attempts, b.FailedAttempts);
    }

    [SkippableFact]
    public async Task TimeSeries_Minutes_CountsRequestsAndErrorsPerNonEmptyBucket()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(SeriesSet(), default);

        var buckets = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddHours(4) });

        Assert.Equal(
            [(T0, 3L, 1L), (T0.AddMinutes(1), 1L, 0L), (T0.AddMinutes(2), 2L, 2L), (T0.AddHours(3).AddMinutes(7), 1L, 0L)],
            buckets.Select(b => (b.Start, b.Requests, b.Errors)));
    }

    [SkippableFact]
    public async Task TimeSeries_Hours_CountsRequestsAndErrorsPerNonEmptyBucket()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(SeriesSet(), default);

        var buckets = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddDays(1), BucketSize = StatsBucketSize.Hour });

        Assert.Equal([(T0, 6L, 3L), (T0.AddHours(3), 1L, 0L), (T0.AddHours(5), 1L, 1L)], buckets.Select(b => (b.Start, b.Requests, b.Errors)));
    }

    [SkippableFact]
    public async Task TimeSeries_RangeAndFilters_KeepOnlyMatchingRowsInBucketsAlignedToTheMinute()
    {
        var repository = await OpenAsync();
        await repository.SaveRequestStatsAsync(SeriesSet(), default);

        // The range starts mid-minute: the first bucket still starts on the minute, with only the rows in range.
        var cut = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0.AddSeconds(30), EndTime = T0.AddMinutes(2).AddSeconds(1) });
        var model = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddDays(1), ModelName = "b" });
        var platform = await repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0.AddDays(1), PlatformId = 2, BucketSize = StatsBucketSize.Hour });

        Assert.Equal([(T0, 2L, 1L), (T0.AddMinutes(1), 1L, 0L), (T0.AddMinutes(2), 1L, 1L)], cut.Select(b => (b.Start, b.Requests, b.Errors)));
        Assert.Equal([(T0.AddMinutes(2), 2L, 2L), (T0.AddHours(5), 1L, 1L)], model.Select(b => (b.Start, b.Requests, b.Errors)));
        Assert.Equal([(T0, 2L, 2L), (T0.AddHours(5), 1L, 1L)], platform.Select(b => (b.Start, b.Requests, b.Errors)));
    }

    [SkippableFact]
    public async Task TimeSeries_EmptyRange_Throws()
    {
        var repository = await OpenAsync();

        await Assert.ThrowsAsync<ArgumentException>(() => repository.GetStatsTimeSeriesAsync(new StatsTimeSeriesQuery { StartTime = T0, EndTime = T0 }));
    }

    // ---- Deletes ----

    [SkippableFact]
    public async Task DeleteBefore_DeletesAtMostABatchOldestFirstUntilNoneIsLeft()
    {
        var repository = await OpenAsync();
        var cutoff = T0.AddHours(1);
        await repository.SaveRequestStatsAsync(
            [.. Enumerable.Range(1, 5).Select(i => Stat(i, cutoff.AddMinutes(-i))), Stat(6, cutoff), Stat(7, cutoff.AddMinutes(1))],
            default);

        Assert.Equal(2, await repository.DeleteStatsBeforeAsync(cutoff, 2));
        Assert.Equal(new[] { 7, 6, 1, 2, 3 }, await Remaining()); // rows 5 and 4, the oldest, went first
        Assert.Equal(2, await repository.DeleteStatsBeforeAsync(cutoff, 2));
        Assert.Equal(1, await repository.DeleteStatsBeforeAsync(cutoff, 2));
        Assert.Equal(0, await repository.DeleteStatsBeforeAsync(cutoff, 2));
        Assert.Equal(new[] { 7, 6 }, await Remaining()); // the row exactly at the cutoff stays

        async Task<int[]> Remaining() =>
            [.. (await repository.QueryRequestStatsAsync(new StatsQuery(), default)).Select(r => int.Parse(r.Id[^6..]))];
    }

    [SkippableFact]
    public async Task DeleteBefore_BatchNotPositive_Throws()
    {
        var repository = await OpenAsync();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => repository.DeleteStatsBeforeAsync(T0, 0));
    }

    // ---- Data ----

    protected static string Id(int n) => $"01900000000070008000000000{n:D6}";

    protected static RequestStat Stat(
        int n,
        DateTimeOffset timestamp,
        double durationMs = 10,
        string model = "m",
        long platformId = 1,
        long apiKeyId = 1,
        bool success = true,
        bool stream = false,
        double? firstByteMs = null,
        int? prompt = null,
        int? completion = null,
        int? cached = null,
        int? cacheWrite = null) => new()
        {
            Id = Id(n),
            Timestamp = timestamp,
            ModelName = model,
            PlatformId = platformId,
            ApiKeyId = apiKeyId,
            ModelId = platformId * 10,
            Duration = TimeSpan.FromMilliseconds(durationMs),
            FirstByteTime = firstByteMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            IsStream = stream,
            Success = success,
            ErrorMessage = success ? null : "upstream failed",
            StatusCode = success ? 200 : 500,
            PromptTokens = prompt,
            CompletionTokens = completion,
            CachedInputTokens = cached,
            CacheWriteTokens = cacheWrite,
        };

    private static List<RequestStat> Shuffled(IEnumerable<RequestStat> rows)
    {
        var list = rows.ToList();
        new Random(42).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
        return list;
    }

    /// <summary>
    /// The aggregate dataset. alpha (platform 1): durations 10..100, 30/70/100 failed; streams 10 (first byte 5), 20 (7) and 30 (none); 40 is
    /// not a stream but reports a first byte (ignored); prompt tokens = duration/10 except 50 (none), completion 2 except
    /// 60 (none); cached input tokens = duration/10 except 30, 60 and 90 (none), cache write tokens 4 on the first row only.
    /// beta (platform 2): 100, 200, 300, no usage. Gamma (platform 2): 5 ms, 4 + 6 tokens of which 2 cached and 1 written
    /// to the cache. Two alpha rows lie just outside [T0, T0+1h), with 1,000 cached tokens each.
    /// </summary>
    private static RequestStat[] AggregateSet() => [.. AggregateRows()];

    private static IEnumerable<RequestStat> AggregateRows()
    {
        for (var i = 1; i <= 10; i++)
        {
            var d = i * 10;
            yield return Stat(
                i,
                T0.AddMinutes(i),
                durationMs: d,
                model: "alpha",
                platformId: 1,
                success: d is not (30 or 70 or 100),
                stream: d <= 30,
                firstByteMs: d switch { 10 => 5, 20 => 7, 40 => 1000, _ => null },
                prompt: d == 50 ? null : i,
                completion: d == 60 ? null : 2,
                cached: i % 3 == 0 ? null : i,
                cacheWrite: i == 1 ? 4 : null);
        }

        yield return Stat(11, T0.AddMinutes(5), durationMs: 300, model: "beta", platformId: 2);
        yield return Stat(12, T0.AddMinutes(6), durationMs: 100, model: "beta", platformId: 2);
        yield return Stat(13, T0.AddMinutes(7), durationMs: 200, model: "beta", platformId: 2);
        yield return Stat(14, T0.AddMinutes(8), durationMs: 5, model: "Gamma", platformId: 2, prompt: 4, completion: 6, cached: 2, cacheWrite: 1);
        yield return Stat(15, T0.AddMilliseconds(-1), durationMs: 2000, model: "alpha", platformId: 1, cached: 1000);
        yield return Stat(16, T0.AddHours(1), durationMs: 3000, model: "alpha", platformId: 1, cached: 1000);
    }

    private static void AssertAggregate(StatsAggregate a, long requests, long successes, double p50, double p95, double? firstByte, long prompt, long completion, long cached, long cacheWrite)
    {
        Assert.Equal(requests, a.Requests);
        Assert.Equal(successes, a.Successes);
        Assert.Equal((double)(requests - successes) / requests, a.ErrorRate, 12);
        Assert.Equal(p50, a.P50DurationMs);
        Assert.Equal(p95, a.P95DurationMs);
        if (firstByte is null)
        {
            Assert.Null(a.AverageFirstByteMs);
        }
        else
        {
            Assert.Equal(firstByte.Value, a.AverageFirstByteMs!.Value, 9);
        }

        Assert.Equal(prompt, a.PromptTokens);
        Assert.Equal(completion, a.CompletionTokens);
        Assert.Equal(cached, a.CachedInputTokens);
        Assert.Equal(cacheWrite, a.CacheWriteTokens);
    }

    /// <summary>
    /// Model x, all in the first minute but r1's second attempt: r1 fails on platform 1 (key 1) at 0:59 and is served by
    /// platform 2 (key 2) at 1:01; r2 is served by platform 1 (key 1); r3 fails on platform 1 (keys 1 and 3), then on
    /// platform 2 (key 2); one row without request id is served by platform 1 (key 1).
    /// </summary>
    private static RequestStat[] FailoverSet() =>
    [
        Attempt(1, T0.AddSeconds(59), "r1", 1, platformId: 1, apiKeyId: 1, success: false),
        Attempt(2, T0.AddSeconds(61), "r1", 2, platformId: 2, apiKeyId: 2, success: true),
        Attempt(3, T0.AddSeconds(1), "r2", 1, platformId: 1, apiKeyId: 1, success: true),
        Attempt(4, T0.AddSeconds(2), "r3", 1, platformId: 1, apiKeyId: 1, success: false),
        Attempt(5, T0.AddSeconds(3), "r3", 2, platformId: 1, apiKeyId: 3, success: false),
        Attempt(6, T0.AddSeconds(4), "r3", 3, platformId: 2, apiKeyId: 2, success: false),
        Stat(7, T0.AddSeconds(5), model: "x", platformId: 1, apiKeyId: 1),
    ];

    private static RequestStat Attempt(int n, DateTimeOffset timestamp, string request, int attempt, long platformId, long apiKeyId, bool success) =>
        Stat(n, timestamp, model: "x", platformId: platformId, apiKeyId: apiKeyId, success: success) with
        {
            RequestId = "0190" + request.PadLeft(28, '0'),
            Attempt = attempt,
        };

    private static void AssertRequests(StatsAggregate a, long requests, long served, long failovers, long attempts, long successAttempts)
    {
        Assert.Equal((requests, served, failovers), (a.Requests, a.Successes, a.Failovers));
        Assert.Equal((attempts, successAttempts), (a.Attempts, a.SuccessAttempts));
        Assert.Equal((double)(requests - served) / requests, a.ErrorRate, 12);
        Assert.Equal((double)(attempts - successAttempts) / attempts, a.AttemptErrorRate, 12);
    }

    /// <summary>Minute 0: three rows (one failed); minute 1: one; minute 2: two failed (model b, platform 2); 3:07: one; 5:00: one failed (b, 2).</summary>
    private static RequestStat[] SeriesSet() =>
    [
        Stat(1, T0, model: "a"),
        Stat(2, T0.AddSeconds(30), model: "a", success: false),
        Stat(3, T0.AddSeconds(59.999), model: "a"),
        Stat(4, T0.AddMinutes(1), model: "a"),
        Stat(5, T0.AddMinutes(2), model: "b", platformId: 2, success: false),
        Stat(6, T0.AddMinutes(2).AddSeconds(1), model: "b", platformId: 2, success: false),
        Stat(7, T0.AddHours(3).AddMinutes(7), model: "a"),
        Stat(8, T0.AddHours(5), model: "b", platformId: 2, success: false),
    ];

    /// <summary>Eight rows, one a minute from T0, each field varying; rows 3 and 6 failed.</summary>
    private static RequestStat[] FilterSet() =>
    [
        .. Enumerable.Range(1, 8).Select(i => Stat(
            i,
            T0.AddMinutes(i),
            model: i <= 4 ? "a" : "b",
            platformId: i % 2 == 0 ? 2 : 1,
            apiKeyId: i <= 2 ? 7 : 8,
            success: i is not (3 or 6),
            stream: i >= 6) with
        {
            Protocol = i == 8 ? null : i <= 5 ? InboundProtocols.OpenAIChat : "other",
            Caller = i switch { 1 or 4 or 6 => "client-1", 2 => "client-2", 3 => "admin", _ => null },
            TargetFormat = i switch { 8 => null, 3 or 6 or 7 => PlatformFormats.Anthropic, _ => PlatformFormats.OpenAI },
        }),
    ];

    private static readonly Dictionary<string, (StatsQuery Query, int[] Expected, long Succeeded)> FilterCases = new()
    {
        ["start (inclusive)"] = (new StatsQuery { StartTime = T0.AddMinutes(6) }, [8, 7, 6], 2),
        ["end (exclusive)"] = (new StatsQuery { EndTime = T0.AddMinutes(3) }, [2, 1], 2),
        ["model"] = (new StatsQuery { ModelName = "a" }, [4, 3, 2, 1], 3),
        ["model, ordinal"] = (new StatsQuery { ModelName = "A" }, [], 0),
        ["succeeded"] = (new StatsQuery { Success = true }, [8, 7, 5, 4, 2, 1], 6),
        ["failed"] = (new StatsQuery { Success = false }, [6, 3], 0),
        ["platform"] = (new StatsQuery { PlatformId = 2 }, [8, 6, 4, 2], 3),
        ["key"] = (new StatsQuery { ApiKeyId = 7 }, [2, 1], 2),
        ["stream"] = (new StatsQuery { IsStream = true }, [8, 7, 6], 2),
        ["not stream"] = (new StatsQuery { IsStream = false }, [5, 4, 3, 2, 1], 4),
        ["protocol"] = (new StatsQuery { Protocol = InboundProtocols.OpenAIChat }, [5, 4, 3, 2, 1], 4),
        ["protocol, ordinal"] = (new StatsQuery { Protocol = "Other" }, [], 0),
        ["caller"] = (new StatsQuery { Caller = "client-1" }, [6, 4, 1], 2),
        ["caller, ordinal"] = (new StatsQuery { Caller = "CLIENT-1" }, [], 0),
        ["caller and protocol"] = (new StatsQuery { Caller = "client-1", Protocol = "other" }, [6], 0),
        ["target format"] = (new StatsQuery { TargetFormat = PlatformFormats.Anthropic }, [7, 6, 3], 1),
        ["target format, ordinal"] = (new StatsQuery { TargetFormat = "Anthropic" }, [], 0),
        ["target format and caller"] = (new StatsQuery { TargetFormat = PlatformFormats.OpenAI, Caller = "client-1" }, [4, 1], 2),
        ["all at once"] = (new StatsQuery { StartTime = T0.AddMinutes(2), EndTime = T0.AddMinutes(8), ModelName = "b", PlatformId = 2, ApiKeyId = 8, IsStream = true, Success = false, Protocol = "other", Caller = "client-1", TargetFormat = PlatformFormats.Anthropic }, [6], 0),
    };
}
