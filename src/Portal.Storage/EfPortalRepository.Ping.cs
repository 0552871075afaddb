using Microsoft.EntityFrameworkCore;

namespace Portal.Storage;

/// <content>A connectivity check for readiness probes.</content>
public sealed partial class EfPortalRepository
{
    /// <summary>Runs the cheapest possible query (<c>SELECT 1</c>) to check that the database answers.</summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the database answered.</returns>
    /// <exception cref="System.Data.Common.DbException">The database could not be reached.</exception>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            await context.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken).ConfigureAwait(false);
        }
    }
}
