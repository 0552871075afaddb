using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Portal.Server.Admin.Stats;
using Portal.Storage;
using Portal.Storage.Internal;

namespace Portal.Server.Cli;

/// <summary>
/// <c>portal stats [--since 24h] [--group-by model|platform|key]</c>: a table of client requests and upstream attempts per
/// model, platform or key, read from the server's storage.
/// </summary>
internal static class StatsCommand
{
    /// <summary>What the table's rows are, as <c>--group-by</c> takes them.</summary>
    private static readonly string[] Groupings = ["model", "platform", "key"];

    public static Command Create()
    {
        var since = new Option<TimeSpan>("--since")
        {
            Description = "How far back to look: 90s, 30m, 24h, 7d or 1.12:00:00.",
            HelpName = "duration",
            DefaultValueFactory = _ => TimeSpan.FromHours(24),
            CustomParser = result =>
            {
                var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero)
                {
                    return duration;
                }

                result.AddError($"--since: {DurationText.NotADuration(text)}");
                return default;
            },
        };
        var groupBy = new Option<string>("--group-by")
        {
            Description = "One row per model (the name clients asked for), per platform or per key tried. "
                + "A request that tried several platforms or keys counts under each, served only where it was served.",
            HelpName = string.Join('|', Groupings),
            DefaultValueFactory = _ => "model",
        };
        groupBy.AcceptOnlyFromAmong(Groupings);
        var stats = new Command("stats",
            "Prints client requests (each once, however many upstream attempts it took), the share served, failovers, "
            + "upstream attempts and failed attempts, p50/p95 attempt latency and tokens per model, platform or key, from the "
            + "storage the server uses (Portal:Storage:Provider and Portal:Storage:ConnectionString, from the same settings as serve).");
        stats.Options.Add(since);
        stats.Options.Add(groupBy);
        stats.SetAction((parse, cancellationToken) => RunAsync(parse, parse.GetValue(since), parse.GetValue(groupBy)!, cancellationToken));
        return stats;
    }

    private static async Task<int> RunAsync(ParseResult parse, TimeSpan since, string groupBy, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var settings = CliSettings.Build(parse);
        var options = new StorageOptions();
        SettingsBinding.Bind(settings.GetSection(StorageOptions.SectionName), options);

        // Reading stats must not delete any: no retention job in this process.
        options.RetentionDays = 0;

        IReadOnlyList<NamedStatsAggregate> rows;
        StatsSummary total;
        var from = DateTimeOffset.UtcNow - since;
        var query = new StatsAggregateQuery
        {
            StartTime = from,
            GroupBy = groupBy switch { "platform" => StatsGroupBy.Platform, "key" => StatsGroupBy.ApiKey, _ => StatsGroupBy.Model },
        };
        try
        {
            var repository = await EfPortalRepository.OpenAsync(options, cancellationToken: cancellationToken);
            await using (repository)
            {
                rows = await StatsGroups.AggregateAsync(repository.Stats, repository.Config, query, cancellationToken);

                // Counted apart: a request that tried several platforms or keys is in several groups, but once in the total.
                total = await repository.CountRequestStatsAsync(new StatsQuery { StartTime = from }, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is DbException or ArgumentException or InvalidOperationException or IOException)
        {
            await error.WriteLineAsync($"portal stats: cannot read storage ({options.Provider}): {ex.Message}");
            return 1;
        }

        await output.WriteLineAsync($"Requests since {from.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC ({Describe(since)}), per {groupBy}:");
        await output.WriteLineAsync();
        if (rows.Count == 0)
        {
            await output.WriteLineAsync("No requests.");
            return 0;
        }

        var table = new TextTable(groupBy.ToUpperInvariant(), "REQUESTS", "SERVED", "FAILOVERS", "ATTEMPTS", "FAILED ATTEMPTS", "P50", "P95", "PROMPT TOKENS", "COMPLETION TOKENS", "CACHED INPUT TOKENS", "CACHE WRITE TOKENS");
        foreach (var (row, name) in rows.Select(r => (r.Stats, Name(r))).OrderByDescending(r => r.Stats.Requests).ThenBy(r => r.Item2, StringComparer.Ordinal))
        {
            table.Add(name, Number(row.Requests), Percent(row.Successes, row.Requests), Number(row.Failovers), Number(row.Attempts),
                Number(row.Attempts - row.SuccessAttempts), Millis(row.P50DurationMs), Millis(row.P95DurationMs), Number(row.PromptTokens), Number(row.CompletionTokens),
                Number(row.CachedInputTokens), Number(row.CacheWriteTokens));
        }

        table.Add("TOTAL", Number(total.TotalRequests), Percent(total.SuccessRequests, total.TotalRequests), Number(rows.Sum(r => r.Stats.Failovers)),
            Number(total.TotalAttempts), Number(total.TotalAttempts - total.SuccessAttempts), "", "",
            Number(rows.Sum(r => r.Stats.PromptTokens)), Number(rows.Sum(r => r.Stats.CompletionTokens)),
            Number(rows.Sum(r => r.Stats.CachedInputTokens)), Number(rows.Sum(r => r.Stats.CacheWriteTokens)));
        await output.WriteAsync(table.ToString());
        await output.WriteLineAsync();
        await output.WriteLineAsync("Requests are what clients sent, each counted once; served: one of its attempts succeeded.");
        await output.WriteLineAsync("Attempts are upstream calls, one per channel tried; failovers: requests served after a failed attempt.");
        await output.WriteLineAsync(query.GroupBy == StatsGroupBy.Model
            ? "P50, P95 and tokens are per attempt; cached input and cache write tokens are part of the prompt tokens."
            : $"P50, P95 and tokens are per attempt; cached input and cache write tokens are part of the prompt tokens. A request that tried several {groupBy}s counts under each, served only where it was served; TOTAL counts it once.");
        return 0;
    }

    /// <summary>The row's model name, platform name, or key name with its platform; an id with "(deleted)" for a platform or key that no longer exists.</summary>
    private static string Name(NamedStatsAggregate row) => row.Stats switch
    {
        { ModelName: { } model } => model,
        { ApiKeyId: { } keyId } => row.ApiKeyName is { } key ? $"{key} ({row.PlatformName ?? "?"})" : $"key {keyId} (deleted)",
        { PlatformId: { } platformId } => row.PlatformName ?? $"platform {platformId} (deleted)",
        _ => "?",
    };

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Percent(long part, long whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + " %";

    private static string Millis(double value) => value.ToString("N0", CultureInfo.InvariantCulture) + " ms";

    private static string Describe(TimeSpan span)
    {
        var (amount, unit) = span.TotalDays >= 2 && span.TotalDays % 1 == 0 ? (span.TotalDays, "d")
            : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? (span.TotalHours, "h")
            : span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 ? (span.TotalMinutes, "m")
            : (span.TotalSeconds, "s");
        return "last " + amount.ToString("0.###", CultureInfo.InvariantCulture) + unit;
    }
}
