using Portal.Server.Admin.Keys;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Stats;

/// <summary>A <see cref="StatsAggregate"/> with the names of its platform and key, as the admin summary and the <c>stats</c> command show it.</summary>
/// <param name="Stats">The group's aggregates.</param>
/// <param name="PlatformId">The platform, when grouped by platform or by key (a key's group is on the key's platform, when the key still exists).</param>
/// <param name="PlatformName">The platform's name, when it still exists.</param>
/// <param name="ApiKeyName">The key's name, or its masked value, when grouped by key and the key still exists.</param>
internal sealed record NamedStatsAggregate(StatsAggregate Stats, long? PlatformId, string? PlatformName, string? ApiKeyName);

/// <summary>Aggregates request stats per model, platform or key and names each group's platform and key.</summary>
internal static class StatsGroups
{
    /// <summary>Aggregates over <paramref name="query"/> in the database, then joins the names of the platforms and keys that still exist.</summary>
    public static async Task<IReadOnlyList<NamedStatsAggregate>> AggregateAsync(IRequestStatsStore stats, IConfigStore config, StatsAggregateQuery query, CancellationToken cancellationToken)
    {
        var groups = await stats.AggregateStatsAsync(query, cancellationToken).ConfigureAwait(false);
        if (query.GroupBy == StatsGroupBy.Model)
        {
            return [.. groups.Select(g => new NamedStatsAggregate(g, null, null, null))];
        }

        var platforms = (await config.ListPlatformRowsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(p => p.Item.Id);
        var keys = query.GroupBy == StatsGroupBy.ApiKey
            ? (await config.ListApiKeyRowsAsync(null, cancellationToken).ConfigureAwait(false)).ToDictionary(k => k.Item.Id)
            : null;
        return [.. groups.Select(g =>
        {
            var key = g.ApiKeyId is { } keyId ? keys?.GetValueOrDefault(keyId) : null;
            var platformId = g.PlatformId ?? key?.Item.PlatformId;
            var platformName = platformId is { } id ? platforms.GetValueOrDefault(id)?.Item.Name : null;
            return new NamedStatsAggregate(g, platformId, platformName, key?.Label());
        })];
    }
}
