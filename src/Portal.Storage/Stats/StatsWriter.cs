using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using Portal.Storage.Internal;

namespace Portal.Storage;

/// <summary>Inserts batches of request stats, skipping ids already stored (a retried batch neither fails nor duplicates).</summary>
internal static class StatsWriter
{
    // Column length of request_stats.model_name (PortalDbContext): longer values are cut, so one odd row cannot fail a batch.
    private const int MaxModelNameLength = 200;

    /// <summary>SQLite: one transaction, one prepared statement re-executed per row.</summary>
    public static void Insert(SqliteConnection connection, IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite is synchronous even behind its async methods. A batch of 1,000 rows takes about 15 ms
        // of CPU, and re-executing one prepared statement is the fastest insert SQLite offers.
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            INSERT INTO request_stats ({StatsSql.Columns})
            VALUES (@id, @timestamp, @is_stream, @model_name, @platform_id, @api_key_id, @model_id, @duration_ms, @first_byte_ms, @success, @error_message, @status_code, @prompt_tokens, @completion_tokens)
            ON CONFLICT (id) DO NOTHING
            """;
        var id = command.Parameters.Add("@id", SqliteType.Text);
        var timestamp = command.Parameters.Add("@timestamp", SqliteType.Integer);
        var isStream = command.Parameters.Add("@is_stream", SqliteType.Integer);
        var modelName = command.Parameters.Add("@model_name", SqliteType.Text);
        var platformId = command.Parameters.Add("@platform_id", SqliteType.Integer);
        var apiKeyId = command.Parameters.Add("@api_key_id", SqliteType.Integer);
        var modelId = command.Parameters.Add("@model_id", SqliteType.Integer);
        var durationMs = command.Parameters.Add("@duration_ms", SqliteType.Real);
        var firstByteMs = command.Parameters.Add("@first_byte_ms", SqliteType.Real);
        var success = command.Parameters.Add("@success", SqliteType.Integer);
        var errorMessage = command.Parameters.Add("@error_message", SqliteType.Text);
        var statusCode = command.Parameters.Add("@status_code", SqliteType.Integer);
        var promptTokens = command.Parameters.Add("@prompt_tokens", SqliteType.Integer);
        var completionTokens = command.Parameters.Add("@completion_tokens", SqliteType.Integer);
        command.Prepare();

        var fairShare = new FairShareYield();
        foreach (var stat in stats)
        {
            cancellationToken.ThrowIfCancellationRequested();
            id.Value = stat.Id;
            timestamp.Value = stat.Timestamp.ToUnixTimeMilliseconds();
            isStream.Value = stat.IsStream;
            modelName.Value = EntityMapping.Truncate(stat.ModelName, MaxModelNameLength);
            platformId.Value = stat.PlatformId;
            apiKeyId.Value = stat.ApiKeyId;
            modelId.Value = stat.ModelId;
            durationMs.Value = stat.Duration.TotalMilliseconds;
            firstByteMs.Value = (object?)stat.FirstByteTime?.TotalMilliseconds ?? DBNull.Value;
            success.Value = stat.Success;
            errorMessage.Value = (object?)EntityMapping.Truncate(stat.ErrorMessage, EntityMapping.MaxErrorLength) ?? DBNull.Value;
            statusCode.Value = (object?)stat.StatusCode ?? DBNull.Value;
            promptTokens.Value = (object?)stat.PromptTokens ?? DBNull.Value;
            completionTokens.Value = (object?)stat.CompletionTokens ?? DBNull.Value;
            command.ExecuteNonQuery();

            // The batch is bookkeeping; requests waiting for the CPU should not wait for it. On a busy core (the
            // gateway pinned to one) an unbroken batch is over 10 ms of CPU that the scheduler hands out in slices of
            // milliseconds, stalling whatever request arrives meanwhile. Yielding between rows lets waiting requests go
            // first, while the fair share keeps the batch from falling behind under sustained load (stats would be
            // dropped once the queue is full).
            fairShare.Step();
        }

        transaction.Commit();
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
            i++;
        }

        // ON CONFLICT DO NOTHING also skips an id repeated within the batch. Binary COPY would not skip duplicates.
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO request_stats ({StatsSql.Columns})
            SELECT * FROM unnest(@id, @timestamp, @is_stream, @model_name, @platform_id, @api_key_id, @model_id, @duration_ms, @first_byte_ms, @success, @error_message, @status_code, @prompt_tokens, @completion_tokens)
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
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        static NpgsqlParameter<T[]> Array<T>(string name, NpgsqlDbType elementType, T[] values) =>
            new(name, NpgsqlDbType.Array | elementType) { TypedValue = values };
    }
}
