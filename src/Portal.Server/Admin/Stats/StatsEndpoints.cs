using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Stats;

/// <summary><c>/admin/stats</c>: request stats (one row per upstream attempt), counts, aggregates and a time series, counting client requests and upstream attempts apart.</summary>
/// <remarks>Stats hold key ids, never key values; error messages were scrubbed of anything shaped like a key when recorded.</remarks>
internal static class StatsEndpoints
{
    /// <summary>The most rows one page returns.</summary>
    public const int MaxLimit = 1000;

    private const int DefaultLimit = 100;

    /// <summary>The range of summary and series when the query gives no start.</summary>
    private static readonly TimeSpan DefaultRange = TimeSpan.FromHours(24);

    private static readonly string[] Filters = ["startTime", "endTime", "modelName", "success", "platformId", "apiKeyId", "isStream", "requestId", "protocol", "caller", "targetFormat"];

    public static void MapStats(this RouteGroupBuilder admin)
    {
        admin.MapGet("/stats", QueryAsync)
            .WithName("AdminQueryStats")
            .WithSummary("Lists request stats (one row per upstream attempt), newest first: filters startTime, endTime, modelName, success, platformId, apiKeyId, isStream, requestId (one request's attempts, in attempt order), protocol (such as openai-chat), caller (the client token's name, such as client-1), targetFormat (the format of the platform tried, such as openai); limit (1–1000, default 100) and offset.")
            .Produces<StatsPageResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        admin.MapGet("/stats/count", CountAsync)
            .WithName("AdminCountStats")
            .WithSummary("Counts the client requests (each once, served when an attempt succeeded) and the upstream attempts matching the same filters as /admin/stats.")
            .Produces<StatsCountResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        admin.MapGet("/stats/summary", SummaryAsync)
            .WithName("AdminStatsSummary")
            .WithSummary("Aggregates request stats per model, platform or key (groupBy, default model) over startTime–endTime (default the last 24 hours): requests, served, failovers and error rate per request; attempts and their error rate; p50/p95 duration, time to first byte and tokens (prompt, completion, cached input, cache write) per attempt.")
            .Produces<StatsSummaryResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        admin.MapGet("/stats/series", SeriesAsync)
            .WithName("AdminStatsSeries")
            .WithSummary("Counts requests and unserved requests, attempts and failed attempts per minute or hour (bucket, default hour) over startTime–endTime (default the last 24 hours), optionally of one modelName or platformId.")
            .Produces<StatsSeriesResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);
    }

    /// <summary>How long a stats read waits for queued stats to be written before it reads what storage has.</summary>
    private static readonly TimeSpan FlushWait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Writes queued stats so a read sees recent requests, but waits at most <see cref="FlushWait"/>: while storage is
    /// down the writer retries for as long as it takes, and an admin read must fail fast (503) rather than hang.
    /// </summary>
    private static async Task FlushBrieflyAsync(PortalGateway gateway, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(FlushWait);
        try
        {
            await gateway.FlushStatsAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Read what is written; the rest stays queued and is written when storage allows.
        }
    }

    private static async Task<IResult> QueryAsync(HttpContext http, [FromServices] PortalGateway gateway, [FromServices] IPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, [.. Filters, "limit", "offset"]);
        var filters = ReadFilters(http.Request);
        var limit = AdminQuery.OptionalInt(http.Request, "limit", 1, MaxLimit) ?? DefaultLimit;
        var offset = AdminQuery.OptionalInt(http.Request, "offset", 0, int.MaxValue) ?? 0;

        // One row more than asked tells whether there is a next page.
        await FlushBrieflyAsync(gateway, http.RequestAborted);
        var rows = await repository.QueryRequestStatsAsync(filters with { Limit = limit + 1, Offset = offset }, http.RequestAborted);
        return TypedResults.Json(
            new StatsPageResponse
            {
                Data = [.. rows.Take(limit).Select(ToResponse)],
                Limit = limit,
                Offset = offset,
                HasMore = rows.Count > limit,
            },
            AdminJsonContext.Api.StatsPageResponse);
    }

    private static async Task<IResult> CountAsync(HttpContext http, [FromServices] PortalGateway gateway, [FromServices] IPortalRepository repository)
    {
        // limit and offset are accepted (and ignored) so one query string serves both a page and its total.
        AdminQuery.Allow(http.Request, [.. Filters, "limit", "offset"]);
        await FlushBrieflyAsync(gateway, http.RequestAborted);
        var counts = await repository.CountRequestStatsAsync(ReadFilters(http.Request), http.RequestAborted);
        return TypedResults.Json(
            new StatsCountResponse
            {
                TotalRequests = counts.TotalRequests,
                SuccessRequests = counts.SuccessRequests,
                FailedRequests = counts.TotalRequests - counts.SuccessRequests,
                TotalAttempts = counts.TotalAttempts,
                SuccessAttempts = counts.SuccessAttempts,
                FailedAttempts = counts.TotalAttempts - counts.SuccessAttempts,
            },
            AdminJsonContext.Api.StatsCountResponse);
    }

    private static async Task<IResult> SummaryAsync(HttpContext http, [FromServices] IRequestStatsStore stats, [FromServices] IConfigStore config, [FromServices] PortalGateway gateway)
    {
        AdminQuery.Allow(http.Request, "startTime", "endTime", "groupBy");
        var (start, end) = ReadRange(http);
        var groupBy = AdminQuery.OptionalChoice(http.Request, "groupBy", "model", "platform", "key") ?? "model";

        await FlushBrieflyAsync(gateway, http.RequestAborted);
        var query = new StatsAggregateQuery
        {
            StartTime = start,
            EndTime = end,
            GroupBy = groupBy switch { "platform" => StatsGroupBy.Platform, "key" => StatsGroupBy.ApiKey, _ => StatsGroupBy.Model },
        };
        var groups = await StatsGroups.AggregateAsync(stats, config, query, http.RequestAborted);
        List<StatsGroupResponse> data = [.. groups.Select(g => ToResponse(g.Stats) with
        {
            ModelName = g.Stats.ModelName,
            ApiKeyId = g.Stats.ApiKeyId,
            ApiKeyName = g.ApiKeyName,
            PlatformId = g.PlatformId,
            PlatformName = g.PlatformName,
        })];

        return TypedResults.Json(
            new StatsSummaryResponse { StartTime = start, EndTime = end, GroupBy = groupBy, Data = data },
            AdminJsonContext.Api.StatsSummaryResponse);
    }

    private static async Task<IResult> SeriesAsync(HttpContext http, [FromServices] IRequestStatsStore stats, [FromServices] PortalGateway gateway)
    {
        AdminQuery.Allow(http.Request, "startTime", "endTime", "bucket", "modelName", "platformId");
        var (start, end) = ReadRange(http);
        if (end == start)
        {
            throw AdminException.BadRequest("endTime", "'endTime' must be after 'startTime'.");
        }

        var bucket = AdminQuery.OptionalChoice(http.Request, "bucket", "minute", "hour") ?? "hour";
        var query = new StatsTimeSeriesQuery
        {
            StartTime = start,
            EndTime = end,
            BucketSize = bucket == "minute" ? StatsBucketSize.Minute : StatsBucketSize.Hour,
            ModelName = AdminQuery.Text(http.Request, "modelName"),
            PlatformId = AdminQuery.OptionalId(http.Request, "platformId"),
        };

        await FlushBrieflyAsync(gateway, http.RequestAborted);
        var buckets = await stats.GetStatsTimeSeriesAsync(query, http.RequestAborted);
        return TypedResults.Json(
            new StatsSeriesResponse
            {
                StartTime = start,
                EndTime = end,
                Bucket = bucket,
                Data = [.. buckets.Select(b => new StatsBucketResponse { Start = b.Start, Requests = b.Requests, Errors = b.Errors, Attempts = b.Attempts, FailedAttempts = b.FailedAttempts })],
            },
            AdminJsonContext.Api.StatsSeriesResponse);
    }

    private static StatsQuery ReadFilters(HttpRequest request)
    {
        var start = AdminQuery.OptionalTime(request, "startTime");
        var end = AdminQuery.OptionalTime(request, "endTime");
        if (start is { } from && end is { } to)
        {
            ThrowIfBackwards(from, to);
        }

        return new StatsQuery
        {
            StartTime = start,
            EndTime = end,
            ModelName = AdminQuery.Text(request, "modelName"),
            Success = AdminQuery.OptionalBool(request, "success"),
            PlatformId = AdminQuery.OptionalId(request, "platformId"),
            ApiKeyId = AdminQuery.OptionalId(request, "apiKeyId"),
            IsStream = AdminQuery.OptionalBool(request, "isStream"),
            RequestId = AdminQuery.OptionalText(request, "requestId", StatsWriter.MaxRequestIdLength),
            Protocol = AdminQuery.OptionalText(request, "protocol", StatsWriter.MaxNameLength),
            Caller = AdminQuery.OptionalText(request, "caller", StatsWriter.MaxNameLength),
            TargetFormat = AdminQuery.OptionalText(request, "targetFormat", StatsWriter.MaxFormatLength),
        };
    }

    /// <summary>startTime and endTime, by default the last 24 hours up to now (or before endTime).</summary>
    private static (DateTimeOffset Start, DateTimeOffset End) ReadRange(HttpContext http)
    {
        var time = http.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var end = AdminQuery.OptionalTime(http.Request, "endTime") ?? time.GetUtcNow();
        var start = AdminQuery.OptionalTime(http.Request, "startTime") ?? end - DefaultRange;
        ThrowIfBackwards(start, end);
        return (start, end);
    }

    /// <summary>A 400 on <c>endTime</c> when the range ends before it starts.</summary>
    private static void ThrowIfBackwards(DateTimeOffset start, DateTimeOffset end)
    {
        if (start > end)
        {
            throw AdminException.BadRequest("endTime", $"'endTime' ({end:O}) is before 'startTime' ({start:O}).");
        }
    }

    private static StatResponse ToResponse(RequestStat stat) => new()
    {
        Id = stat.Id,
        Timestamp = stat.Timestamp,
        RequestId = stat.RequestId,
        Attempt = stat.Attempt,
        Protocol = stat.Protocol,
        Caller = stat.Caller,
        IsStream = stat.IsStream,
        ModelName = stat.ModelName,
        PlatformId = stat.PlatformId,
        ApiKeyId = stat.ApiKeyId,
        ModelId = stat.ModelId,
        DurationMs = stat.Duration.TotalMilliseconds,
        FirstByteMs = stat.FirstByteTime?.TotalMilliseconds,
        Success = stat.Success,
        ErrorMessage = stat.ErrorMessage,
        StatusCode = stat.StatusCode,
        PromptTokens = stat.PromptTokens,
        CompletionTokens = stat.CompletionTokens,
        CachedInputTokens = stat.CachedInputTokens,
        CacheWriteTokens = stat.CacheWriteTokens,
        TargetFormat = stat.TargetFormat,
    };

    private static StatsGroupResponse ToResponse(StatsAggregate g) => new()
    {
        Requests = g.Requests,
        Successes = g.Successes,
        ErrorRate = g.ErrorRate,
        Failovers = g.Failovers,
        Attempts = g.Attempts,
        SuccessAttempts = g.SuccessAttempts,
        AttemptErrorRate = g.AttemptErrorRate,
        P50DurationMs = g.P50DurationMs,
        P95DurationMs = g.P95DurationMs,
        AverageFirstByteMs = g.AverageFirstByteMs,
        PromptTokens = g.PromptTokens,
        CompletionTokens = g.CompletionTokens,
        CachedInputTokens = g.CachedInputTokens,
        CacheWriteTokens = g.CacheWriteTokens,
    };
}
