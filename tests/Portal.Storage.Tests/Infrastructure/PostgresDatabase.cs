using Npgsql;

namespace Portal.Storage.Tests.Infrastructure;

/// <summary>A fresh database <c>portal_test_&lt;guid&gt;</c> on the server named by <c>PORTAL_TEST_POSTGRES</c>, dropped on dispose.</summary>
/// <remarks>
/// CI (<c>.ci/run</c>) starts a throwaway server and sets the variable. When it is unset, <see cref="CreateAsync"/>
/// skips the calling <c>[SkippableFact]</c> / <c>[SkippableTheory]</c> with the reason.
/// </remarks>
public sealed class PostgresDatabase : IAsyncDisposable
{
    /// <summary>The environment variable holding the server's connection string (any database on it; trust or password auth).</summary>
    public const string VariableName = "PORTAL_TEST_POSTGRES";

    /// <summary>Why the PostgreSQL tests are skipped when <see cref="VariableName"/> is unset.</summary>
    public const string SkipReason = "PORTAL_TEST_POSTGRES is not set: PostgreSQL tests need a server (CI starts one)";

    private readonly string _serverConnectionString;
    private int _disposed;

    private PostgresDatabase(string serverConnectionString, string name, string connectionString)
    {
        _serverConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    /// <summary>The server's connection string from the environment, or <see langword="null"/> when unset.</summary>
    public static string? ServerConnectionString =>
        Environment.GetEnvironmentVariable(VariableName) is { Length: > 0 } value ? value : null;

    /// <summary>The database's name.</summary>
    public string Name { get; }

    /// <summary>The connection string of the new database.</summary>
    public string ConnectionString { get; }

    /// <summary>Skips the current test when no server is configured.</summary>
    public static void SkipIfUnavailable() => Skip.If(ServerConnectionString is null, SkipReason);

    /// <summary>Creates a fresh database; skips the current test when no server is configured.</summary>
    public static async Task<PostgresDatabase> CreateAsync(CancellationToken cancellationToken = default)
    {
        SkipIfUnavailable();
        var server = ServerConnectionString!;
        var name = "portal_test_" + Guid.NewGuid().ToString("N");
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new PostgresDatabase(server, name, builder.ConnectionString);
    }

    /// <summary>Storage settings for this database, optionally with the connection going to <paramref name="host"/>:<paramref name="port"/> instead (a <c>TcpProxy</c>).</summary>
    public StorageOptions CreateOptions(string? host = null, int? port = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        if (host is not null)
        {
            builder.Host = host;
        }

        if (port is not null)
        {
            builder.Port = port.Value;
        }

        return new StorageOptions { Provider = StorageProviders.Postgres, ConnectionString = builder.ConnectionString };
    }

    /// <summary>The server's host and port (what a <c>TcpProxy</c> forwards to).</summary>
    public (string Host, int Port) ServerEndPoint()
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        return (builder.Host ?? "127.0.0.1", builder.Port);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Idle pooled connections to the database would block the drop; FORCE ends any still open elsewhere.
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
