using System.Text;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Portal.Storage.Internal;
using SQLitePCL;

namespace Portal.Storage;

/// <summary>Inserts batches of request stats, skipping ids already stored (a retried batch neither fails nor duplicates).</summary>
internal static class StatsWriter
{
    /// <summary>The column length of request_stats.request_id: twice the gateway's 32 digits, so a longer id from elsewhere still fits.</summary>
    public const int MaxRequestIdLength = 64;

    /// <summary>
    /// The column length of request_stats.protocol and request_stats.caller: 200, the most the admin API and the config
    /// file allow a name. The server's names are short (<c>openai-chat</c>, <c>client-1</c>); a library caller's longer
    /// one is cut.
    /// </summary>
    public const int MaxNameLength = 200;

    /// <summary>
    /// The column length of request_stats.target_format: 50, that of platforms.format, so every platform's format fits;
    /// a longer one from a library caller is cut.
    /// </summary>
    public const int MaxFormatLength = 50;

    // Column lengths (PortalDbContext): longer values are cut, so one odd row cannot fail a batch.
    private const int MaxModelNameLength = 200;

    // SQLite numbers the parameters in the order they first appear (@id is 1, @target_format 21); Insert binds them by number.
    private static readonly string InsertSql = $"""
        INSERT INTO request_stats ({StatsSql.Columns})
        VALUES (@id, @timestamp, @is_stream, @model_name, @platform_id, @api_key_id, @model_id, @duration_ms, @first_byte_ms, @success, @error_message, @status_code, @prompt_tokens, @completion_tokens, @request_id, @attempt, @protocol, @caller, @cached_input_tokens, @cache_write_tokens, @target_format)
        ON CONFLICT (id) DO NOTHING
        """;

    /// <summary>SQLite: one transaction, one prepared statement re-executed per row.</summary>
    public static void Insert(SqliteConnection connection, IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite is synchronous even behind its async methods, and re-executing one prepared statement is
        // the fastest insert SQLite offers. The statement runs through SQLitePCLRaw, the layer Microsoft.Data.Sqlite is
        // built on, on the same connection and inside its transaction: a SqliteCommand adds about 7 µs to SQLite's own
        // 5 µs per row (a data reader per execution, boxed values, parameters looked up by name), and with one row per
        // request that was a tenth of the gateway's CPU per request.
        using var transaction = connection.BeginTransaction();
        var db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(db, InsertSql, out var statement), db);
        using (statement)
        {
            // Ids (32 characters) and names (model, protocol, caller: at most 200; format: 50) fit; anything longer is bound from the string.
            Span<byte> text = stackalloc byte[1024];
            var fairShare = new FairShareYield();
            foreach (var stat in stats)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Check(BindText(statement, 1, stat.Id, text), db);
                Check(raw.sqlite3_bind_int64(statement, 2, stat.Timestamp.ToUnixTimeMilliseconds()), db);
                Check(raw.sqlite3_bind_int(statement, 3, stat.IsStream ? 1 : 0), db);
                Check(BindText(statement, 4, EntityMapping.Truncate(stat.ModelName, MaxModelNameLength), text), db);
                Check(raw.sqlite3_bind_int64(statement, 5, stat.PlatformId), db);
                Check(raw.sqlite3_bind_int64(statement, 6, stat.ApiKeyId), db);
                Check(raw.sqlite3_bind_int64(statement, 7, stat.ModelId), db);
                Check(raw.sqlite3_bind_double(statement, 8, stat.Duration.TotalMilliseconds), db);
                Check(stat.FirstByteTime is { } firstByte ? raw.sqlite3_bind_double(statement, 9, firstByte.TotalMilliseconds) : raw.sqlite3_bind_null(statement, 9), db);
                Check(raw.sqlite3_bind_int(statement, 10, stat.Success ? 1 : 0), db);
                Check(BindText(statement, 11, EntityMapping.Truncate(stat.ErrorMessage, EntityMapping.MaxErrorLength), text), db);
                Check(BindInt(statement, 12, stat.StatusCode), db);
                Check(BindInt(statement, 13, stat.PromptTokens), db);
                Check(BindInt(statement, 14, stat.CompletionTokens), db);
                Check(BindText(statement, 15, EntityMapping.Truncate(stat.RequestId, MaxRequestIdLength), text), db);
                Check(raw.sqlite3_bind_int(statement, 16, stat.Attempt), db);
                Check(BindText(statement, 17, EntityMapping.Truncate(stat.Protocol, MaxNameLength), text), db);
                Check(BindText(statement, 18, EntityMapping.Truncate(stat.Caller, MaxNameLength), text), db);
                Check(BindInt(statement, 19, stat.CachedInputTokens), db);
                Check(BindInt(statement, 20, stat.CacheWriteTokens), db);
                Check(BindText(statement, 21, EntityMapping.Truncate(stat.TargetFormat, MaxFormatLength), text), db);
                Check(raw.sqlite3_step(statement), db);
                raw.sqlite3_reset(statement); // returns the step's error again, already thrown above

                // The batch is bookkeeping; requests waiting for the CPU should not wait for it. On a busy core (the
                // gateway pinned to one) an unbroken batch is milliseconds of CPU that the scheduler hands out in
                // slices of milliseconds, stalling whatever request arrives meanwhile. Yielding between rows lets waiting
                // requests go first, while the fair share keeps the batch from falling behind under sustained load
                // (stats would be dropped once the queue is full).
                fairShare.Step();
            }
        }

        transaction.Commit();
    }

    private static int BindText(sqlite3_stmt statement, int index, string? value, Span<byte> buffer) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        _ when Encoding.UTF8.TryGetBytes(value, buffer, out var length) => raw.sqlite3_bind_text(statement, index, buffer[..length]),
        _ => raw.sqlite3_bind_text(statement, index, value),
    };

    private static int BindInt(sqlite3_stmt statement, int index, int? value) =>
        value is { } v ? raw.sqlite3_bind_int(statement, index, v) : raw.sqlite3_bind_null(statement, index);

    /// <summary>Throws the <see cref="SqliteException"/> Microsoft.Data.Sqlite would for an error code.</summary>
    private static void Check(int rc, sqlite3 db)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE))
        {
            SqliteException.ThrowExceptionForRC(rc, db);
            throw new SqliteException($"SQLite returned {rc} where no row was expected.", rc); // SQLITE_ROW: not an error code
        }
    }

    /// <summary>PostgreSQL: one statement for the whole batch, unnesting one array parameter per column.</summary>
    public static async Task InsertAsync(NpgsqlConnection connection, IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
    {
        var n = stats.Count;
        var id = new string[n];
        var timestamp = new long[n];
        var isStream = new bool[n];
        var modelName = new string[n];
        var platformId = new long[n];
        var apiKeyId = new long[n];
        var modelId = new long[n];
        var durationMs = new double[n];
        var firstByteMs = new double?[n];
        var success = new bool[n];
        var errorMessage = new string?[n];
        var statusCode = new int?[n];
        var promptTokens = new int?[n];
        var completionTokens = new int?[n];
        var requestId = new string?[n];
        var attempt = new int[n];
        var protocol = new string?[n];
        var caller = new string?[n];
        var cachedInputTokens = new int?[n];
        var cacheWriteTokens = new int?[n];
        var targetFormat = new string?[n];
        var i = 0;
        foreach (var stat in stats)
        {
            id[i] = stat.Id;
            timestamp[i] = stat.Timestamp.ToUnixTimeMilliseconds();
            isStream[i] = stat.IsStream;
            modelName[i] = EntityMapping.Truncate(stat.ModelName, MaxModelNameLength)!;
            platformId[i] = stat.PlatformId;
            apiKeyId[i] = stat.ApiKeyId;
            modelId[i] = stat.ModelId;
            durationMs[i] = stat.Duration.TotalMilliseconds;
            firstByteMs[i] = stat.FirstByteTime?.TotalMilliseconds;
            success[i] = stat.Success;
            errorMessage[i] = EntityMapping.Truncate(stat.ErrorMessage, EntityMapping.MaxErrorLength);
            statusCode[i] = stat.StatusCode;
            promptTokens[i] = stat.PromptTokens;
            completionTokens[i] = stat.CompletionTokens;
            requestId[i] = EntityMapping.Truncate(stat.RequestId, MaxRequestIdLength);
            attempt[i] = stat.Attempt;
            protocol[i] = EntityMapping.Truncate(stat.Protocol, MaxNameLength);
            caller[i] = EntityMapping.Truncate(stat.Caller, MaxNameLength);
            cachedInputTokens[i] = stat.CachedInputTokens;
            cacheWriteTokens[i] = stat.CacheWriteTokens;
            targetFormat[i] = EntityMapping.Truncate(stat.TargetFormat, MaxFormatLength);
            i++;
        }

        // ON CONFLICT DO NOTHING also skips an id repeated within the batch. Binary COPY would not skip duplicates.
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO request_stats ({StatsSql.Columns})
            SELECT * FROM unnest(@id, @timestamp, @is_stream, @model_name, @platform_id, @api_key_id, @model_id, @duration_ms, @first_byte_ms, @success, @error_message, @status_code, @prompt_tokens, @completion_tokens, @request_id, @attempt, @protocol, @caller, @cached_input_tokens, @cache_write_tokens, @target_format)
            ON CONFLICT (id) DO NOTHING
            """,
            connection);
        command.Parameters.Add(Array("id", NpgsqlDbType.Text, id));
        command.Parameters.Add(Array("timestamp", NpgsqlDbType.Bigint, timestamp));
        command.Parameters.Add(Array("is_stream", NpgsqlDbType.Boolean, isStream));
        command.Parameters.Add(Array("model_name", NpgsqlDbType.Text, modelName));
        command.Parameters.Add(Array("platform_id", NpgsqlDbType.Bigint, platformId));
        command.Parameters.Add(Array("api_key_id", NpgsqlDbType.Bigint, apiKeyId));
        command.Parameters.Add(Array("model_id", NpgsqlDbType.Bigint, modelId));
        command.Parameters.Add(Array("duration_ms", NpgsqlDbType.Double, durationMs));
        command.Parameters.Add(Array("first_byte_ms", NpgsqlDbType.Double, firstByteMs));
        command.Parameters.Add(Array("success", NpgsqlDbType.Boolean, success));
        command.Parameters.Add(Array("error_message", NpgsqlDbType.Text, errorMessage));
        command.Parameters.Add(Array("status_code", NpgsqlDbType.Integer, statusCode));
        command.Parameters.Add(Array("prompt_tokens", NpgsqlDbType.Integer, promptTokens));
        command.Parameters.Add(Array("completion_tokens", NpgsqlDbType.Integer, completionTokens));
        command.Parameters.Add(Array("request_id", NpgsqlDbType.Text, requestId));
        command.Parameters.Add(Array("attempt", NpgsqlDbType.Integer, attempt));
        command.Parameters.Add(Array("protocol", NpgsqlDbType.Text, protocol));
        command.Parameters.Add(Array("caller", NpgsqlDbType.Text, caller));
        command.Parameters.Add(Array("cached_input_tokens", NpgsqlDbType.Integer, cachedInputTokens));
        command.Parameters.Add(Array("cache_write_tokens", NpgsqlDbType.Integer, cacheWriteTokens));
        command.Parameters.Add(Array("target_format", NpgsqlDbType.Text, targetFormat));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        static NpgsqlParameter<T[]> Array<T>(string name, NpgsqlDbType elementType, T[] values) =>
            new(name, NpgsqlDbType.Array | elementType) { TypedValue = values };
    }
}
