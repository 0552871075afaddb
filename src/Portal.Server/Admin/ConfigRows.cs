using Portal.Storage;

namespace Portal.Server.Admin;

/// <summary>
/// Rows imported from the config file are overwritten by its next import, so the admin API refuses to change or delete
/// them unless asked with <c>?force=true</c>, and then says that the change will not last.
/// </summary>
internal static class ConfigRows
{
    /// <summary>The setting that names the config file.</summary>
    public const string FileSetting = StorageServiceCollectionExtensions.ConfigFileSetting;

    /// <summary>Returns <see langword="null"/> for an admin row; for a config row, a warning when forced, else a 409.</summary>
    /// <param name="context">The request (for the audit log).</param>
    /// <param name="source">The row's source.</param>
    /// <param name="kind"><c>platform</c>, <c>model</c> or <c>key</c>.</param>
    /// <param name="id">The row's id.</param>
    /// <param name="delete">Whether the row is being deleted (else changed).</param>
    /// <param name="force">Whether <c>?force=true</c> was given.</param>
    public static string? Check(HttpContext context, string source, string kind, long id, bool delete, bool force)
    {
        if (source != RowSources.Config)
        {
            return null;
        }

        if (!force)
        {
            var verb = delete ? "delete" : "change";
            var there = delete ? "remove it from that file" : "change it in that file";
            throw AdminException.Conflict(
                $"The {kind} {id} is managed by the config file (setting {FileSetting}) and the next import would undo this: "
                + $"{there}, or add ?force=true to {verb} it here until then.",
                AdminErrorCodes.ConfigManaged,
                "force");
        }

        AdminLog.ForcedConfigChange(AdminLog.Get(context), kind, id);
        return delete
            ? $"The {kind} {id} is managed by the config file ({FileSetting}); the next import of that file adds it back while the file lists it."
            : $"The {kind} {id} is managed by the config file ({FileSetting}); the next import of that file will undo this change.";
    }
}
