using System.Data;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Storage.Internal;

namespace Portal.Storage;

/// <summary>
/// <see cref="IRequestStatsStore"/> on EF Core: batched idempotent inserts, filtered reads, aggregates computed in the
/// database, and the retention job's deletes (<see cref="StatsRetention"/>, which it owns).
/// </summary>
/// <remarks>Thread-safe. Each operation uses its own short-lived context (and connection).</remarks>
internal sealed class EfStatsStore : IRequestStatsStore, IAsyncDisposable
{
    private readonly StorageDatabase _database;
    private StatsRetention? _retention;

    public EfStatsStore(StorageDatabase database) => _database = database;

    /// <summary>The database the stats are in.</summary>
    public StorageDatabase Database => _database;

    /// <summary>Starts deleting stats older than <see cref="StorageOptions.RetentionDays"/> in the background.</summary>
    public void StartRetention()
    {
        _retention = new StatsRetention(this);
        _retention.Start();
    }

    /// <summary>Stops the retention job, cancelling a batch in flight.</summary>
    public ValueTask DisposeAsync() => _retention?.DisposeAsync() ?? ValueTask.CompletedTask;

    /// <inheritdoc />
    /// <remarks>
    /// Idempotent: rows whose id is already stored are skipped, so a batch retried after a timeout neither fails nor
    /// duplicates. SQLite inserts in one transaction with one prepared statement; PostgreSQL inserts the whole batch in
    /// one statement from one array per column (<c>unnest</c>).
    /// </remarks>
    public async Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (stats.Count == 0)
        {
            return;
        }

        await using var context = _database.CreateContext();
        await using var connection = await StatsSql.OpenAsync(context, cancellationToken).ConfigureAwait(false);
        if (connection.Connection is NpgsqlConnection postgres)
        {
            await StatsWriter.InsertAsync(postgres, stats, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            StatsWriter.Insert((SqliteConnection)connection.Connection, stats, cancellationToken);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Limit <= 0)
        {
            return [];
        }

        await using var context = _database.CreateContext();
        var matching = StatsSql.Filter(context.RequestStats.AsNoTracking(), query);
        var ordered = query.RequestId is null
            ? matching.OrderByDescending(s => s.Timestamp).ThenByDescending(s => s.Id)
            : matching.OrderBy(s => s.Attempt).ThenBy(s => s.Timestamp).ThenBy(s => s.Id);
        var rows = await ordered
            .Skip(Math.Max(0, query.Offset))
            .Take(query.Limit)
            .ToListAsync(cancellationToken)
            .ConfigureAwait(false);
        return rows.ConvertAll(StatsSql.ToRequestStat);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Requests are counted without sorting or hashing request ids: every matching row is an attempt, and a request is
    /// its matching attempts less those that follow an earlier matching attempt of the same request. Only rows whose
    /// attempt is above 1 (failovers, rare) are checked, each with a seek on the request index; on SQLite they are read
    /// from their partial index, so with no filter but time no table row is read. Served requests are the successful
    /// attempts: the gateway stops at the first attempt that succeeds. Both statements read one snapshot.
    /// </remarks>
    public async Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var transaction = await _database.BeginReadTransactionAsync(context, cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {

                // Grouping by a constant yields one row with both counts, or none when nothing matches.
                var counts = await StatsSql.Filter(context.RequestStats, query)
                    .GroupBy(_ => 1)
                    .Select(g => new { Attempts = g.LongCount(), Successes = g.Sum(s => s.Success ? 1L : 0L) })
                    .SingleOrDefaultAsync(cancellationToken) // one group at most; First without OrderBy makes EF Core warn on every call
                    .ConfigureAwait(false);
                if (counts is null)
                {
                    return new StatsSummary();
                }

                var further = _database.IsPostgres ? context.RequestStats : context.RequestStats.FromSqlRaw("SELECT * FROM " + StatsSql.SqliteFailovers);
                var earlier = StatsSql.Filter(_database.IsPostgres ? context.RequestStats : context.RequestStats.FromSqlRaw("SELECT * FROM " + StatsSql.SqliteRequestIndexed), query);
                var repeats = await StatsSql.Filter(further, query)
                    .Where(s => s.Attempt > 1 && earlier.Any(p => p.RequestId == s.RequestId && p.Attempt < s.Attempt))
                    .LongCountAsync(cancellationToken)
                    .ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return new StatsSummary
                {
                    TotalRequests = counts.Attempts - repeats,
                    SuccessRequests = counts.Successes,
                    TotalAttempts = counts.Attempts,
                    SuccessAttempts = counts.Successes,
                };
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// No row is loaded into memory: PostgreSQL answers with one grouped statement; SQLite, which has no percentile
    /// function and sorts slowly, runs a few index-driven statements per group (see <see cref="StatsAggregator"/>).
    /// Both return the same nearest-rank percentiles and request counts.
    /// </remarks>
    public async Task<IReadOnlyList<StatsAggregate>> AggregateStatsAsync(StatsAggregateQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.StartTime > query.EndTime)
        {
            throw new ArgumentException($"The end time ({query.EndTime:O}) is before the start time ({query.StartTime:O}).", nameof(query));
        }

        var column = query.GroupBy switch
        {
            StatsGroupBy.Platform => "platform_id",
            StatsGroupBy.ApiKey => "api_key_id",
            _ => "model_name",
        };
        var groups = await StatsAggregator.AggregateAsync(_database.CreateContext, column, query.StartTime, query.EndTime, cancellationToken).ConfigureAwait(false);

        var result = groups.ConvertAll(g => new StatsAggregate
        {
            ModelName = query.GroupBy == StatsGroupBy.Model ? (string)g.Key : null,
            PlatformId = query.GroupBy == StatsGroupBy.Platform ? StatsSql.ToInt64(g.Key) : null,
            ApiKeyId = query.GroupBy == StatsGroupBy.ApiKey ? StatsSql.ToInt64(g.Key) : null,
            Requests = g.Attempts - g.Repeats,
            Successes = g.Successes,
            ErrorRate = Rate(g.Attempts - g.Repeats - g.Successes, g.Attempts - g.Repeats),
            Failovers = g.Failovers,
            Attempts = g.Attempts,
            SuccessAttempts = g.Successes,
            AttemptErrorRate = Rate(g.Attempts - g.Successes, g.Attempts),
            P50DurationMs = g.P50DurationMs,
            P95DurationMs = g.P95DurationMs,
            AverageFirstByteMs = g.AverageFirstByteMs,
            PromptTokens = g.PromptTokens,
            CompletionTokens = g.CompletionTokens,
            CachedInputTokens = g.CachedInputTokens,
            CacheWriteTokens = g.CacheWriteTokens,
        });

        // Sorted here, not in SQL: PostgreSQL orders text by the database's collation, not ordinally.
        result.Sort(query.GroupBy switch
        {
            StatsGroupBy.Platform => (a, b) => Nullable.Compare(a.PlatformId, b.PlatformId),
            StatsGroupBy.ApiKey => (a, b) => Nullable.Compare(a.ApiKeyId, b.ApiKeyId),
            _ => (a, b) => string.CompareOrdinal(a.ModelName, b.ModelName),
        });
        return result;

        static double Rate(long part, long whole) => whole == 0 ? 0 : (double)part / whole;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<StatsTimeBucket>> GetStatsTimeSeriesAsync(StatsTimeSeriesQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.EndTime <= query.StartTime)
        {
            throw new ArgumentException($"The end time ({query.EndTime:O}) must be after the start time ({query.StartTime:O}).", nameof(query));
        }

        long bucketMs = query.BucketSize == StatsBucketSize.Hour ? 3_600_000 : 60_000;
        var (where, parameters) = StatsSql.TimeRange(query.StartTime, query.EndTime);
        if (query.ModelName is not null)
        {
            where += " AND model_name = @model";
            parameters.Add(("model", query.ModelName));
        }

        if (query.PlatformId is { } platformId)
        {
            where += " AND platform_id = @platform";
            parameters.Add(("platform", platformId));
        }

        // Stored times are positive Unix milliseconds, so integer division floors them to UTC minutes or hours. The
        // filters are unqualified: in the subquery they apply to the earlier attempt (p), outside it to the row (r).
        await using var context = _database.CreateContext();
        await using var connection = await StatsSql.OpenAsync(context, cancellationToken).ConfigureAwait(false);
        var sqlite = connection.Connection is SqliteConnection;
        var repeat = StatsSql.HasEarlierAttempt(where, $"\"timestamp\" / {bucketMs} = r.\"timestamp\" / {bucketMs}", sqlite);

        // PostgreSQL counts further attempts in the same scan. SQLite keeps that scan on its covering index and counts
        // them in a second statement over its partial index of further attempts, so neither reads a table row.
        var sql = $"""
            SELECT "timestamp" / {bucketMs}, COUNT(*), SUM(CASE WHEN success THEN 1 ELSE 0 END){(sqlite ? "" : $", SUM(CASE WHEN {repeat} THEN 1 ELSE 0 END)")}
            FROM request_stats r
            {where}
            GROUP BY 1
            ORDER BY 1
            """;
        var repeats = new Dictionary<long, long>();

        // A deferred transaction only reads: in WAL mode it is one snapshot for both statements, and blocks no writer.
        await using var transaction = (connection.Connection as SqliteConnection)?.BeginTransaction(deferred: true);
        if (sqlite)
        {
            var index = StatsSql.FailoverIndex(query.ModelName is not null ? "model_name" : "timestamp");
            var repeatSql = $"""
                SELECT "timestamp" / {bucketMs}, COUNT(*)
                FROM request_stats r INDEXED BY "{index}"
                {where} AND {repeat}
                GROUP BY 1
                """;
            await using var repeatCommand = StatsSql.CreateCommand(connection.Connection, repeatSql, parameters);
            repeatCommand.Transaction = transaction;
            await using var repeatReader = await repeatCommand.ExecuteReaderAsync(CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false);
            while (await repeatReader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                repeats[repeatReader.GetInt64(0)] = repeatReader.GetInt64(1);
            }
        }

        var result = new List<StatsTimeBucket>();
        await using var command = StatsSql.CreateCommand(connection.Connection, sql, parameters);
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(CommandBehavior.SingleResult, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var bucket = StatsSql.ToInt64(reader.GetValue(0));
            var attempts = StatsSql.ToInt64(reader.GetValue(1));
            var successes = StatsSql.ToInt64(reader.GetValue(2));
            var requests = attempts - (sqlite ? repeats.GetValueOrDefault(bucket) : StatsSql.ToInt64(reader.GetValue(3)));
            result.Add(new StatsTimeBucket
            {
                Start = DateTimeOffset.FromUnixTimeMilliseconds(bucket * bucketMs),
                Requests = requests,
                Errors = requests - successes,
                Attempts = attempts,
                FailedAttempts = attempts - successes,
            });
        }

        return result;
    }

    /// <inheritdoc />
    public async Task<int> DeleteStatsBeforeAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var cutoffMs = cutoff.ToUnixTimeMilliseconds();
        await using var context = _database.CreateContext();
        return await context.RequestStats
            .Where(s => s.Timestamp < cutoffMs)
            .OrderBy(s => s.Timestamp)
            .Take(batchSize)
            .ExecuteDeleteAsync(cancellationToken)
            .ConfigureAwait(false);
    }
}
