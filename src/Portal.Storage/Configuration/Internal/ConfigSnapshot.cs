using System.Collections.Frozen;

namespace Portal.Storage.Configuration.Internal;

/// <summary>The configuration rows as read in one go, each array ordered by id.</summary>
internal sealed record ConfigData(Platform[] Platforms, Model[] Models, ApiKey[] Keys);

/// <summary>An immutable version of the configuration with the lookups the request path needs.</summary>
/// <remarks>
/// Built by <see cref="Create"/>, which shares every instance it can with the previous snapshot: the snapshot itself
/// when nothing changed, and otherwise each platform, per-name model list and per-platform key list whose contents
/// are equal. The gateway compares these by reference to decide whether to rebuild a name's channels, so a change
/// to one platform does not rebuild the channels of every other.
/// </remarks>
internal sealed class ConfigSnapshot
{
    private static readonly IReadOnlyList<Model> NoModels = [];
    private static readonly IReadOnlyList<ApiKey> NoKeys = [];

    public static readonly ConfigSnapshot Empty = new([], [], [],
        FrozenDictionary<long, Platform>.Empty,
        FrozenDictionary<string, IReadOnlyList<Model>>.Empty,
        FrozenDictionary<long, IReadOnlyList<ApiKey>>.Empty);

    private readonly FrozenDictionary<long, Platform> _platformsById;
    private readonly FrozenDictionary<string, IReadOnlyList<Model>> _modelsByName;
    private readonly FrozenDictionary<long, IReadOnlyList<ApiKey>> _keysByPlatform;

    private ConfigSnapshot(
        Platform[] platforms,
        Model[] models,
        ApiKey[] keys,
        FrozenDictionary<long, Platform> platformsById,
        FrozenDictionary<string, IReadOnlyList<Model>> modelsByName,
        FrozenDictionary<long, IReadOnlyList<ApiKey>> keysByPlatform)
    {
        Platforms = platforms;
        Models = models;
        Keys = keys;
        _platformsById = platformsById;
        _modelsByName = modelsByName;
        _keysByPlatform = keysByPlatform;
    }

    /// <summary>All platforms, ordered by id.</summary>
    public IReadOnlyList<Platform> Platforms { get; }

    /// <summary>All models, ordered by id.</summary>
    public IReadOnlyList<Model> Models { get; }

    /// <summary>All keys, ordered by id.</summary>
    public IReadOnlyList<ApiKey> Keys { get; }

    /// <summary>The models named or aliased <paramref name="name"/> (ordinal), ordered by id; disabled ones included.</summary>
    public IReadOnlyList<Model> FindModels(string name) =>
        _modelsByName.TryGetValue(name, out var models) ? models : NoModels;

    public Platform? GetPlatform(long platformId) => _platformsById.GetValueOrDefault(platformId);

    /// <summary>The keys of a platform, ordered by id; disabled ones included.</summary>
    public IReadOnlyList<ApiKey> GetKeys(long platformId) =>
        _keysByPlatform.TryGetValue(platformId, out var keys) ? keys : NoKeys;

    /// <summary>Builds the snapshot for <paramref name="data"/>, reusing what it can of <paramref name="previous"/>.</summary>
    /// <returns><paramref name="previous"/> itself when the data is the same.</returns>
    public static ConfigSnapshot Create(ConfigData data, ConfigSnapshot previous)
    {
        if (Same(previous.Platforms, data.Platforms) && Same(previous.Models, data.Models) && Same(previous.Keys, data.Keys))
        {
            return previous;
        }

        // Platforms: keep the old instance of each one that did not change.
        var platforms = new Platform[data.Platforms.Length];
        for (var i = 0; i < platforms.Length; i++)
        {
            var platform = data.Platforms[i];
            platforms[i] = previous.GetPlatform(platform.Id) is { } old && old == platform ? old : platform;
        }

        var byName = new Dictionary<string, List<Model>>(StringComparer.Ordinal);
        foreach (var model in data.Models)
        {
            Append(byName, model.Name, model);
            if (!string.IsNullOrEmpty(model.Alias) && !string.Equals(model.Alias, model.Name, StringComparison.Ordinal))
            {
                Append(byName, model.Alias, model);
            }
        }

        var byPlatform = new Dictionary<long, List<ApiKey>>();
        foreach (var key in data.Keys)
        {
            Append(byPlatform, key.PlatformId, key);
        }

        return new ConfigSnapshot(
            platforms,
            data.Models,
            data.Keys,
            platforms.ToFrozenDictionary(p => p.Id),
            byName.ToFrozenDictionary(e => e.Key, e => Reuse(previous._modelsByName, e.Key, e.Value), StringComparer.Ordinal),
            byPlatform.ToFrozenDictionary(e => e.Key, e => Reuse(previous._keysByPlatform, e.Key, e.Value)));
    }

    private static IReadOnlyList<T> Reuse<TKey, T>(FrozenDictionary<TKey, IReadOnlyList<T>> previous, TKey key, List<T> current)
        where TKey : notnull
        => previous.TryGetValue(key, out var old) && Same(old, current) ? old : current.AsReadOnly();

    private static bool Same<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Count; i++)
        {
            if (!comparer.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static void Append<TKey, T>(Dictionary<TKey, List<T>> map, TKey key, T value)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(value);
    }
}
