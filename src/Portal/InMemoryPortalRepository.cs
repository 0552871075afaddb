using System.Collections.Frozen;

namespace Portal;

/// <summary>A thread-safe repository held in memory: for tests, and for embedding where configuration comes from code.</summary>
/// <remarks>
/// Configuration reads are lock-free over an immutable snapshot that each change replaces (copy on write), so the
/// request path never waits for a writer and gets the same list instances until something changes.
/// Request stats are kept up to <see cref="MaxStats"/> rows; the oldest are dropped first.
/// </remarks>
public sealed class InMemoryPortalRepository : IPortalRepository
{
    private static readonly IReadOnlyList<Model> NoModels = [];
    private static readonly IReadOnlyList<ApiKey> NoKeys = [];

    private readonly Lock _writeLock = new();
    private readonly Lock _statsLock = new();
    private readonly Dictionary<(ResourceKind, long), HealthState> _health = [];
    private readonly LinkedList<RequestStat> _stats = new(); // oldest first
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>Creates an empty repository.</summary>
    /// <param name="maxStats">The most request stats kept; older rows are dropped. The default is 100,000.</param>
    public InMemoryPortalRepository(int maxStats = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxStats);
        MaxStats = maxStats;
    }

    /// <summary>The most request stats kept.</summary>
    public int MaxStats { get; }

    /// <summary>All platforms, ordered by id.</summary>
    public IReadOnlyList<Platform> Platforms => [.. _snapshot.Platforms.Values.OrderBy(p => p.Id)];

    /// <summary>All models, ordered by id.</summary>
    public IReadOnlyList<Model> Models => [.. _snapshot.Models.Values.OrderBy(m => m.Id)];

    /// <summary>All keys, ordered by id.</summary>
    public IReadOnlyList<ApiKey> ApiKeys => [.. _snapshot.Keys.Values.OrderBy(k => k.Id)];

    /// <summary>Adds a platform. An <see cref="Platform.Id"/> of 0 is replaced by the next free id.</summary>
    /// <param name="platform">The platform.</param>
    /// <exception cref="InvalidOperationException">A platform with the same id or name exists.</exception>
    public void Add(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        Change(s =>
        {
            var p = platform.Id == 0 ? platform with { Id = NextId(s.Platforms.Keys) } : platform;
            if (s.Platforms.ContainsKey(p.Id))
            {
                throw new InvalidOperationException($"A platform with id {p.Id} already exists.");
            }

            CheckPlatformName(s, p);
            return s with { Platforms = With(s.Platforms, p.Id, p) };
        });
    }

    /// <summary>Adds a model. An <see cref="Model.Id"/> of 0 is replaced by the next free id.</summary>
    /// <param name="model">The model.</param>
    /// <exception cref="InvalidOperationException">The id exists, the platform does not, or the platform already has a model with that upstream name.</exception>
    public void Add(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Change(s =>
        {
            var m = model.Id == 0 ? model with { Id = NextId(s.Models.Keys) } : model;
            if (s.Models.ContainsKey(m.Id))
            {
                throw new InvalidOperationException($"A model with id {m.Id} already exists.");
            }

            CheckModel(s, m);
            return s with { Models = With(s.Models, m.Id, m) };
        });
    }

    /// <summary>Adds a key. An <see cref="ApiKey.Id"/> of 0 is replaced by the next free id.</summary>
    /// <param name="apiKey">The key.</param>
    /// <exception cref="InvalidOperationException">The id exists or the platform does not.</exception>
    public void Add(ApiKey apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        Change(s =>
        {
            var k = apiKey.Id == 0 ? apiKey with { Id = NextId(s.Keys.Keys) } : apiKey;
            if (s.Keys.ContainsKey(k.Id))
            {
                throw new InvalidOperationException($"A key with id {k.Id} already exists.");
            }

            CheckPlatform(s, k.PlatformId);
            return s with { Keys = With(s.Keys, k.Id, k) };
        });
    }

    /// <summary>Replaces a platform with the same id.</summary>
    /// <param name="platform">The new version.</param>
    /// <exception cref="KeyNotFoundException">No platform has that id.</exception>
    public void Update(Platform platform)
    {
        ArgumentNullException.ThrowIfNull(platform);
        Change(s =>
        {
            if (!s.Platforms.ContainsKey(platform.Id))
            {
                throw new KeyNotFoundException($"No platform with id {platform.Id}.");
            }

            CheckPlatformName(s, platform);
            return s with { Platforms = With(s.Platforms, platform.Id, platform) };
        });
    }

    /// <summary>Replaces a model with the same id.</summary>
    /// <param name="model">The new version.</param>
    /// <exception cref="KeyNotFoundException">No model has that id.</exception>
    public void Update(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Change(s =>
        {
            if (!s.Models.ContainsKey(model.Id))
            {
                throw new KeyNotFoundException($"No model with id {model.Id}.");
            }

            CheckModel(s, model);
            return s with { Models = With(s.Models, model.Id, model) };
        });
    }

    /// <summary>Replaces a key with the same id.</summary>
    /// <param name="apiKey">The new version.</param>
    /// <exception cref="KeyNotFoundException">No key has that id.</exception>
    public void Update(ApiKey apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        Change(s =>
        {
            if (!s.Keys.ContainsKey(apiKey.Id))
            {
                throw new KeyNotFoundException($"No key with id {apiKey.Id}.");
            }

            CheckPlatform(s, apiKey.PlatformId);
            return s with { Keys = With(s.Keys, apiKey.Id, apiKey) };
        });
    }

    /// <summary>Removes a platform with its models and keys.</summary>
    /// <param name="platformId">The platform's id.</param>
    /// <returns>Whether a platform was removed.</returns>
    public bool RemovePlatform(long platformId) => Change(s => s.Platforms.ContainsKey(platformId)
        ? s with
        {
            Platforms = Without(s.Platforms, platformId),
            Models = s.Models.Where(m => m.Value.PlatformId != platformId).ToFrozenDictionary(),
            Keys = s.Keys.Where(k => k.Value.PlatformId != platformId).ToFrozenDictionary(),
        }
        : null);

    /// <summary>Removes a model.</summary>
    /// <param name="modelId">The model's id.</param>
    /// <returns>Whether a model was removed.</returns>
    public bool RemoveModel(long modelId) =>
        Change(s => s.Models.ContainsKey(modelId) ? s with { Models = Without(s.Models, modelId) } : null);

    /// <summary>Removes a key.</summary>
    /// <param name="apiKeyId">The key's id.</param>
    /// <returns>Whether a key was removed.</returns>
    public bool RemoveApiKey(long apiKeyId) =>
        Change(s => s.Keys.ContainsKey(apiKeyId) ? s with { Keys = Without(s.Keys, apiKeyId) } : null);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken) =>
        new(_snapshot.ModelsByName.TryGetValue(name, out var models) ? models : NoModels);

    /// <inheritdoc />
    public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) =>
        new(_snapshot.Platforms.GetValueOrDefault(platformId));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) =>
        new(_snapshot.KeysByPlatform.TryGetValue(platformId, out var keys) ? keys : NoKeys);

    /// <inheritdoc />
    public Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken)
    {
        lock (_writeLock)
        {
            return Task.FromResult<IReadOnlyList<HealthState>>([.. _health.Values]);
        }
    }

    /// <inheritdoc />
    public Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(states);
        lock (_writeLock)
        {
            foreach (var state in states)
            {
                _health[(state.ResourceKind, state.ResourceId)] = state;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stats);
        lock (_statsLock)
        {
            foreach (var stat in stats)
            {
                _stats.AddLast(stat);
            }

            while (_stats.Count > MaxStats)
            {
                _stats.RemoveFirst();
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_statsLock)
        {
            var matching = Filter(_stats, query);
            var ordered = query.RequestId is null
                ? matching.OrderByDescending(s => s.Timestamp)
                : matching.OrderBy(s => s.Attempt).ThenBy(s => s.Timestamp);
            IReadOnlyList<RequestStat> rows =
            [
                .. ordered
                    .Skip(Math.Max(0, query.Offset))
                    .Take(Math.Max(0, query.Limit)),
            ];
            return Task.FromResult(rows);
        }
    }

    /// <inheritdoc />
    public Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_statsLock)
        {
            long attempts = 0, successes = 0, requests = 0, served = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var servedIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stat in Filter(_stats, query))
            {
                attempts++;
                successes += stat.Success ? 1 : 0;

                // A row without request id is a request of its own.
                requests += stat.RequestId is null || seen.Add(stat.RequestId) ? 1 : 0;
                served += stat.Success && (stat.RequestId is null || servedIds.Add(stat.RequestId)) ? 1 : 0;
            }

            return Task.FromResult(new StatsSummary
            {
                TotalRequests = requests,
                SuccessRequests = served,
                TotalAttempts = attempts,
                SuccessAttempts = successes,
            });
        }
    }

    private static IEnumerable<RequestStat> Filter(IEnumerable<RequestStat> stats, StatsQuery q) => stats.Where(s =>
        (q.StartTime is null || s.Timestamp >= q.StartTime) &&
        (q.EndTime is null || s.Timestamp < q.EndTime) &&
        (q.ModelName is null || string.Equals(s.ModelName, q.ModelName, StringComparison.Ordinal)) &&
        (q.Success is null || s.Success == q.Success) &&
        (q.PlatformId is null || s.PlatformId == q.PlatformId) &&
        (q.ApiKeyId is null || s.ApiKeyId == q.ApiKeyId) &&
        (q.IsStream is null || s.IsStream == q.IsStream) &&
        (q.RequestId is null || string.Equals(s.RequestId, q.RequestId, StringComparison.Ordinal)) &&
        (q.Protocol is null || string.Equals(s.Protocol, q.Protocol, StringComparison.Ordinal)) &&
        (q.TargetFormat is null || string.Equals(s.TargetFormat, q.TargetFormat, StringComparison.Ordinal)) &&
        (q.Caller is null || string.Equals(s.Caller, q.Caller, StringComparison.Ordinal)));

    private bool Change(Func<Snapshot, Snapshot?> change)
    {
        lock (_writeLock)
        {
            if (change(_snapshot) is not { } next)
            {
                return false;
            }

            _snapshot = next.Index();
            return true;
        }
    }

    private static void CheckPlatform(Snapshot s, long platformId)
    {
        if (!s.Platforms.ContainsKey(platformId))
        {
            throw new InvalidOperationException($"No platform with id {platformId}.");
        }
    }

    private static void CheckPlatformName(Snapshot s, Platform p)
    {
        if (s.Platforms.Values.Any(x => x.Id != p.Id && string.Equals(x.Name, p.Name, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"A platform named '{p.Name}' already exists.");
        }
    }

    private static void CheckModel(Snapshot s, Model m)
    {
        CheckPlatform(s, m.PlatformId);
        if (s.Models.Values.Any(x => x.Id != m.Id && x.PlatformId == m.PlatformId && string.Equals(x.Name, m.Name, StringComparison.Ordinal)))
        {
            throw new InvalidOperationException($"Platform {m.PlatformId} already has a model named '{m.Name}'.");
        }
    }

    private static long NextId(IEnumerable<long> ids) => ids.DefaultIfEmpty(0).Max() + 1;

    private static FrozenDictionary<long, T> With<T>(FrozenDictionary<long, T> map, long id, T value)
    {
        var copy = new Dictionary<long, T>(map) { [id] = value };
        return copy.ToFrozenDictionary();
    }

    private static FrozenDictionary<long, T> Without<T>(FrozenDictionary<long, T> map, long id) =>
        map.Where(e => e.Key != id).ToFrozenDictionary();

    /// <summary>An immutable version of the configuration with its lookup indexes.</summary>
    private sealed record Snapshot(
        FrozenDictionary<long, Platform> Platforms,
        FrozenDictionary<long, Model> Models,
        FrozenDictionary<long, ApiKey> Keys)
    {
        public static readonly Snapshot Empty = new Snapshot(
            FrozenDictionary<long, Platform>.Empty,
            FrozenDictionary<long, Model>.Empty,
            FrozenDictionary<long, ApiKey>.Empty).Index();

        public FrozenDictionary<string, IReadOnlyList<Model>> ModelsByName { get; private init; } = FrozenDictionary<string, IReadOnlyList<Model>>.Empty;

        public FrozenDictionary<long, IReadOnlyList<ApiKey>> KeysByPlatform { get; private init; } = FrozenDictionary<long, IReadOnlyList<ApiKey>>.Empty;

        public Snapshot Index()
        {
            var byName = new Dictionary<string, List<Model>>(StringComparer.Ordinal);
            foreach (var model in Models.Values.OrderBy(m => m.Id))
            {
                Append(byName, model.Name, model);
                if (!string.IsNullOrEmpty(model.Alias) && !string.Equals(model.Alias, model.Name, StringComparison.Ordinal))
                {
                    Append(byName, model.Alias, model);
                }
            }

            return this with
            {
                ModelsByName = byName.ToFrozenDictionary(e => e.Key, e => (IReadOnlyList<Model>)e.Value.AsReadOnly(), StringComparer.Ordinal),
                KeysByPlatform = Keys.Values
                    .GroupBy(k => k.PlatformId)
                    .ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<ApiKey>)g.OrderBy(k => k.Id).ToList().AsReadOnly()),
            };

            static void Append(Dictionary<string, List<Model>> map, string name, Model model)
            {
                if (!map.TryGetValue(name, out var list))
                {
                    map[name] = list = [];
                }

                if (!list.Contains(model))
                {
                    list.Add(model);
                }
            }
        }
    }
}
