using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Portal.Storage.Internal;

/// <summary>
/// Sets the per-connection SQLite pragmas on every connection EF Core opens: a 5 s busy timeout (a writer waits for
/// another instead of failing at once), <c>synchronous=NORMAL</c> (durable at each WAL checkpoint, safe with WAL) and
/// foreign keys on (so deleting a platform cascades).
/// </summary>
/// <remarks>
/// Pragmas belong to the native connection, which the pool reuses across opens, so they run once per native handle.
/// WAL itself is a property of the database file and is set once at open. Code that opens its own
/// <see cref="SqliteConnection"/> instead of going through a context should call <see cref="Configure"/>.
/// </remarks>
internal sealed class SqliteConnectionSetup : DbConnectionInterceptor
{
    public static readonly SqliteConnectionSetup Instance = new();

    internal const string Pragmas = "PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";

    // Native handles already configured; weak, so a handle the pool drops is not kept alive.
    private static readonly ConditionalWeakTable<object, object> Configured = [];

    private SqliteConnectionSetup()
    {
    }

    /// <summary>Sets the pragmas on an open connection unless its native handle already has them.</summary>
    public static void Configure(DbConnection connection)
    {
        if (connection is not SqliteConnection { Handle: { } handle } sqlite || Configured.TryGetValue(handle, out _))
        {
            return;
        }

        using var command = sqlite.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
        Configured.AddOrUpdate(handle, handle);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Configure(connection);

    // The pragmas are local and instant (no I/O), so the synchronous path serves the asynchronous open too.
    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Configure(connection);
        return Task.CompletedTask;
    }
}
