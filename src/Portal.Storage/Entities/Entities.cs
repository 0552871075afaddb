namespace Portal.Storage.Entities;

// Rows as stored. Times are UTC Unix milliseconds (bigint), so both providers compare, index and bucket them the same
// way; durations are milliseconds as double. Domain records (Portal.Platform and so on) are mapped in EntityMapping.

/// <summary>Where a configuration row came from: the config file manages only its own rows.</summary>
internal static class RowSource
{
    public const string Admin = "admin";
    public const string Config = "config";
}

/// <summary>A configuration row (platform, model or key): what the config import and the admin writes need to manage any of them.</summary>
internal interface IConfigRow
{
    long Id { get; set; }

    string? Name { get; }

    bool Enabled { get; set; }

    string Source { get; }

    long CreatedAt { get; set; }

    long UpdatedAt { get; set; }
}

internal sealed class PlatformEntity : IConfigRow
{
    public long Id { get; set; }

    public string Name { get; set; } = "";

    public string Format { get; set; } = "";

    public string BaseUrl { get; set; } = "";

    /// <summary>The version of the format's API the platform is called with (such as <c>anthropic-version</c>); null for the format's default.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>The <c>max_tokens</c> sent to a format that requires one when the client sets none; null for the default.</summary>
    public int? DefaultMaxTokens { get; set; }

    public int? Rpm { get; set; }

    public int? Tpm { get; set; }

    public bool Enabled { get; set; } = true;

    public string Source { get; set; } = RowSource.Admin;

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class ModelEntity : IConfigRow
{
    public long Id { get; set; }

    public long PlatformId { get; set; }

    public string Name { get; set; } = "";

    public string? Alias { get; set; }

    public bool Enabled { get; set; } = true;

    public string Source { get; set; } = RowSource.Admin;

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class ApiKeyEntity : IConfigRow
{
    public long Id { get; set; }

    public long PlatformId { get; set; }

    /// <summary>An optional name, unique per platform: how the config file identifies a key whose value may change.</summary>
    public string? Name { get; set; }

    public string Value { get; set; } = "";

    public bool Enabled { get; set; } = true;

    public string Source { get; set; } = RowSource.Admin;

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

internal sealed class HealthEntity
{
    public int ResourceKind { get; set; }

    public long ResourceId { get; set; }

    public int Status { get; set; }

    public int RetryCount { get; set; }

    public long? NextAvailableAt { get; set; }

    public long BackoffMs { get; set; }

    public string? LastError { get; set; }

    public int? LastErrorCode { get; set; }

    public long LastCheckAt { get; set; }

    public long? LastSuccessAt { get; set; }

    public long SuccessCount { get; set; }

    public long ErrorCount { get; set; }
}

internal sealed class RequestStatEntity
{
    public string Id { get; set; } = "";

    public long Timestamp { get; set; }

    /// <summary>The client request's id, shared by its attempts; null on rows written before it was recorded.</summary>
    public string? RequestId { get; set; }

    /// <summary>The attempt's number within its request, from 1; 0 on rows written before it was recorded.</summary>
    public int Attempt { get; set; }

    /// <summary>The protocol the client request came in as (such as <c>openai-chat</c>); null on rows written before it was recorded.</summary>
    public string? Protocol { get; set; }

    /// <summary>The name of the client's token (such as <c>client-1</c>), never the token; null when unknown or on rows written before it was recorded.</summary>
    public string? Caller { get; set; }

    public bool IsStream { get; set; }

    public string ModelName { get; set; } = "";

    public long PlatformId { get; set; }

    public long ApiKeyId { get; set; }

    public long ModelId { get; set; }

    public double DurationMs { get; set; }

    public double? FirstByteMs { get; set; }

    public bool Success { get; set; }

    public string? ErrorMessage { get; set; }

    public int? StatusCode { get; set; }

    public int? PromptTokens { get; set; }

    public int? CompletionTokens { get; set; }

    /// <summary>Of the prompt tokens, those read from the platform's prompt cache; null when not reported and on rows written before it was recorded.</summary>
    public int? CachedInputTokens { get; set; }

    /// <summary>Of the prompt tokens, those written to the platform's prompt cache; null when not reported and on rows written before it was recorded.</summary>
    public int? CacheWriteTokens { get; set; }

    /// <summary>The format of the platform the attempt went to (such as <c>openai</c>); null on rows written before it was recorded.</summary>
    public string? TargetFormat { get; set; }
}
