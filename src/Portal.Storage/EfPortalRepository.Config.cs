using Microsoft.Extensions.Logging;
using Portal.Storage.Configuration;
using Portal.Storage.Configuration.Internal;

namespace Portal.Storage;

public sealed partial class EfPortalRepository
{
    /// <summary>Imports a configuration file: the database is brought in line with it, in one transaction.</summary>
    /// <param name="file">The validated file, from <see cref="PortalConfigLoader"/>.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is written then.</param>
    /// <returns>How many platforms, models and keys were added, updated, disabled or left unchanged.</returns>
    /// <remarks>
    /// <para>
    /// Platforms are matched by name, models by (platform, name), keys by (platform, name) when the key has a name and
    /// by (platform, value) otherwise. Rows in the file but not in the database are added and marked as coming from the
    /// file; rows that differ are updated, the others are left alone (not even their update time changes), so a second
    /// import of the same file writes nothing.
    /// </para>
    /// <para>
    /// Rows the file added earlier but no longer lists are disabled, never deleted, so their stats keep their meaning;
    /// if they come back in the file they are enabled again. The file is the source of truth for its rows: an admin's
    /// change to one of them is undone at the next import.
    /// </para>
    /// <para>
    /// Rows the admin created are never touched, except one the file lists under the same identity: the file takes it
    /// over (it keeps its id, so its stats and health stay attached) and manages it from then on. Taking over rather
    /// than failing lets an installation move admin-made configuration into the file without losing history.
    /// </para>
    /// <para>The configuration cache is invalidated afterwards, so requests see the result at once.</para>
    /// </remarks>
    public async Task<ConfigImportResult> ImportConfigAsync(PortalConfigFile file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        ConfigImportResult result;
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            result = await ImportConfigAsync(file, context, Time.GetUtcNow().ToUnixTimeMilliseconds(), Logger, cancellationToken).ConfigureAwait(false);
        }

        InvalidateCache();
        return result;
    }

    /// <summary>Imports a configuration file through the given context (which the caller owns), at time <paramref name="now"/> (Unix ms).</summary>
    internal static Task<ConfigImportResult> ImportConfigAsync(PortalConfigFile file, PortalDbContext context, long now, ILogger logger, CancellationToken cancellationToken) =>
        ConfigImport.RunAsync(context, file, now, logger, cancellationToken);
}
