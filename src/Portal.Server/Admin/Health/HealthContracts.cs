namespace Portal.Server.Admin.Health;

/// <summary>What <c>POST /admin/health/reset</c> resets: everything, one kind, or one resource.</summary>
internal sealed class HealthResetRequest
{
    /// <summary><c>platform</c>, <c>model</c> or <c>key</c>.</summary>
    public string? Kind { get; set; }

    public long? Id { get; set; }
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
