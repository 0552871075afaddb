using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Storage.Configuration.Internal;
using Portal.Storage.Entities;

namespace Portal.Storage;

/// <summary>The schema, shared by both providers; each provider has a derived context that owns its migrations.</summary>
/// <remarks>Tables and columns are snake_case on both providers.</remarks>
internal abstract class PortalDbContext : DbContext
{
    protected PortalDbContext(DbContextOptions options)
        : base(options)
    {
    }

    public DbSet<PlatformEntity> Platforms => Set<PlatformEntity>();

    public DbSet<ModelEntity> Models => Set<ModelEntity>();

    public DbSet<ApiKeyEntity> ApiKeys => Set<ApiKeyEntity>();

    public DbSet<HealthEntity> Health => Set<HealthEntity>();

    public DbSet<RequestStatEntity> RequestStats => Set<RequestStatEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<PlatformEntity>(e =>
        {
            e.ToTable("platforms");
            e.HasKey(p => p.Id);
            e.Property(p => p.Name).HasMaxLength(200).IsRequired();
            e.HasIndex(p => p.Name).IsUnique();
            e.Property(p => p.Format).HasMaxLength(50).IsRequired();
            e.Property(p => p.BaseUrl).HasMaxLength(2000).IsRequired();
            e.Property(p => p.ApiVersion).HasMaxLength(PlatformRules.MaxApiVersionLength);
            e.Property(p => p.Source).HasMaxLength(20).IsRequired().HasDefaultValue(RowSource.Admin);
        });

        modelBuilder.Entity<ModelEntity>(e =>
        {
            e.ToTable("models");
            e.HasKey(m => m.Id);
            e.Property(m => m.Name).HasMaxLength(200).IsRequired();
            e.Property(m => m.Alias).HasMaxLength(200);
            e.HasIndex(m => new { m.PlatformId, m.Name }).IsUnique();
            e.HasIndex(m => m.Name);
            e.HasIndex(m => m.Alias);
            e.HasOne<PlatformEntity>().WithMany().HasForeignKey(m => m.PlatformId).OnDelete(DeleteBehavior.Cascade);
            e.Property(m => m.Source).HasMaxLength(20).IsRequired().HasDefaultValue(RowSource.Admin);
        });

        modelBuilder.Entity<ApiKeyEntity>(e =>
        {
            e.ToTable("api_keys");
            e.HasKey(k => k.Id);
            e.Property(k => k.Value).HasMaxLength(4000).IsRequired();
            e.Property(k => k.Name).HasMaxLength(200);
            e.HasIndex(k => k.PlatformId);
            e.HasIndex(k => new { k.PlatformId, k.Name }).IsUnique();
            e.HasOne<PlatformEntity>().WithMany().HasForeignKey(k => k.PlatformId).OnDelete(DeleteBehavior.Cascade);
            e.Property(k => k.Source).HasMaxLength(20).IsRequired().HasDefaultValue(RowSource.Admin);
        });

        modelBuilder.Entity<HealthEntity>(e =>
        {
            e.ToTable("health");
            e.HasKey(h => new { h.ResourceKind, h.ResourceId });
            e.Property(h => h.LastError).HasMaxLength(2000);
        });

        modelBuilder.Entity<RequestStatEntity>(e =>
        {
            e.ToTable("request_stats");
            e.HasKey(s => s.Id);
            e.Property(s => s.Id).HasMaxLength(32);
            e.Property(s => s.RequestId).HasMaxLength(StatsWriter.MaxRequestIdLength);
            e.Property(s => s.Protocol).HasMaxLength(StatsWriter.MaxNameLength);
            e.Property(s => s.Caller).HasMaxLength(StatsWriter.MaxNameLength);
            e.Property(s => s.TargetFormat).HasMaxLength(StatsWriter.MaxFormatLength);
            e.Property(s => s.ModelName).HasMaxLength(200).IsRequired();
            e.Property(s => s.ErrorMessage).HasMaxLength(2000);
            ConfigureStatsIndexes(e);
        });

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
            }
        }
    }

    /// <summary>The request_stats indexes: by time, by model and time, by platform and time, and by request (its attempts in order).</summary>
    /// <remarks>
    /// The request index serves the <see cref="StatsQuery.RequestId"/> filter and the check that tells a request's
    /// further attempts from its first, which counting requests makes for every row whose attempt is above 1.
    /// </remarks>
    protected virtual void ConfigureStatsIndexes(EntityTypeBuilder<RequestStatEntity> stats)
    {
        stats.HasIndex(s => s.Timestamp);
        stats.HasIndex(s => new { s.ModelName, s.Timestamp });
        stats.HasIndex(s => new { s.PlatformId, s.Timestamp });
        stats.HasIndex(s => new { s.RequestId, s.Attempt }).HasDatabaseName(StatsSql.RequestIndex);
    }

    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}

/// <summary>The SQLite schema and its migrations (<c>Migrations/Sqlite</c>).</summary>
internal sealed class SqlitePortalDbContext : PortalDbContext
{
    public SqlitePortalDbContext(DbContextOptions<SqlitePortalDbContext> options)
        : base(options)
    {
    }

    /// <summary>
    /// SQLite has no percentile function and sorts slowly, so its stats indexes cover every column the aggregates read:
    /// a day of a million rows aggregates from the indexes alone in under a second (without them, 1.6 to 2.5 s). New
    /// rows go at the end of each index (request ids sort by time too), so inserts stay well above 20,000 rows/s. The
    /// names stay those of the first migration.
    /// </summary>
    /// <remarks>
    /// Counting requests checks every row whose attempt is above 1 for an earlier attempt of its request in the same
    /// group. Those rows (about as many as failed attempts) have small partial indexes of their own that hold their
    /// request id, and the request index holds what the check compares, so the check reads no table row: through the
    /// table it cost one random page read per failover and made a day's aggregate 2 to 10 times slower. There are two
    /// partial indexes, not one per grouping, because every index costs each insert a cursor whether the row enters it
    /// or not: one led by the model (the default grouping, 20 groups in the benchmark) and one led by the time that
    /// holds the platform and key, which the other groupings scan in full per group.
    /// </remarks>
    protected override void ConfigureStatsIndexes(EntityTypeBuilder<RequestStatEntity> stats)
    {
        stats.HasIndex(s => new { s.Timestamp, s.Success, s.Attempt })
            .HasDatabaseName("IX_request_stats_timestamp");
        stats.HasIndex(s => new { s.ModelName, s.Timestamp, s.DurationMs, s.Success, s.IsStream, s.FirstByteMs, s.PromptTokens, s.CompletionTokens, s.CachedInputTokens, s.CacheWriteTokens, s.Attempt })
            .HasDatabaseName("IX_request_stats_model_name_timestamp");
        stats.HasIndex(s => new { s.PlatformId, s.Timestamp, s.DurationMs, s.Success, s.IsStream, s.FirstByteMs, s.PromptTokens, s.CompletionTokens, s.CachedInputTokens, s.CacheWriteTokens, s.Attempt })
            .HasDatabaseName("IX_request_stats_platform_id_timestamp");
        stats.HasIndex(s => new { s.RequestId, s.Attempt, s.Timestamp, s.ModelName, s.PlatformId, s.ApiKeyId })
            .HasDatabaseName(StatsSql.RequestIndex);
        stats.HasIndex(s => new { s.Timestamp, s.RequestId, s.Attempt, s.ModelName, s.PlatformId, s.ApiKeyId })
            .HasFilter(StatsSql.IsFailover).HasDatabaseName(StatsSql.FailoverIndex("timestamp"));
        stats.HasIndex(s => new { s.ModelName, s.Timestamp, s.RequestId, s.Attempt })
            .HasFilter(StatsSql.IsFailover).HasDatabaseName(StatsSql.FailoverIndex("model_name"));
    }
}

/// <summary>The PostgreSQL schema and its migrations (<c>Migrations/Postgres</c>).</summary>
internal sealed class PostgresPortalDbContext : PortalDbContext
{
    public PostgresPortalDbContext(DbContextOptions<PostgresPortalDbContext> options)
        : base(options)
    {
    }
}
