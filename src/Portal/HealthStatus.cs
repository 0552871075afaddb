namespace Portal;

/// <summary>The health of a platform, key or model.</summary>
public enum HealthStatus
{
    /// <summary>Never used: counts as usable so that new resources get tried.</summary>
    Unknown = 0,

    /// <summary>The last use succeeded.</summary>
    Available = 1,

    /// <summary>The last use failed; not usable until <see cref="HealthState.NextAvailableAt"/>.</summary>
    Warning = 2,

    /// <summary>Taken out of service (set by an operator or by storage); never routed to until reset.</summary>
    Unavailable = 3,
}

/// <summary>The kind of resource a <see cref="HealthState"/> belongs to.</summary>
public enum ResourceKind
{
    /// <summary>A <see cref="Portal.Platform"/>.</summary>
    Platform = 0,

    /// <summary>An <see cref="Portal.ApiKey"/>.</summary>
    ApiKey = 1,

    /// <summary>A <see cref="Portal.Model"/>.</summary>
    Model = 2,
}

/// <summary>A snapshot of one resource's health.</summary>
public sealed record HealthState
{
    /// <summary>The kind of resource.</summary>
    public ResourceKind ResourceKind { get; init; }

    /// <summary>The resource's id.</summary>
    public long ResourceId { get; init; }

    /// <summary>The current status.</summary>
    public HealthStatus Status { get; init; }

    /// <summary>How many failures in a row the resource has had since its last success.</summary>
    public int RetryCount { get; init; }

    /// <summary>When a resource in <see cref="HealthStatus.Warning"/> may be tried again.</summary>
    public DateTimeOffset? NextAvailableAt { get; init; }

    /// <summary>The backoff applied after the last failure.</summary>
    public TimeSpan BackoffDuration { get; init; }

    /// <summary>The last error's message (never contains a key).</summary>
    public string? LastError { get; init; }

    /// <summary>The last error's upstream HTTP status, when there was one.</summary>
    public int? LastErrorCode { get; init; }

    /// <summary>When the resource was last used.</summary>
    public DateTimeOffset LastCheckAt { get; init; }

    /// <summary>When the resource last succeeded.</summary>
    public DateTimeOffset? LastSuccessAt { get; init; }

    /// <summary>Successful uses in total.</summary>
    public long SuccessCount { get; init; }

    /// <summary>Failed uses in total.</summary>
    public long ErrorCount { get; init; }
}
