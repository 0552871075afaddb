using Npgsql;

namespace Portal.Storage.Tests.Infrastructure;

/// <summary>Each PostgreSQL test gets a database of its own, gone after the test.</summary>
public sealed class PostgresDatabaseTests
{
    [SkippableFact]
    public async Task CreateAsync_ThenDispose_CreatesAnEmptyDatabaseAndDropsIt()
    {
        var database = await PostgresDatabase.CreateAsync();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal(database.Name, await command.ExecuteScalarAsync());
        }

        await database.DisposeAsync();

        await using var server = new NpgsqlConnection(PostgresDatabase.ServerConnectionString);
        await server.OpenAsync();
        await using var exists = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", server);
        exists.Parameters.AddWithValue("name", database.Name);
        Assert.Equal(0L, await exists.ExecuteScalarAsync());
    }
}
