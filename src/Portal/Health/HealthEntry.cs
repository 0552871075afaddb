using Portal.Internal;

namespace Portal.Health;

/// <summary>The mutable health of one resource.</summary>
/// <remarks>
/// Thread-safe. <see cref="IsUsable"/> is lock-free (it runs for every channel of every request);
/// updates take a per-entry lock so that counters and timestamps stay consistent.
/// </remarks>
internal sealed class HealthEntry
{
    /// <summary>The jitter source of entries made outside a gateway (a <see cref="Channel"/> built by a custom selector's tests).</summary>
    private static readonly RandomSource SharedRandom = new(Random.Shared);

    private readonly Lock _lock = new();
    private readonly RandomSource _random;
    private volatile HealthStatus _status;
    private long _nextAvailableTicks; // UTC ticks; read lock-free, written under the lock
    private int _retryCount;
    private TimeSpan _backoff;
    private string? _lastError;
    private int? _lastErrorCode;
    private DateTimeOffset _lastCheckAt;
    private DateTimeOffset? _lastSuccessAt;
    private long _successCount;
    private long _errorCount;
    private bool _dirty;

    public HealthEntry(ResourceKind kind, long id)
        : this(kind, id, SharedRandom)
    {
    }

    /// <summary>Creates an entry whose backoff jitter draws from <paramref name="random"/>, the gateway's one source.</summary>
    public HealthEntry(ResourceKind kind, long id, RandomSource random)
    {
        Kind = kind;
        Id = id;
        _random = random;
    }

    public ResourceKind Kind { get; }

    public long Id { get; }

    public HealthStatus Status => _status;

    /// <summary>Unknown and Available are usable; Warning once its backoff has passed; Unavailable never.</summary>
    public bool IsUsable(long utcNowTicks) => _status switch
    {
        HealthStatus.Unknown or HealthStatus.Available => true,
        HealthStatus.Warning => utcNowTicks >= Volatile.Read(ref _nextAvailableTicks),
        _ => false,
    };

    public void RecordSuccess(DateTimeOffset now)
    {
        lock (_lock)
        {
            _status = HealthStatus.Available;
            _retryCount = 0;
            _backoff = TimeSpan.Zero;
            Volatile.Write(ref _nextAvailableTicks, 0);
            _lastCheckAt = now;
            _lastSuccessAt = now;
            _successCount++;
            _dirty = true;
        }
    }

    /// <summary>Puts the resource into Warning with the next backoff (jittered), at least <paramref name="minimumBackoff"/> (as asked, not jittered).</summary>
    public TimeSpan RecordFailure(DateTimeOffset now, string error, int? statusCode, TimeSpan? minimumBackoff, BackoffOptions options)
    {
        lock (_lock)
        {
            _retryCount = _retryCount == int.MaxValue ? int.MaxValue : _retryCount + 1;
            var backoff = Backoff.Compute(_retryCount, options, _random);
            if (minimumBackoff is { } minimum && minimum > backoff)
            {
                backoff = minimum;
            }

            _backoff = backoff;
            _status = HealthStatus.Warning;
            Volatile.Write(ref _nextAvailableTicks, SaturatingAdd(now.UtcTicks, backoff.Ticks));
            _lastError = error;
            _lastErrorCode = statusCode;
            _lastCheckAt = now;
            _errorCount++;
            _dirty = true;
            return backoff;
        }
    }

    public void Reset(DateTimeOffset now)
    {
        lock (_lock)
        {
            _status = HealthStatus.Unknown;
            _retryCount = 0;
            _backoff = TimeSpan.Zero;
            Volatile.Write(ref _nextAvailableTicks, 0);
            _lastError = null;
            _lastErrorCode = null;
            _lastCheckAt = now;
            _dirty = true;
        }
    }

    public HealthState Snapshot()
    {
        lock (_lock)
        {
            return SnapshotLocked();
        }
    }

    /// <summary>Returns a snapshot and clears the dirty flag when the entry changed since the last call, else null.</summary>
    public HealthState? TakeIfDirty()
    {
        lock (_lock)
        {
            if (!_dirty)
            {
                return null;
            }

            _dirty = false;
            return SnapshotLocked();
        }
    }

    public void MarkDirty()
    {
        lock (_lock)
        {
            _dirty = true;
        }
    }

    /// <summary>Adopts a state loaded from storage unless this entry holds newer, unsaved information.</summary>
    public void Apply(HealthState state)
    {
        lock (_lock)
        {
            if (_dirty || state.LastCheckAt < _lastCheckAt)
            {
                return;
            }

            _status = state.Status;
            _retryCount = state.RetryCount;
            _backoff = state.BackoffDuration;
            Volatile.Write(ref _nextAvailableTicks, state.NextAvailableAt?.UtcTicks ?? 0);
            _lastError = state.LastError;
            _lastErrorCode = state.LastErrorCode;
            _lastCheckAt = state.LastCheckAt;
            _lastSuccessAt = state.LastSuccessAt;
            _successCount = state.SuccessCount;
            _errorCount = state.ErrorCount;
        }
    }

    private HealthState SnapshotLocked()
    {
        var next = Volatile.Read(ref _nextAvailableTicks);
        return new HealthState
        {
            ResourceKind = Kind,
            ResourceId = Id,
            Status = _status,
            RetryCount = _retryCount,
            NextAvailableAt = _status == HealthStatus.Warning && next > 0 ? new DateTimeOffset(next, TimeSpan.Zero) : null,
            BackoffDuration = _backoff,
            LastError = _lastError,
            LastErrorCode = _lastErrorCode,
            LastCheckAt = _lastCheckAt,
            LastSuccessAt = _lastSuccessAt,
            SuccessCount = _successCount,
            ErrorCount = _errorCount,
        };
    }

    private static long SaturatingAdd(long a, long b)
    {
        var max = DateTimeOffset.MaxValue.UtcTicks;
        return b >= max - a ? max : a + b;
    }
}
