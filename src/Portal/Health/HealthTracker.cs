using System.Collections.Concurrent;
using Portal.Internal;

namespace Portal.Health;

/// <summary>Health of every platform, key and model the gateway has used, kept in memory.</summary>
/// <remarks>Thread-safe. Persisted in batches by <see cref="HealthSynchronizer"/>.</remarks>
internal sealed class HealthTracker
{
    private readonly ConcurrentDictionary<(ResourceKind Kind, long Id), HealthEntry> _entries = new();
    private readonly TimeProvider _timeProvider;
    private readonly RandomSource _random;

    /// <summary>Creates a tracker whose entries back off by <paramref name="backoff"/>, with jitter drawn from <paramref name="random"/>.</summary>
    public HealthTracker(BackoffOptions backoff, RandomSource random, TimeProvider timeProvider)
    {
        BackoffOptions = backoff;
        _random = random;
        _timeProvider = timeProvider;
    }

    public BackoffOptions BackoffOptions { get; }

    public HealthEntry GetEntry(ResourceKind kind, long id) =>
        _entries.GetOrAdd((kind, id), static (key, random) => new HealthEntry(key.Kind, key.Id, random), _random);

    public HealthState GetState(ResourceKind kind, long id) =>
        _entries.TryGetValue((kind, id), out var entry)
            ? entry.Snapshot()
            : new HealthState { ResourceKind = kind, ResourceId = id, Status = HealthStatus.Unknown };

    public IReadOnlyList<HealthState> GetAll()
    {
        var states = new List<HealthState>(_entries.Count);
        foreach (var entry in _entries.Values)
        {
            states.Add(entry.Snapshot());
        }

        states.Sort(static (a, b) => a.ResourceKind != b.ResourceKind
            ? a.ResourceKind.CompareTo(b.ResourceKind)
            : a.ResourceId.CompareTo(b.ResourceId));
        return states;
    }

    /// <summary>Returns the entries for <paramref name="kind"/>/<paramref name="id"/> to Unknown; all entries when both are null.</summary>
    public int Reset(ResourceKind? kind, long? id)
    {
        var now = _timeProvider.GetUtcNow();
        var count = 0;
        foreach (var entry in _entries.Values)
        {
            if ((kind is null || entry.Kind == kind) && (id is null || entry.Id == id))
            {
                entry.Reset(now);
                count++;
            }
        }

        return count;
    }

    /// <summary>Merges states read from storage: an entry with unsaved local changes keeps them.</summary>
    /// <remarks>
    /// A stored backoff longer than any this gateway would set (<see cref="BackoffOptions.LongestBackoff"/>) is cut to
    /// that: an earlier version honoured any <c>Retry-After</c>, so a database may hold a resource backing off for decades.
    /// </remarks>
    public void Load(IEnumerable<HealthState> states)
    {
        var longest = BackoffOptions.LongestBackoff;
        foreach (var state in states)
        {
            var bounded = state.NextAvailableAt is { } next && next - state.LastCheckAt > longest
                ? state with { NextAvailableAt = state.LastCheckAt + longest, BackoffDuration = longest }
                : state;
            GetEntry(state.ResourceKind, state.ResourceId).Apply(bounded);
        }
    }

    /// <summary>Snapshots every entry changed since the last call and clears its dirty flag.</summary>
    public List<HealthState> TakeDirty(List<HealthEntry> taken)
    {
        var states = new List<HealthState>();
        foreach (var entry in _entries.Values)
        {
            if (entry.TakeIfDirty() is { } state)
            {
                states.Add(state);
                taken.Add(entry);
            }
        }

        return states;
    }
}
