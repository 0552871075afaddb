using Microsoft.Data.Sqlite;

namespace Portal.Storage.Tests.Infrastructure;

/// <summary>A SQLite database file in a fresh temp directory, deleted with the directory on dispose.</summary>
/// <remarks>A real file, not <c>:memory:</c>: WAL mode, locking and reopening behave as in production.</remarks>
public sealed class TempSqlite : IDisposable
{
    public TempSqlite()
    {
        DirectoryPath = Path.Combine(Path.GetTempPath(), "portal-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(DirectoryPath);
        FilePath = Path.Combine(DirectoryPath, "portal.db");
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = FilePath }.ToString();
    }

    /// <summary>The temp directory holding the database (and its WAL and shared-memory files).</summary>
    public string DirectoryPath { get; }

    /// <summary>The database file; it does not exist until something opens it.</summary>
    public string FilePath { get; }

    /// <summary><c>Data Source=…/portal.db</c>.</summary>
    public string ConnectionString { get; }

    /// <summary>Storage settings for this file.</summary>
    public StorageOptions CreateOptions() => new() { Provider = StorageProviders.Sqlite, ConnectionString = ConnectionString };

    public void Dispose()
    {
        // Pooled connections keep the file open; on some systems that blocks the delete.
        SqliteConnection.ClearAllPools();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(DirectoryPath))
                {
                    Directory.Delete(DirectoryPath, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(100);
            }
            catch (UnauthorizedAccessException) when (attempt < 5)
            {
                Thread.Sleep(100);
            }
        }
    }
}
