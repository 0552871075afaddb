using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Shared;

/// <summary>What an endpoint writes, for the words of the response when the store refuses it.</summary>
/// <param name="Kind"><c>platform</c>, <c>model</c> or <c>key</c>.</param>
/// <param name="Id">The row's id (0 for a create).</param>
/// <param name="Param">The field a conflict or an invalid value is reported on.</param>
/// <param name="Delete">Whether the row is being deleted (else created or changed).</param>
internal readonly record struct AdminWrite(string Kind, long Id, string Param, bool Delete = false);

/// <summary>
/// Turns the outcome of a config store write into the admin API's answer: every <see cref="ConfigWriteErrorKind"/> to its
/// status and error body, and a forced write of a row the config file manages to its warning.
/// </summary>
/// <remarks>
/// Rows imported from the config file are overwritten by its next import, so the store refuses to change or delete them
/// unless asked with <c>?force=true</c>, and the response then says that the change will not last.
/// </remarks>
internal static class AdminResults
{
    /// <summary>The setting that names the config file.</summary>
    public const string FileSetting = StorageServiceCollectionExtensions.ConfigFileSetting;

    /// <summary>The error response to a refused write.</summary>
    public static IResult Refused(ConfigWriteError error, AdminWrite write) => ToError(error, write).ToResult();

    /// <summary>The 404 for an id that names no row.</summary>
    public static IResult NotFound(string kind, long id) => AdminError.NotFound(NotFoundMessage(kind, id)).ToResult();

    /// <summary>The status and body of each kind of refusal.</summary>
    public static AdminError ToError(ConfigWriteError error, AdminWrite write) => error.Kind switch
    {
        ConfigWriteErrorKind.NotFound => AdminError.NotFound(NotFoundMessage(write.Kind, write.Id)),
        ConfigWriteErrorKind.Conflict => AdminError.Conflict(error.Message, AdminErrorCodes.Conflict, write.Param),
        ConfigWriteErrorKind.ConfigManaged => AdminError.Conflict(
            $"The {write.Kind} {write.Id} is managed by the config file (setting {FileSetting}) and the next import would undo this: "
            + (write.Delete ? "remove it from that file, or add ?force=true to delete it here until then." : "change it in that file, or add ?force=true to change it here until then."),
            AdminErrorCodes.ConfigManaged,
            "force"),
        ConfigWriteErrorKind.PlatformInUse => AdminError.Conflict(
            $"The platform {write.Id} still has {error.Models} model(s) and {error.Keys} key(s): delete them first, add ?cascade=true to delete them with it, "
            + "or set enabled to false to stop routing to it and keep its configuration.",
            AdminErrorCodes.PlatformInUse,
            "cascade"),
        ConfigWriteErrorKind.Invalid => AdminError.BadRequest(write.Param, error.Message),
        _ => throw new ArgumentOutOfRangeException(nameof(error), error.Kind, "Unknown kind of refusal."),
    };

    /// <summary>
    /// For a write the store accepted on a row the config file manages (so <c>?force=true</c> was given): logs it and
    /// returns the warning the response carries. <see langword="null"/> for a row the admin API owns.
    /// </summary>
    public static string? Warning(HttpContext context, string source, AdminWrite write)
    {
        if (source != RowSources.Config)
        {
            return null;
        }

        AdminLog.ForcedConfigChange(AdminLog.Get(context), write.Kind, write.Id);
        return write.Delete
            ? $"The {write.Kind} {write.Id} is managed by the config file ({FileSetting}); the next import of that file adds it back while the file lists it."
            : $"The {write.Kind} {write.Id} is managed by the config file ({FileSetting}); the next import of that file will undo this change.";
    }

    private static string NotFoundMessage(string kind, long id) => $"No {kind} with id {id}.";
}
