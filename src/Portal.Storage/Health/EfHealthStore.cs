using Microsoft.EntityFrameworkCore;
using Portal.Storage.Internal;

namespace Portal.Storage.Health;

/// <summary><see cref="IHealthStore"/> on EF Core: one row per resource, saved in batches of upserts.</summary>
/// <remarks>Thread-safe. Each operation uses its own short-lived context.</remarks>
internal sealed class EfHealthStore : IHealthStore
{
    // Rows per upsert statement: 12 parameters a row stays far below the parameter limits of both providers
    // (SQLite 32,766, PostgreSQL 65,535); larger batches use several statements in one transaction.
    private const int RowsPerStatement = 500;

    private readonly StorageDatabase _database;

    public EfHealthStore(StorageDatabase database) => _database = database;

    /// <inheritdoc />
    public async Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken)
    {
        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            var rows = await context.Health.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
            return [.. rows.Select(r => r.ToDomain())];
        }
    }

    /// <inheritdoc />
    /// <remarks>One upsert statement per 500 states, all in one transaction: the batch is saved entirely or not at all.</remarks>
    public async Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(states);
        if (states.Count == 0)
        {
            return;
        }

        // The last state of a resource wins, as with one row per resource; one statement may not touch a row twice.
        var rows = new Dictionary<(ResourceKind, long), HealthState>();
        foreach (var state in states)
        {
            rows[(state.ResourceKind, state.ResourceId)] = state;
        }

        var context = _database.CreateContext();
        await using (context.ConfigureAwait(false))
        {
            await context.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            var connection = context.Database.GetDbConnection();
            var chunks = rows.Values.Chunk(RowsPerStatement).ToList();
            if (chunks.Count == 1)
            {
                await HealthUpsert.ExecuteAsync(connection, null, chunks[0], cancellationToken).ConfigureAwait(false);
                return;
            }

            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                foreach (var chunk in chunks)
                {
                    await HealthUpsert.ExecuteAsync(connection, transaction, chunk, cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
