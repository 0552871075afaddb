using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Portal.Diagnostics;
using Portal.Health;
using Portal.Routing;

namespace Portal.Internal;

/// <summary>Builds the channels for a requested model name from the repository, reusing them while nothing changed.</summary>
/// <remarks>
/// Each request reads the models, platforms and keys from the repository (a cached repository answers from memory).
/// When it gets the same instances as last time for that name, the channels built then are returned as they are;
/// otherwise they are rebuilt, and channels whose records did not change keep their identity. Each channel comes with
/// its routing state from the <see cref="RoutingTable"/>, which is kept by ids and so survives a rebuild.
/// Thread-safe; concurrent rebuilds of one name are harmless.
/// </remarks>
internal sealed class ChannelResolver
{
    private readonly IPortalRepository _repository;
    private readonly HealthTracker _health;
    private readonly RoutingTable _routing;
    private readonly Func<string, bool> _hasAdapter;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Resolved> _byName = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(long Platform, long Model, long Key), Channel> _channels = new();

    public ChannelResolver(IPortalRepository repository, HealthTracker health, RoutingTable routing, Func<string, bool> hasAdapter, ILogger logger)
    {
        _repository = repository;
        _health = health;
        _routing = routing;
        _hasAdapter = hasAdapter;
        _logger = logger;
    }

    /// <summary>Returns the channels of every enabled model named or aliased <paramref name="name"/>; null when no model has that name.</summary>
    public async ValueTask<ResolvedChannels?> ResolveAsync(string name, CancellationToken cancellationToken)
    {
        var models = await _repository.FindModelsByNameAsync(name, cancellationToken).ConfigureAwait(false);
        if (models.Count == 0)
        {
            return null;
        }

        // Read the current platform and keys of every model; compare with what the cached channels were built from.
        var platforms = new Platform?[models.Count];
        var keys = new IReadOnlyList<ApiKey>?[models.Count];
        _byName.TryGetValue(name, out var cached);
        var same = cached is not null && ReferenceEquals(cached.Models, models);
        for (var i = 0; i < models.Count; i++)
        {
            var model = models[i];
            if (!model.Enabled)
            {
                continue;
            }

            platforms[i] = await _repository.GetPlatformAsync(model.PlatformId, cancellationToken).ConfigureAwait(false);
            if (platforms[i] is { Enabled: true } platform)
            {
                keys[i] = await _repository.GetApiKeysAsync(platform.Id, cancellationToken).ConfigureAwait(false);
            }

            same = same && ReferenceEquals(cached!.Platforms[i], platforms[i]) && ReferenceEquals(cached.Keys[i], keys[i]);
        }

        if (same)
        {
            return cached!.Channels;
        }

        var resolved = new Resolved(models, platforms, keys, Build(models, platforms, keys));
        _byName[name] = resolved;
        return resolved.Channels;
    }

    private ResolvedChannels Build(IReadOnlyList<Model> models, Platform?[] platforms, IReadOnlyList<ApiKey>?[] keys)
    {
        var channels = new List<Channel>();
        for (var i = 0; i < models.Count; i++)
        {
            if (platforms[i] is not { Enabled: true } platform || keys[i] is not { } platformKeys)
            {
                continue;
            }

            if (!_hasAdapter(platform.Format))
            {
                Log.NoAdapter(_logger, platform.Id, platform.Format);
                continue;
            }

            foreach (var key in platformKeys)
            {
                if (key.Enabled)
                {
                    channels.Add(Intern(platform, models[i], key));
                }
            }
        }

        var routes = new ChannelRoute[channels.Count];
        for (var i = 0; i < routes.Length; i++)
        {
            routes[i] = _routing.Get(channels[i]);
        }

        return new ResolvedChannels([.. channels], routes);
    }

    private Channel Intern(Platform platform, Model model, ApiKey key)
    {
        var id = (platform.Id, model.Id, key.Id);
        if (_channels.TryGetValue(id, out var existing)
            && existing.Platform == platform && existing.Model == model && existing.ApiKey == key)
        {
            return existing;
        }

        var channel = new Channel(platform, model, key,
            _health.GetEntry(ResourceKind.Platform, platform.Id),
            _health.GetEntry(ResourceKind.Model, model.Id),
            _health.GetEntry(ResourceKind.ApiKey, key.Id));
        _channels[id] = channel;
        return channel;
    }

    private sealed record Resolved(IReadOnlyList<Model> Models, Platform?[] Platforms, IReadOnlyList<ApiKey>?[] Keys, ResolvedChannels Channels);
}

/// <summary>The channels of a model name and, at the same index, their routing state.</summary>
internal sealed record ResolvedChannels(Channel[] Channels, ChannelRoute[] Routes)
{
    public int Length => Channels.Length;
}
