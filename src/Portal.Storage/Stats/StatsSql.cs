using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Portal.Storage.Entities;

namespace Portal.Storage;

/// <summary>Shared pieces of the request-stats SQL: filters, mapping, parameters, connections.</summary>
internal static class StatsSql
{
    /// <summary>The index on (request_id, attempt): a request's attempts in order.</summary>
    public const string RequestIndex = "IX_request_stats_request_id_attempt";

    /// <summary>
    /// The table, read through <see cref="RequestIndex"/> on SQLite. Without statistics SQLite's planner rates an
    /// equality on the model or platform with a time range above an equality on the request id, and would scan a
    /// whole group's range for every attempt it checks.
    /// </summary>
    public const string SqliteRequestIndexed = "request_stats INDEXED BY \"" + RequestIndex + "\"";

    /// <summary>The condition of SQLite's partial indexes of further attempts (<see cref="FailoverIndex"/>), as the queries that use them must state it.</summary>
    public const string IsFailover = "attempt > 1";

    /// <summary>The name of SQLite's partial index of further attempts led by <paramref name="column"/>: <c>model_name</c> or <c>timestamp</c> (which holds the platform and key too).</summary>
    public static string FailoverIndex(string column) => FailoverIndexPrefix + column;

    /// <summary>The partial index of further attempts that serves a group by <paramref name="group"/>: its own for the model, the one led by time for the others.</summary>
    public static string FailoverIndexFor(string group) => FailoverIndex(group == "model_name" ? "model_name" : "timestamp");

    /// <summary>SQLite's further attempts (attempt above 1), read from their partial index led by the timestamp.</summary>
    public const string SqliteFailovers = "request_stats INDEXED BY \"" + FailoverIndexPrefix + "timestamp\" WHERE " + IsFailover;

    private const string FailoverIndexPrefix = "IX_request_stats_failovers_";

    /// <summary>The request_stats columns in insert order.</summary>
    public const string Columns =
        "id, \"timestamp\", is_stream, model_name, platform_id, api_key_id, model_id, duration_ms, first_byte_ms, success, error_message, status_code, prompt_tokens, completion_tokens, request_id, attempt, protocol, caller, cached_input_tokens, cache_write_tokens, target_format";

    /// <summary>Applies the filters of <paramref name="query"/> (times as Unix milliseconds, start inclusive, end exclusive).</summary>
    public static IQueryable<RequestStatEntity> Filter(IQueryable<RequestStatEntity> rows, StatsQuery query)
    {
        if (query.StartTime is { } start)
        {
            var ms = start.ToUnixTimeMilliseconds();
            rows = rows.Where(s => s.Timestamp >= ms);
        }

        if (query.EndTime is { } end)
        {
            var ms = end.ToUnixTimeMilliseconds();
            rows = rows.Where(s => s.Timestamp < ms);
        }

        if (query.ModelName is { } model)
        {
            rows = rows.Where(s => s.ModelName == model);
        }

        if (query.Success is { } success)
        {
            rows = rows.Where(s => s.Success == success);
        }

        if (query.PlatformId is { } platformId)
        {
            rows = rows.Where(s => s.PlatformId == platformId);
        }

        if (query.ApiKeyId is { } apiKeyId)
        {
            rows = rows.Where(s => s.ApiKeyId == apiKeyId);
        }

        if (query.IsStream is { } isStream)
        {
            rows = rows.Where(s => s.IsStream == isStream);
        }

        if (query.RequestId is { } requestId)
        {
            rows = rows.Where(s => s.RequestId == requestId);
        }

        if (query.Protocol is { } protocol)
        {
            rows = rows.Where(s => s.Protocol == protocol);
        }

        if (query.Caller is { } caller)
        {
            rows = rows.Where(s => s.Caller == caller);
        }

        if (query.TargetFormat is { } targetFormat)
        {
            rows = rows.Where(s => s.TargetFormat == targetFormat);
        }

        return rows;
    }

    public static RequestStat ToRequestStat(RequestStatEntity e) => new()
    {
        Id = e.Id,
        Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp),
        RequestId = e.RequestId,
        Attempt = e.Attempt,
        Protocol = e.Protocol,
        Caller = e.Caller,
        IsStream = e.IsStream,
        ModelName = e.ModelName,
        PlatformId = e.PlatformId,
        ApiKeyId = e.ApiKeyId,
        ModelId = e.ModelId,
        Duration = TimeSpan.FromMilliseconds(e.DurationMs),
        FirstByteTime = e.FirstByteMs is { } firstByte ? TimeSpan.FromMilliseconds(firstByte) : null,
        Success = e.Success,
        ErrorMessage = e.ErrorMessage,
        StatusCode = e.StatusCode,
        PromptTokens = e.PromptTokens,
        CompletionTokens = e.CompletionTokens,
        CachedInputTokens = e.CachedInputTokens,
        CacheWriteTokens = e.CacheWriteTokens,
        TargetFormat = e.TargetFormat,
    };

    /// <summary>A <c>WHERE</c> clause over the <c>timestamp</c> column (start inclusive, end exclusive), with its parameters; more conditions can be appended with <c>AND</c>.</summary>
    public static (string Where, List<(string Name, object Value)> Parameters) TimeRange(DateTimeOffset? start, DateTimeOffset? end)
    {
        var conditions = new List<string>(2);
        var parameters = new List<(string, object)>(4);
        if (start is { } s)
        {
            conditions.Add("\"timestamp\" >= @start");
            parameters.Add(("start", s.ToUnixTimeMilliseconds()));
        }

        if (end is { } e)
        {
            conditions.Add("\"timestamp\" < @end");
            parameters.Add(("end", e.ToUnixTimeMilliseconds()));
        }

        // "1 = 1" keeps the clause appendable; both planners drop it.
        return ("WHERE " + (conditions.Count == 0 ? "1 = 1" : string.Join(" AND ", conditions)), parameters);
    }

    /// <summary>
    /// A condition on the row aliased <c>r</c>: an earlier attempt of its request is among the rows that
    /// <paramref name="where"/> and <paramref name="sameGroup"/> select. Counting the rows that fail it counts each
    /// request once, without sorting or hashing request ids.
    /// </summary>
    /// <param name="where">A <c>WHERE</c> clause over unqualified columns (such as <see cref="TimeRange"/> builds): inside the subquery they name the earlier attempt.</param>
    /// <param name="sameGroup">More conditions on the earlier attempt, which may refer to the row as <c>r</c>.</param>
    /// <param name="sqlite">Whether the statement runs on SQLite, which is told to look the earlier attempt up by request id (<see cref="SqliteRequestIndexed"/>).</param>
    /// <remarks>
    /// Only a row whose attempt is above 1 can have an earlier one, so the subquery runs for failovers only (both
    /// databases evaluate <c>AND</c> left to right here), each a seek on the (request_id, attempt) index. Rows
    /// without request id never match.
    /// </remarks>
    public static string HasEarlierAttempt(string where, string sameGroup, bool sqlite) =>
        $"r.attempt > 1 AND EXISTS (SELECT 1 FROM request_stats p{(sqlite ? $" INDEXED BY \"{RequestIndex}\"" : "")} {where} AND {sameGroup} AND p.request_id = r.request_id AND p.attempt < r.attempt)";

    /// <summary>A command on <paramref name="connection"/> with named parameters.</summary>
    public static DbCommand CreateCommand(DbConnection connection, string sql, IEnumerable<(string Name, object Value)> parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The SQL is assembled from constants and column names only; every value is a parameter.
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            AddParameter(command, name, value);
        }

        return command;
    }

    /// <summary>Adds a named parameter and returns it, so a prepared command can be re-executed with new values.</summary>
    public static DbParameter AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    /// <summary>Opens the context's connection, so SQLite connections get the context's pragmas; disposing closes it.</summary>
    public static async Task<OpenConnection> OpenAsync(PortalDbContext context, CancellationToken cancellationToken)
    {
        await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return new OpenConnection(context);
    }

    /// <summary>Reads a COUNT or SUM: PostgreSQL returns bigint or numeric, SQLite integer; both convert exactly.</summary>
    public static long ToInt64(object value) => value is DBNull ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture);

    /// <summary>A context's connection opened by <see cref="OpenAsync"/>.</summary>
    public readonly struct OpenConnection(PortalDbContext context) : IAsyncDisposable
    {
        public DbConnection Connection => context.Database.GetDbConnection();

        public ValueTask DisposeAsync() => new(context.Database.CloseConnectionAsync());
    }
}
