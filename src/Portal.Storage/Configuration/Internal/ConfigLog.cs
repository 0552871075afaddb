using Microsoft.Extensions.Logging;

namespace Portal.Storage.Configuration.Internal;

/// <summary>The log messages of the configuration import, source-generated; event ids 300–309 are reserved for it.</summary>
/// <remarks>No message takes a key value: keys are named by id.</remarks>
internal static partial class ConfigLog
{
    [LoggerMessage(300, LogLevel.Information, "Imported configuration file {FilePath}: {Added} added, {Updated} updated, {Disabled} disabled, {Unchanged} unchanged")]
    public static partial void Imported(ILogger logger, string filePath, int added, int updated, int disabled, int unchanged);

    [LoggerMessage(301, LogLevel.Information, "Configuration file {FilePath} takes over the admin-created {Kind} {Id} ({Name}); it is managed by the file from now on")]
    public static partial void TakenOver(ILogger logger, string filePath, string kind, long id, string? name);

    [LoggerMessage(302, LogLevel.Information, "Configuration file {FilePath} no longer lists {Kind} {Id} ({Name}); disabled")]
    public static partial void Disabled(ILogger logger, string filePath, string kind, long id, string? name);
}
