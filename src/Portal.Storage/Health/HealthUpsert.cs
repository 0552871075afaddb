using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;

namespace Portal.Storage.Health;

/// <summary>Inserts or replaces health rows with one multi-row <c>INSERT … ON CONFLICT DO UPDATE</c> (same SQL on SQLite and PostgreSQL).</summary>
internal static class HealthUpsert
{
    private const string Columns =
        "resource_kind, resource_id, status, retry_count, next_available_at, backoff_ms, last_error, last_error_code, last_check_at, last_success_at, success_count, error_count";

    private const string OnConflict =
        " ON CONFLICT (resource_kind, resource_id) DO UPDATE SET status = excluded.status, retry_count = excluded.retry_count, " +
        "next_available_at = excluded.next_available_at, backoff_ms = excluded.backoff_ms, last_error = excluded.last_error, " +
        "last_error_code = excluded.last_error_code, last_check_at = excluded.last_check_at, last_success_at = excluded.last_success_at, " +
        "success_count = excluded.success_count, error_count = excluded.error_count";

    private const int ColumnCount = 12;

    /// <summary>Upserts <paramref name="states"/> (at most one per resource) in one statement.</summary>
    public static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, IReadOnlyList<HealthState> states, CancellationToken cancellationToken)
    {
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.Transaction = transaction;
            var sql = new StringBuilder("INSERT INTO health (").Append(Columns).Append(") VALUES ");
            for (var i = 0; i < states.Count; i++)
            {
                var row = states[i].ToEntity();
                sql.Append(i == 0 ? "(" : ", (");
                var n = i * ColumnCount;

                // Every parameter is typed, nulls included: PostgreSQL infers the type of a multi-row VALUES column
                // from its rows, and an untyped null there would be text.
                Add(command, sql, n, DbType.Int32, row.ResourceKind);
                Add(command, sql, n + 1, DbType.Int64, row.ResourceId);
                Add(command, sql, n + 2, DbType.Int32, row.Status);
                Add(command, sql, n + 3, DbType.Int32, row.RetryCount);
                Add(command, sql, n + 4, DbType.Int64, row.NextAvailableAt);
                Add(command, sql, n + 5, DbType.Int64, row.BackoffMs);
                Add(command, sql, n + 6, DbType.String, row.LastError);
                Add(command, sql, n + 7, DbType.Int32, row.LastErrorCode);
                Add(command, sql, n + 8, DbType.Int64, row.LastCheckAt);
                Add(command, sql, n + 9, DbType.Int64, row.LastSuccessAt);
                Add(command, sql, n + 10, DbType.Int64, row.SuccessCount);
                Add(command, sql, n + 11, DbType.Int64, row.ErrorCount, last: true);
            }

            command.CommandText = sql.Append(OnConflict).ToString();
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Add(DbCommand command, StringBuilder sql, int index, DbType type, object? value, bool last = false)
    {
        var name = "@p" + index.ToString(CultureInfo.InvariantCulture);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.DbType = type;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        sql.Append(name).Append(last ? ")" : ", ");
    }
}
