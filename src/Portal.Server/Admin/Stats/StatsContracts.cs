using System.Text.Json.Serialization;
using Portal.Storage;

namespace Portal.Server.Admin.Stats;

/// <summary>One stat row: one upstream attempt of a client request.</summary>
internal sealed class StatResponse
{
    public required string Id { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The client request's id (its <c>X-Request-Id</c>), shared by its attempts; null on rows written before it was recorded.</summary>
    public string? RequestId { get; init; }

    /// <summary>The attempt's number within its request, from 1; 0 on rows written before it was recorded.</summary>
    public int Attempt { get; init; }

    /// <summary>The protocol the client request came in as (such as <c>openai-chat</c>); null on rows written before it was recorded.</summary>
    public string? Protocol { get; init; }

    /// <summary>Who made the client request: the name of its token (<c>client-1</c>, <c>admin</c>), never the token; null when no token was required, and on rows written before it was recorded.</summary>
    public string? Caller { get; init; }

    public bool IsStream { get; init; }

    public required string ModelName { get; init; }

    public long PlatformId { get; init; }

    public long ApiKeyId { get; init; }

    public long ModelId { get; init; }

    public double DurationMs { get; init; }

    public double? FirstByteMs { get; init; }

    public bool Success { get; init; }

    public string? ErrorMessage { get; init; }

    public int? StatusCode { get; init; }

    public int? PromptTokens { get; init; }

    public int? CompletionTokens { get; init; }

    /// <summary>Of the prompt tokens, those read from the platform's prompt cache; null when not reported, and on rows written before it was recorded.</summary>
    public int? CachedInputTokens { get; init; }

    /// <summary>Of the prompt tokens, those written to the platform's prompt cache; null when not reported, and on rows written before it was recorded.</summary>
    public int? CacheWriteTokens { get; init; }

    /// <summary>The format of the platform the attempt went to (such as <c>openai</c>); null on rows written before it was recorded.</summary>
    public string? TargetFormat { get; init; }
}

internal sealed class StatsPageResponse
{
    public string Object { get; init; } = "list";

    public required IReadOnlyList<StatResponse> Data { get; init; }

    public int Limit { get; init; }

    public int Offset { get; init; }

    /// <summary>Whether more rows match beyond this page.</summary>
    public bool HasMore { get; init; }
}

/// <summary>The matching stats counted as client requests and as upstream attempts (see <see cref="StatsSummary"/>).</summary>
internal sealed class StatsCountResponse
{
    /// <summary>Client requests with a matching attempt, each once however many attempts it made.</summary>
    public long TotalRequests { get; init; }

    /// <summary>Requests served: a matching attempt succeeded.</summary>
    public long SuccessRequests { get; init; }

    /// <summary>Requests not served by a matching attempt.</summary>
    public long FailedRequests { get; init; }

    /// <summary>Matching rows: upstream attempts.</summary>
    public long TotalAttempts { get; init; }

    /// <summary>Attempts that succeeded.</summary>
    public long SuccessAttempts { get; init; }

    /// <summary>Attempts that failed.</summary>
    public long FailedAttempts { get; init; }
}

internal sealed class StatsSummaryResponse
{
    public DateTimeOffset StartTime { get; init; }

    public DateTimeOffset EndTime { get; init; }

    /// <summary><c>model</c>, <c>platform</c> or <c>key</c>.</summary>
    public required string GroupBy { get; init; }

    public required IReadOnlyList<StatsGroupResponse> Data { get; init; }
}

internal sealed record StatsGroupResponse
{
    /// <summary>The requested model name, when grouped by model.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ModelName { get; init; }

    /// <summary>The platform, when grouped by platform or key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? PlatformId { get; init; }

    /// <summary>The platform's name when it still exists.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PlatformName { get; init; }

    /// <summary>The key, when grouped by key.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? ApiKeyId { get; init; }

    /// <summary>The key's name, or its masked value, when it still exists.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ApiKeyName { get; init; }

    /// <summary>Client requests with an attempt in the group (see <see cref="StatsAggregate"/>).</summary>
    public long Requests { get; init; }

    /// <summary>Requests served by an attempt in the group.</summary>
    public long Successes { get; init; }

    /// <summary>The share of requests the group did not serve: per request, not per attempt.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Requests served in the group after a failed attempt.</summary>
    public long Failovers { get; init; }

    /// <summary>Upstream attempts in the group.</summary>
    public long Attempts { get; init; }

    /// <summary>Attempts that succeeded.</summary>
    public long SuccessAttempts { get; init; }

    /// <summary>The share of attempts that failed.</summary>
    public double AttemptErrorRate { get; init; }

    /// <summary>Per attempt, as are the time to first byte and the tokens.</summary>
    public double P50DurationMs { get; init; }

    public double P95DurationMs { get; init; }

    public double? AverageFirstByteMs { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>Of the prompt tokens, those read from prompt caches (attempts that did not report them count as 0).</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Of the prompt tokens, those written to prompt caches (attempts that did not report them count as 0).</summary>
    public long CacheWriteTokens { get; init; }
}

internal sealed class StatsSeriesResponse
{
    public DateTimeOffset StartTime { get; init; }

    public DateTimeOffset EndTime { get; init; }

    /// <summary><c>minute</c> or <c>hour</c>.</summary>
    public required string Bucket { get; init; }

    public required IReadOnlyList<StatsBucketResponse> Data { get; init; }
}

/// <summary>One bucket of the series (see <see cref="StatsTimeBucket"/>).</summary>
internal sealed class StatsBucketResponse
{
    public DateTimeOffset Start { get; init; }

    /// <summary>Client requests with an attempt in the bucket.</summary>
    public long Requests { get; init; }

    /// <summary>Requests of the bucket not served in it.</summary>
    public long Errors { get; init; }

    /// <summary>Upstream attempts in the bucket.</summary>
    public long Attempts { get; init; }

    /// <summary>Attempts of the bucket that failed.</summary>
    public long FailedAttempts { get; init; }
}
