using System.Text.Json.Serialization;
using Portal.Storage;

namespace Portal.Server.Admin;

// The admin API's wire types. Requests have nullable properties: a property left out keeps the stored value (PUT and
// PATCH both merge); the few that can be cleared (alias, rateLimit) record whether they were present at all.

/// <summary>A platform to create (name, format and baseUrl required) or the fields of one to change.</summary>
internal sealed class PlatformWrite
{
    private RateLimitBody? _rateLimit;

    public string? Name { get; set; }

    public string? Format { get; set; }

    public string? BaseUrl { get; set; }

    /// <summary>Replaces the whole rate limit; <c>null</c> removes it.</summary>
    public RateLimitBody? RateLimit
    {
        get => _rateLimit;
        set
        {
            _rateLimit = value;
            HasRateLimit = true;
        }
    }

    public bool? Enabled { get; set; }

    [JsonIgnore]
    public bool HasRateLimit { get; private set; }
}

/// <summary>Requests and tokens per minute; <c>null</c> for no limit.</summary>
internal sealed class RateLimitBody
{
    public int? Rpm { get; set; }

    public int? Tpm { get; set; }
}

/// <summary>A model to create (platformId and name required) or the fields of one to change.</summary>
internal sealed class ModelWrite
{
    private string? _alias;

    public long? PlatformId { get; set; }

    public string? Name { get; set; }

    /// <summary>The public name clients may ask for; <c>null</c> or empty removes it.</summary>
    public string? Alias
    {
        get => _alias;
        set
        {
            _alias = value;
            HasAlias = true;
        }
    }

    public bool? Enabled { get; set; }

    [JsonIgnore]
    public bool HasAlias { get; private set; }
}

/// <summary>A key to create (platformId and value required) or the fields of one to change; leaving out the value keeps it.</summary>
internal sealed class ApiKeyWrite
{
    public long? PlatformId { get; set; }

    /// <summary>The secret. Write-only: responses show <c>maskedValue</c>.</summary>
    public string? Value { get; set; }

    public bool? Enabled { get; set; }
}

/// <summary>What <c>POST /admin/health/reset</c> resets: everything, one kind, or one resource.</summary>
internal sealed class HealthResetRequest
{
    /// <summary><c>platform</c>, <c>model</c> or <c>key</c>.</summary>
    public string? Kind { get; set; }

    public long? Id { get; set; }
}

internal sealed class RateLimitResponse
{
    public int? Rpm { get; init; }

    public int? Tpm { get; init; }
}

internal sealed class PlatformResponse
{
    public long Id { get; init; }

    public required string Name { get; init; }

    public required string Format { get; init; }

    public required string BaseUrl { get; init; }

    public RateLimitResponse? RateLimit { get; init; }

    public bool Enabled { get; init; }

    /// <summary><c>config</c> (managed by the config file) or <c>admin</c>.</summary>
    public required string Source { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}

internal sealed class ModelResponse
{
    public long Id { get; init; }

    public long PlatformId { get; init; }

    public required string Name { get; init; }

    public string? Alias { get; init; }

    public bool Enabled { get; init; }

    public required string Source { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}

internal sealed class ApiKeyResponse
{
    public long Id { get; init; }

    public long PlatformId { get; init; }

    /// <summary>The key's name when the config file gave it one.</summary>
    public string? Name { get; init; }

    /// <summary>The value masked by <see cref="ApiKey.Mask"/>; the value itself is never returned.</summary>
    public required string MaskedValue { get; init; }

    public bool Enabled { get; init; }

    public required string Source { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}

/// <summary>The answer to a delete, in the OpenAI shape (<c>{"id","object","deleted"}</c>).</summary>
internal sealed class DeletedResponse
{
    public long Id { get; init; }

    /// <summary><c>platform</c>, <c>model</c> or <c>key</c>.</summary>
    public required string Object { get; init; }

    public bool Deleted { get; init; }

    /// <summary>For a platform: how many of its models and keys went with it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DeletedModels { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? DeletedKeys { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Warning { get; init; }
}

/// <summary>A list in the OpenAI shape, <c>{"object":"list","data":[...]}</c>.</summary>
internal sealed class ListResponse<T>
{
    public string Object { get; init; } = "list";

    public required IReadOnlyList<T> Data { get; init; }
}

internal sealed class HealthResponse
{
    /// <summary><c>platform</c>, <c>model</c> or <c>key</c>.</summary>
    public required string Kind { get; init; }

    public long Id { get; init; }

    /// <summary>The platform of a model or key; <c>null</c> for platforms.</summary>
    public long? PlatformId { get; init; }

    /// <summary>The platform's or model's name; for a key its name, or its masked value when it has none.</summary>
    public required string Name { get; init; }

    public bool Enabled { get; init; }

    public required string Source { get; init; }

    /// <summary><c>unknown</c> (never used), <c>available</c>, <c>warning</c> (backing off) or <c>unavailable</c>.</summary>
    public required string Status { get; init; }

    public int RetryCount { get; init; }

    /// <summary>Until when a resource in <c>warning</c> is skipped.</summary>
    public DateTimeOffset? NextAvailableAt { get; init; }

    public double BackoffMs { get; init; }

    public string? LastError { get; init; }

    public int? LastErrorCode { get; init; }

    public DateTimeOffset? LastCheckAt { get; init; }

    public DateTimeOffset? LastSuccessAt { get; init; }

    public long SuccessCount { get; init; }

    public long ErrorCount { get; init; }
}

internal sealed class HealthResetResponse
{
    /// <summary>How many resources were returned to <c>unknown</c>.</summary>
    public int Reset { get; init; }
}

/// <summary>One stat row: one upstream attempt of a client request.</summary>
internal sealed class StatResponse
{
    public required string Id { get; init; }

    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The client request's id (its <c>X-Request-Id</c>), shared by its attempts; null on rows written before it was recorded.</summary>
    public string? RequestId { get; init; }

    /// <summary>The attempt's number within its request, from 1; 0 on rows written before it was recorded.</summary>
    public int Attempt { get; init; }

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
