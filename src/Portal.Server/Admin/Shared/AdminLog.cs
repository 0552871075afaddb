namespace Portal.Server.Admin.Shared;

/// <summary>The admin API's audit log (category <c>Portal.Server.Admin</c>, event ids 4000–4099). Never a key value.</summary>
internal static partial class AdminLog
{
    public const string Category = "Portal.Server.Admin";

    public static ILogger Get(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(Category);

    [LoggerMessage(4000, LogLevel.Information, "Admin created {Kind} {Id} ({Name})")]
    public static partial void Created(ILogger logger, string kind, long id, string name);

    [LoggerMessage(4001, LogLevel.Information, "Admin updated {Kind} {Id} ({Name})")]
    public static partial void Updated(ILogger logger, string kind, long id, string name);

    [LoggerMessage(4002, LogLevel.Information, "Admin deleted {Kind} {Id} ({Name}), with {Models} models and {Keys} keys")]
    public static partial void Deleted(ILogger logger, string kind, long id, string name, int models, int keys);

    [LoggerMessage(4003, LogLevel.Warning, "Admin forced a change to {Kind} {Id}, which the config file manages: the next import undoes it")]
    public static partial void ForcedConfigChange(ILogger logger, string kind, long id);

    [LoggerMessage(4004, LogLevel.Information, "Admin reset the health of {Count} resources (kind {Kind}, id {Id})")]
    public static partial void HealthReset(ILogger logger, int count, string kind, string id);

    [LoggerMessage(4005, LogLevel.Warning, "Admin request {Method} {Path} failed: the database is unavailable")]
    public static partial void StorageUnavailable(ILogger logger, Exception exception, string method, string path);
}
