using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Portal.Storage;

// Used only by the dotnet-ef tool, which finds and creates these by reflection, to generate migrations:
//   dotnet ef migrations add <Name> --project src/Portal.Storage --context SqlitePortalDbContext --output-dir Migrations/Sqlite
//   dotnet ef migrations add <Name> --project src/Portal.Storage --context PostgresPortalDbContext --output-dir Migrations/Postgres
// Neither needs a database: generating a migration compares the model with the last snapshot. Then make the new
// migration class internal (as the others are: migrations are no public API; EF finds internal ones too), and check
// that `dotnet ef migrations has-pending-model-changes --context …` reports none for both contexts.

/// <summary>Creates the SQLite context for the EF Core tools.</summary>
[SuppressMessage("Performance", "CA1812:Avoid uninstantiated internal classes", Justification = "Instantiated by the dotnet-ef tool through reflection.")]
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqlitePortalDbContext>
{
    public SqlitePortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlitePortalDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>Creates the PostgreSQL context for the EF Core tools; no server is contacted.</summary>
[SuppressMessage("Performance", "CA1812:Avoid uninstantiated internal classes", Justification = "Instantiated by the dotnet-ef tool through reflection.")]
internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresPortalDbContext>
{
    public PostgresPortalDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresPortalDbContext>().UseNpgsql("Host=localhost;Database=portal_design_time").Options);
}
