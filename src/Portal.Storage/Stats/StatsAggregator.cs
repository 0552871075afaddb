using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Portal.Storage;

/// <summary>
/// Per-group request-stats aggregates computed in the database: counts, sums, average time to first byte and the
/// nearest-rank p50 and p95 duration (rank ⌈p·n/100⌉ of the group's n durations in ascending order).
/// </summary>
/// <remarks>
/// <para>
/// PostgreSQL answers with one grouped statement: <c>percentile_disc(p)</c> is the nearest rank (for p = 0.5 and 0.95
/// the floating-point product p·n never crosses an integer, so it equals the integer formula used for SQLite).
/// </para>
/// <para>
/// SQLite has no percentile function, sorts at about 1 µs a row, and groups only by sorting unless an index delivers
/// the rows grouped, so a single grouped or windowed statement over a day of 1M rows takes several seconds. Instead it
/// lists the groups with one seek each on the index led by the group column, then per group, on that index's
/// (group, timestamp) range: one scan for the counts and sums that also returns every 31st duration as a sample;
/// for each percentile a bracket [lo, hi] around the sampled rank (±4 standard deviations, so a miss is rare); one
/// scan counting the rows below each bracket; and <c>ORDER BY duration_ms LIMIT 1 OFFSET r</c> over the rows inside
/// the bracket, which sorts a few percent of the group instead of half of it. This is sample-and-refine selection
/// (Floyd–Rivest): the answer is exact whatever the sample; a missed bracket only costs a larger sort. The scans read
/// the index alone when it covers the aggregated columns, otherwise one table row each. Groups are spread over one
/// connection per core (up to four), each in a read transaction, so concurrent inserts do not shift a group's ranks
/// between its statements. Everything scales with the rows in the range, not with the table.
/// </para>
/// <para>
/// Requests are counted on both without sorting request ids: the group's rows less those that follow an earlier
/// attempt of their request in the group (<see cref="StatsSql.HasEarlierAttempt"/>). Only rows whose attempt is above 1
/// (failovers) are checked, each with a seek on the request index. SQLite counts them in one more statement per group,
/// over a partial index of further attempts, so neither side reads a table row (see <see cref="SqlitePortalDbContext"/>).
/// </para>
/// </remarks>
internal static class StatsAggregator
{
    /// <summary>Groups up to this many rows select their percentiles directly, sorting at most this many rows.</summary>
    internal const int DirectSelectMaxRows = 4_096;

    /// <summary>Every row whose rowid is a multiple of this is sampled; prime, so rows inserted round-robin over groups still sample every group.</summary>
    internal const int SampleEvery = 31;

    /// <summary>Half the width of a bracket, in standard deviations of the sampled rank.</summary>
    private const double BracketSigmas = 4;

    /// <summary>Aggregates the rows of the range per value of <paramref name="group"/> (a column name), in no particular order.</summary>
    /// <param name="createContext">Creates a context of the repository's provider; SQLite uses one per worker.</param>
    /// <param name="group">The column to group by.</param>
    /// <param name="start">The inclusive start of the range, if any.</param>
    /// <param name="end">The exclusive end of the range, if any.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<List<GroupStats>> AggregateAsync(Func<PortalDbContext> createContext, string group, DateTimeOffset? start, DateTimeOffset? end, CancellationToken cancellationToken)
    {
        await using var context = createContext();
        await using var connection = await StatsSql.OpenAsync(context, cancellationToken).ConfigureAwait(false);
        if (connection.Connection is not SqliteConnection sqlite)
        {
            return await AggregatePostgresAsync(connection.Connection, group, start, end, cancellationToken).ConfigureAwait(false);
        }

        // SQLite runs one query at a time per connection, on the calling thread even behind its async methods; the
        // groups are independent, so they are spread over one connection (and thread) per core, up to four.
        var keys = await ListGroupsAsync(sqlite, group, cancellationToken).ConfigureAwait(false);
        var workers = Math.Min(Math.Min(Environment.ProcessorCount, 4), keys.Count);
        if (workers <= 1)
        {
            return await AggregateSqliteAsync(sqlite, group, keys, start, end, cancellationToken).ConfigureAwait(false);
        }

        var results = await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Run(
            async () =>
            {
                var share = keys.Where((_, i) => i % workers == worker).ToList();
                await using var workerContext = createContext();
                await using var workerConnection = await StatsSql.OpenAsync(workerContext, cancellationToken).ConfigureAwait(false);
                return await AggregateSqliteAsync((SqliteConnection)workerConnection.Connection, group, share, start, end, cancellationToken).ConfigureAwait(false);
            },
            cancellationToken))).ConfigureAwait(false);
        return [.. results.SelectMany(r => r)];
    }

    /// <summary>The 1-based nearest rank of the <paramref name="percent"/>th percentile of <paramref name="count"/> values: ⌈percent·count/100⌉.</summary>
    internal static long NearestRank(long count, int percent) => ((count * percent) + 99) / 100;

    private static async Task<List<GroupStats>> AggregatePostgresAsync(DbConnection connection, string group, DateTimeOffset? start, DateTimeOffset? end, CancellationToken cancellationToken)
    {
        var (where, parameters) = StatsSql.TimeRange(start, end);

        // Grouping text by byte ("C") is faster than by the database's collation and, collations being deterministic,
        // puts the same names together; the caller orders the groups.
        var key = group == "model_name" ? "model_name COLLATE \"C\"" : group;
        var repeat = StatsSql.HasEarlierAttempt(where, $"p.{group} = r.{group}", sqlite: false);
        var sql = $"""
            SELECT {key}, COUNT(*), COUNT(*) FILTER (WHERE success), AVG(first_byte_ms) FILTER (WHERE is_stream),
                   SUM(prompt_tokens), SUM(completion_tokens),
                   percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms),
                   percentile_disc(0.95) WITHIN GROUP (ORDER BY duration_ms),
                   COUNT(*) FILTER (WHERE success AND attempt > 1),
                   SUM(CASE WHEN {repeat} THEN 1 ELSE 0 END),
                   SUM(cached_input_tokens), SUM(cache_write_tokens)
            FROM request_stats r
            {where}
            GROUP BY 1
            """;

        var result = new List<GroupStats>();
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // A day of rows sorts in memory instead of spilling to disk at the default 4 MB; LOCAL ends with the transaction.
        await using (var setting = StatsSql.CreateCommand(connection, "SET LOCAL work_mem = '64MB'", []))
        {
            setting.Transaction = transaction;
            await setting.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var command = StatsSql.CreateCommand(connection, sql, parameters);
        command.Transaction = transaction;
        await using (var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(new GroupStats
                {
                    Key = reader.GetValue(0),
                    Attempts = StatsSql.ToInt64(reader.GetValue(1)),
                    Successes = StatsSql.ToInt64(reader.GetValue(2)),
                    AverageFirstByteMs = reader.IsDBNull(3) ? null : reader.GetDouble(3),
                    PromptTokens = StatsSql.ToInt64(reader.GetValue(4)),
                    CompletionTokens = StatsSql.ToInt64(reader.GetValue(5)),
                    P50DurationMs = reader.GetDouble(6),
                    P95DurationMs = reader.GetDouble(7),
                    Failovers = StatsSql.ToInt64(reader.GetValue(8)),
                    Repeats = StatsSql.ToInt64(reader.GetValue(9)),
                    CachedInputTokens = StatsSql.ToInt64(reader.GetValue(10)),
                    CacheWriteTokens = StatsSql.ToInt64(reader.GetValue(11)),
                });
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Every value of the group column, one index seek each (the index led by the column skips from value to value).</summary>
    private static async Task<List<object>> ListGroupsAsync(SqliteConnection connection, string group, CancellationToken cancellationToken)
    {
        var keys = new List<object>();
        await using var first = StatsSql.CreateCommand(connection, $"SELECT MIN({group}) FROM request_stats", []);
        await using var next = StatsSql.CreateCommand(connection, $"SELECT MIN({group}) FROM request_stats WHERE {group} > @previous", []);
        var previous = StatsSql.AddParameter(next, "previous", null);
        var key = await first.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        while (key is not null and not DBNull)
        {
            keys.Add(key);
            previous.Value = key;
            key = await next.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }

        return keys;
    }

    /// <summary>Aggregates the groups <paramref name="keys"/> on one connection, in one read transaction.</summary>
    private static async Task<List<GroupStats>> AggregateSqliteAsync(SqliteConnection connection, string group, List<object> keys, DateTimeOffset? start, DateTimeOffset? end, CancellationToken cancellationToken)
    {
        // A deferred transaction only reads: in WAL mode it is a snapshot and takes no lock from writers.
        using var transaction = connection.BeginTransaction(deferred: true);
        var (where, range) = StatsSql.TimeRange(start, end);
        var scope = $"FROM request_stats {where} AND {group} = @group";

        using var totals = Command(SqliteTotalsSql(group, where), range);
        var totalsGroup = StatsSql.AddParameter(totals, "group", null);

        // Further attempts of the group that follow an earlier attempt of their request in it, from the small partial
        // index of further attempts, each checked on the request index: neither reads a table row.
        using var repeats = Command(
            $"""
            SELECT COUNT(*) FROM request_stats r INDEXED BY "{StatsSql.FailoverIndexFor(group)}"
            {where} AND {group} = @group AND {StatsSql.HasEarlierAttempt(where, $"{group} = @group", sqlite: true)}
            """,
            range);
        var repeatsGroup = StatsSql.AddParameter(repeats, "group", null);

        using var counts = Command(
            $"""
            SELECT COUNT(*) FILTER (WHERE duration_ms < @lo1), COUNT(*) FILTER (WHERE duration_ms <= @hi1),
                   COUNT(*) FILTER (WHERE duration_ms < @lo2), COUNT(*) FILTER (WHERE duration_ms <= @hi2)
            {scope}
            """,
            range);
        var countsGroup = StatsSql.AddParameter(counts, "group", null);
        DbParameter[] bounds =
        [
            StatsSql.AddParameter(counts, "lo1", 0d),
            StatsSql.AddParameter(counts, "hi1", 0d),
            StatsSql.AddParameter(counts, "lo2", 0d),
            StatsSql.AddParameter(counts, "hi2", 0d),
        ];

        using var select = Command($"SELECT duration_ms {scope} AND duration_ms >= @lo AND duration_ms <= @hi ORDER BY duration_ms LIMIT 1 OFFSET @offset", range);
        var selector = new Selector(
            select,
            StatsSql.AddParameter(select, "group", null),
            StatsSql.AddParameter(select, "lo", double.NegativeInfinity),
            StatsSql.AddParameter(select, "hi", double.PositiveInfinity),
            StatsSql.AddParameter(select, "offset", 0L));

        var result = new List<GroupStats>();
        foreach (var key in keys)
        {
            totalsGroup.Value = key;
            GroupStats stats;
            string? sampled;
            await using (var reader = await totals.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                stats = new GroupStats
                {
                    Key = key,
                    Attempts = reader.GetInt64(0),
                    Successes = StatsSql.ToInt64(reader.GetValue(1)),
                    AverageFirstByteMs = reader.IsDBNull(2) ? null : reader.GetDouble(2),
                    PromptTokens = StatsSql.ToInt64(reader.GetValue(3)),
                    CompletionTokens = StatsSql.ToInt64(reader.GetValue(4)),
                    Failovers = reader.GetInt64(6),
                    CachedInputTokens = StatsSql.ToInt64(reader.GetValue(7)),
                    CacheWriteTokens = StatsSql.ToInt64(reader.GetValue(8)),
                };
                sampled = reader.IsDBNull(5) ? null : reader.GetString(5);
            }

            if (stats.Attempts == 0)
            {
                continue; // the group has rows, but none in the range
            }

            repeatsGroup.Value = key;
            stats.Repeats = (long)(await repeats.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;

            selector.Group.Value = key;
            var n = stats.Attempts;
            long k50 = NearestRank(n, 50), k95 = NearestRank(n, 95);
            if (n <= DirectSelectMaxRows || sampled is null)
            {
                stats.P50DurationMs = await selector.SelectAsync(k50, cancellationToken).ConfigureAwait(false);
                stats.P95DurationMs = await selector.SelectAsync(k95, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var sample = ParseSample(sampled);
                var bracket50 = BracketOf(sample, n, k50);
                var bracket95 = BracketOf(sample, n, k95);
                countsGroup.Value = key;
                (bounds[0].Value, bounds[1].Value, bounds[2].Value, bounds[3].Value) = (bracket50.Lo, bracket50.Hi, bracket95.Lo, bracket95.Hi);
                await using (var reader = await counts.ExecuteReaderAsync(CommandBehavior.SingleRow, cancellationToken).ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    bracket50 = bracket50 with { Below = reader.GetInt64(0), UpTo = reader.GetInt64(1) };
                    bracket95 = bracket95 with { Below = reader.GetInt64(2), UpTo = reader.GetInt64(3) };
                }

                stats.P50DurationMs = await selector.SelectAsync(k50, bracket50, cancellationToken).ConfigureAwait(false);
                stats.P95DurationMs = await selector.SelectAsync(k95, bracket95, cancellationToken).ConfigureAwait(false);
            }

            result.Add(stats);
        }

        transaction.Commit();
        return result;

        DbCommand Command(string sql, IEnumerable<(string Name, object Value)> parameters)
        {
            var command = StatsSql.CreateCommand(connection, sql, parameters);
            command.Transaction = transaction;
            return command;
        }
    }

    /// <summary>
    /// SQLite's scan of one group (<c>@group</c>) in a range: counts, sums, average time to first byte and every
    /// <see cref="SampleEvery"/>th duration. Every column it reads is in the covering index led by the model and by the
    /// platform, so grouped by either it reads no table row.
    /// </summary>
    /// <param name="group">The column grouped by.</param>
    /// <param name="where">The range's <c>WHERE</c> clause (<see cref="StatsSql.TimeRange"/>).</param>
    internal static string SqliteTotalsSql(string group, string where) => $"""
        SELECT COUNT(*), SUM(success), AVG(first_byte_ms) FILTER (WHERE is_stream), SUM(prompt_tokens), SUM(completion_tokens),
               group_concat(duration_ms) FILTER (WHERE rowid % {SampleEvery} = 0),
               COUNT(*) FILTER (WHERE success AND attempt > 1),
               SUM(cached_input_tokens), SUM(cache_write_tokens)
        FROM request_stats {where} AND {group} = @group
        """;

    private static double[] ParseSample(string sampled)
    {
        var values = sampled.Split(',');
        var sample = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            sample[i] = double.Parse(values[i], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        Array.Sort(sample);
        return sample;
    }

    /// <summary>Bounds around where the <paramref name="rank"/>th of <paramref name="count"/> values falls in the sorted <paramref name="sample"/>; infinite where the sample ends.</summary>
    private static Bracket BracketOf(double[] sample, long count, long rank)
    {
        var q = (double)rank / count;
        var expected = q * sample.Length; // 1-based position in the sample
        var margin = (BracketSigmas * Math.Sqrt(sample.Length * q * (1 - q))) + 2;
        var lo = (long)Math.Floor(expected - margin);
        var hi = (long)Math.Ceiling(expected + margin);
        return new Bracket(
            lo >= 1 ? sample[lo - 1] : double.NegativeInfinity,
            hi <= sample.Length ? sample[hi - 1] : double.PositiveInfinity);
    }

    /// <summary>Selects the value of a rank with <c>ORDER BY duration_ms LIMIT 1 OFFSET</c>, within bounds.</summary>
    private sealed record Selector(DbCommand Command, DbParameter Group, DbParameter Lo, DbParameter Hi, DbParameter Offset)
    {
        /// <summary>The <paramref name="rank"/>th duration of the group, sorting the whole group.</summary>
        public Task<double> SelectAsync(long rank, CancellationToken cancellationToken) =>
            SelectAsync(double.NegativeInfinity, double.PositiveInfinity, rank - 1, cancellationToken);

        /// <summary>The <paramref name="rank"/>th duration of the group, sorting only the rows of the bracket that holds it.</summary>
        public async Task<double> SelectAsync(long rank, Bracket bracket, CancellationToken cancellationToken)
        {
            double? value = rank <= bracket.Below
                ? await TrySelectAsync(double.NegativeInfinity, Math.BitDecrement(bracket.Lo), rank - 1, cancellationToken).ConfigureAwait(false)
                : rank > bracket.UpTo
                    ? await TrySelectAsync(Math.BitIncrement(bracket.Hi), double.PositiveInfinity, rank - 1 - bracket.UpTo, cancellationToken).ConfigureAwait(false)
                    : await TrySelectAsync(bracket.Lo, bracket.Hi, rank - 1 - bracket.Below, cancellationToken).ConfigureAwait(false);

            // Inside the read transaction the counts cannot change, so this only guards against a broken invariant.
            return value ?? await SelectAsync(rank, cancellationToken).ConfigureAwait(false);
        }

        private async Task<double> SelectAsync(double lo, double hi, long offset, CancellationToken cancellationToken) =>
            await TrySelectAsync(lo, hi, offset, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The group has fewer than {offset + 1} request stats.");

        private async Task<double?> TrySelectAsync(double lo, double hi, long offset, CancellationToken cancellationToken)
        {
            Lo.Value = lo;
            Hi.Value = hi;
            Offset.Value = offset;
            return await Command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is double value ? value : null;
        }
    }

    /// <summary>Sample bounds around a rank, and how many rows of the group lie below <see cref="Lo"/> and up to <see cref="Hi"/>.</summary>
    private readonly record struct Bracket(double Lo, double Hi, long Below = 0, long UpTo = 0);
}

/// <summary>The aggregates of one group, before they become a <see cref="StatsAggregate"/>.</summary>
internal sealed class GroupStats
{
    /// <summary>The group's value: a model name (string) or a platform id (long).</summary>
    public required object Key { get; init; }

    /// <summary>Rows in the group.</summary>
    public long Attempts { get; init; }

    /// <summary>Rows that succeeded: attempts, and (one per request) served requests.</summary>
    public long Successes { get; init; }

    /// <summary>Rows that succeeded on an attempt above 1.</summary>
    public long Failovers { get; init; }

    /// <summary>Rows that follow an earlier attempt of their request in the group: <see cref="Attempts"/> less these are the requests.</summary>
    public long Repeats { get; set; }

    public double? AverageFirstByteMs { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    public long CachedInputTokens { get; init; }

    public long CacheWriteTokens { get; init; }

    public double P50DurationMs { get; set; }

    public double P95DurationMs { get; set; }
}
