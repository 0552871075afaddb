using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using Portal.Storage;
using Portal.Storage.Internal;

namespace Portal.Server.Cli;

/// <summary><c>portal stats [--since 24h]</c>: a table of request stats per model, read from the server's storage.</summary>
internal static class StatsCommand
{
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
        var stats = new Command("stats",
            "Prints requests, success rate, p50/p95 latency and tokens per model, from the storage the server uses "
            + "(Portal:Storage:Provider and Portal:Storage:ConnectionString, from the same settings as serve).");
        stats.Options.Add(since);
        stats.SetAction((parse, cancellationToken) => RunAsync(parse, parse.GetValue(since), cancellationToken));
        return stats;
    }

    private static async Task<int> RunAsync(ParseResult parse, TimeSpan since, CancellationToken cancellationToken)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var settings = CliSettings.Build(parse);
        var options = new StorageOptions();
        SettingsBinding.Bind(settings.GetSection(StorageOptions.SectionName), options);

        // Reading stats must not delete any: no retention job in this process.
        options.RetentionDays = 0;

        IReadOnlyList<StatsAggregate> rows;
        var from = DateTimeOffset.UtcNow - since;
        try
        {
            var repository = await EfPortalRepository.OpenAsync(options, cancellationToken: cancellationToken);
            await using (repository)
            {
                rows = await repository.AggregateStatsAsync(new StatsAggregateQuery { StartTime = from, GroupBy = StatsGroupBy.Model }, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is DbException or ArgumentException or InvalidOperationException or IOException)
        {
            await error.WriteLineAsync($"portal stats: cannot read storage ({options.Provider}): {ex.Message}");
            return 1;
        }

        await output.WriteLineAsync($"Requests since {from.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC ({Describe(since)}), per model:");
        await output.WriteLineAsync();
        if (rows.Count == 0)
        {
            await output.WriteLineAsync("No requests.");
            return 0;
        }

        var table = new TextTable("MODEL", "REQUESTS", "SUCCESS", "P50", "P95", "PROMPT TOKENS", "COMPLETION TOKENS");
        foreach (var row in rows.OrderByDescending(r => r.Requests).ThenBy(r => r.ModelName, StringComparer.Ordinal))
        {
            table.Add(row.ModelName ?? "?", Number(row.Requests), Percent(row.Successes, row.Requests), Millis(row.P50DurationMs), Millis(row.P95DurationMs),
                Number(row.PromptTokens), Number(row.CompletionTokens));
        }

        var requests = rows.Sum(r => r.Requests);
        table.Add("TOTAL", Number(requests), Percent(rows.Sum(r => r.Successes), requests), "", "", Number(rows.Sum(r => r.PromptTokens)), Number(rows.Sum(r => r.CompletionTokens)));
        await output.WriteAsync(table.ToString());
        return 0;
    }

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
