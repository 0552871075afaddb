using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Providers;
using Portal.Storage;

namespace Portal.Benchmarks.Storage;

/// <summary>
/// The stores the storage benchmarks run on: SQLite (with its covering stats indexes, migration CoveringStatsIndexes),
/// and PostgreSQL when <c>PORTAL_BENCH_POSTGRES</c> holds a server's connection string (skipped otherwise).
/// </summary>
internal static class StatsBenchStores
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    /// <summary>Rows in the aggregate fixture: one day of 1M requests.</summary>
    public const int DayRows = 1_000_000;

    /// <summary>The day the aggregate fixture covers.</summary>
    public static readonly DateTimeOffset Day = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Bump when the fixture's data or schema changes, so a cached file is not reused.
    private const string FixtureVersion = "v6";

    private static readonly string Folder = Path.Combine(Path.GetTempPath(), "portal-bench");

    /// <summary>The server for the PostgreSQL runs, or <see langword="null"/>.</summary>
    public static string? PostgresServer =>
        Environment.GetEnvironmentVariable("PORTAL_BENCH_POSTGRES") is { Length: > 0 } value ? value : null;

    /// <summary>The stores to run: PostgreSQL only when <c>PORTAL_BENCH_POSTGRES</c> is set.</summary>
    public static IEnumerable<string> All()
    {
        yield return Sqlite;
        if (PostgresServer is not null)
        {
            yield return Postgres;
        }
    }

    /// <summary>Opens an empty store; <see cref="DropAsync"/> removes it.</summary>
    public static async Task<(EfPortalRepository Repository, string Location)> OpenEmptyAsync(string store)
    {
        var name = "portal_bench_" + Guid.NewGuid().ToString("N");
        var location = store == Postgres ? name : Path.Combine(Folder, name + ".db");
        var repository = await OpenAsync(store, location, create: true);
        return (repository, location);
    }

    /// <summary>Opens the one-day fixture of <see cref="DayRows"/> rows, building it the first time (it is kept for later runs).</summary>
    public static async Task<EfPortalRepository> OpenDayAsync(string store)
    {
        var location = store == Postgres
            ? $"portal_bench_day_{FixtureVersion}"
            : Path.Combine(Folder, $"day-{store}-{FixtureVersion}.db");
        if (await IsCompleteAsync(store, location))
        {
            return await OpenAsync(store, location, create: false);
        }

        await DropAsync(store, location);
        var building = store == Postgres ? location : location + ".building";
        await DropAsync(store, building);
        var repository = await OpenAsync(store, building, create: true);
        var random = new Random(42);
        for (var i = 0; i < DayRows; i += 1000)
        {
            await repository.SaveRequestStatsAsync(DayBatch(random, i, 1000), default);
        }

        await repository.DisposeAsync();
        if (store != Postgres)
        {
            SqliteConnection.ClearAllPools();
            File.Move(building, location);
        }

        return await OpenAsync(store, location, create: false);
    }

    /// <summary>Deletes an SQLite file (with its WAL) or drops a PostgreSQL database.</summary>
    public static async Task DropAsync(string store, string location)
    {
        if (store == Postgres)
        {
            NpgsqlConnection.ClearAllPools();
            await using var connection = new NpgsqlConnection(PostgresServer);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{location}\" WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
            return;
        }

        SqliteConnection.ClearAllPools();
        Directory.CreateDirectory(Folder);
        foreach (var file in new[] { location, location + "-wal", location + "-shm" })
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// <paramref name="count"/> attempts of the day starting at row <paramref name="first"/>, evenly spread: 20 models
    /// over 5 platforms and 30 keys, half streaming, 5% failed, durations skewed towards short ones. As in the gateway,
    /// a failed attempt is followed by the next attempt of its request (same request id and model, another platform),
    /// up to 3 attempts: about 5% of the rows are failovers. Request ids sort by time, as the gateway's do. Every row has
    /// the server's protocol and a caller name, as a server with client tokens writes them, and the platform's format;
    /// a quarter report prompt-cache reads and a twentieth cache writes, as platforms with prompt caching do.
    /// </summary>
    public static List<RequestStat> DayBatch(Random random, long first, int count)
    {
        var rows = new List<RequestStat>(count);
        RequestStat? previous = null;
        for (var i = 0; i < count; i++)
        {
            var timestamp = Day.AddMilliseconds((first + i) * (86_400_000.0 / DayRows));
            var stream = random.Next(2) == 0;
            var success = random.Next(20) != 0;
            var platformId = random.Next(1, 6);

            // The previous attempt failed: this row is its request's next attempt, on another platform.
            var failover = previous is { Success: false, Attempt: < 3 };
            if (failover && platformId == previous!.PlatformId)
            {
                platformId = (platformId % 5) + 1;
            }

            var row = new RequestStat
            {
                Id = Guid.CreateVersion7(timestamp).ToString("N"),
                Timestamp = timestamp,
                RequestId = failover ? previous!.RequestId : Guid.CreateVersion7(timestamp).ToString("N"),
                Attempt = failover ? previous!.Attempt + 1 : 1,
                Protocol = InboundProtocols.OpenAIChat,
                Caller = "client-1",
                IsStream = failover ? previous!.IsStream : stream,
                ModelName = failover ? previous!.ModelName : "model-" + random.Next(20),
                PlatformId = platformId,
                ApiKeyId = ((platformId - 1) * 6) + random.Next(1, 7),
                ModelId = random.Next(1, 51),
                Duration = TimeSpan.FromMilliseconds(50 + (random.NextDouble() * random.NextDouble() * 5000)),
                FirstByteTime = stream ? TimeSpan.FromMilliseconds(20 + (random.NextDouble() * 500)) : null,
                Success = success,
                ErrorMessage = success ? null : "upstream returned 500",
                StatusCode = success ? 200 : 500,
                PromptTokens = random.Next(10, 2000),
                CompletionTokens = random.Next(1, 1000),
                CachedInputTokens = random.Next(4) == 0 ? random.Next(1, 1000) : null,
                CacheWriteTokens = random.Next(20) == 0 ? random.Next(1, 1000) : null,
                TargetFormat = PlatformFormats.OpenAI,
            };
            rows.Add(row);
            previous = row;
        }

        return rows;
    }

    private static async Task<EfPortalRepository> OpenAsync(string store, string location, bool create)
    {
        StorageOptions options;
        if (store == Postgres)
        {
            if (create)
            {
                await using var connection = new NpgsqlConnection(PostgresServer);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand($"CREATE DATABASE \"{location}\"", connection);
                await command.ExecuteNonQueryAsync();
            }

            options = new StorageOptions
            {
                Provider = StorageProviders.Postgres,
                ConnectionString = new NpgsqlConnectionStringBuilder(PostgresServer) { Database = location }.ConnectionString,
            };
        }
        else
        {
            Directory.CreateDirectory(Folder);
            options = new StorageOptions { ConnectionString = $"Data Source={location}" };
        }

        options.RetentionDays = 0;
        var repository = await EfPortalRepository.OpenAsync(options);
        return repository;
    }

    private static async Task<bool> IsCompleteAsync(string store, string location)
    {
        if (store != Postgres)
        {
            return File.Exists(location); // built under another name and renamed when complete
        }

        await using var connection = new NpgsqlConnection(PostgresServer);
        await connection.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", location);
        if ((long)(await exists.ExecuteScalarAsync())! == 0)
        {
            return false;
        }

        await using var day = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Database = location }.ConnectionString);
        await day.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM request_stats", day);
        try
        {
            return (long)(await count.ExecuteScalarAsync())! == DayRows;
        }
        catch (PostgresException)
        {
            return false; // no table yet
        }
    }
}
