using Portal.Server.Errors;

namespace Portal.Server.Admin.Shared;

/// <summary>An admin error response: its status and the OpenAI-shaped body. Every admin error is one of these factories.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Message">The body's <c>message</c>.</param>
/// <param name="Type">The body's <c>type</c>.</param>
/// <param name="Code">The body's <c>code</c>: one of <see cref="AdminErrorCodes"/>.</param>
/// <param name="Param">The body's <c>param</c>: the field or query parameter at fault.</param>
internal sealed record AdminError(int Status, string Message, string Type, string? Code, string? Param)
{
    /// <summary>400: a parameter or body field is missing or invalid; <paramref name="param"/> names it.</summary>
    public static AdminError BadRequest(string param, string message, string code = AdminErrorCodes.InvalidValue) =>
        new(StatusCodes.Status400BadRequest, message, ApiErrors.Types.InvalidRequest, code, ClientText.Echo(param));

    /// <summary>404: the id in the path names nothing.</summary>
    public static AdminError NotFound(string message) =>
        new(StatusCodes.Status404NotFound, message, ApiErrors.Types.NotFound, AdminErrorCodes.NotFound, "id");

    /// <summary>409: the change conflicts with what is stored.</summary>
    public static AdminError Conflict(string message, string code, string? param = null) =>
        new(StatusCodes.Status409Conflict, message, ApiErrors.Types.InvalidRequest, code, param);

    /// <summary>503: the database failed; the request may succeed later.</summary>
    public static AdminError StorageUnavailable() =>
        new(StatusCodes.Status503ServiceUnavailable, "The database is unavailable; try again.", ApiErrors.Types.Unavailable, AdminErrorCodes.StorageUnavailable, null);

    /// <summary>The response.</summary>
    public IResult ToResult() => ApiErrors.Result(Status, Message, Type, Code, Param);
}

/// <summary>
/// A request the admin API cannot read (a malformed body, query parameter or field), thrown from the helpers that read
/// it and answered with its <see cref="Error"/> by the admin group's filter (<see cref="AdminApi"/>).
/// </summary>
/// <remarks>What the stores decide (a missing row, a conflict) is not thrown: the endpoints return it (<see cref="AdminResults"/>).</remarks>
internal sealed class AdminException : Exception
{
    public AdminException()
        : this(new AdminError(StatusCodes.Status500InternalServerError, "The admin request failed.", ApiErrors.Types.Server, null, null))
    {
    }

    public AdminException(string message)
        : this(Invalid(message))
    {
    }

    public AdminException(string message, Exception innerException)
        : base(message, innerException) => Error = Invalid(message);

    public AdminException(AdminError error)
        : base(error.Message) => Error = error;

    /// <summary>The response.</summary>
    public AdminError Error { get; }

    /// <summary>400: a parameter or body field is missing or invalid; <paramref name="param"/> names it.</summary>
    public static AdminException BadRequest(string param, string message, string code = AdminErrorCodes.InvalidValue) =>
        new(AdminError.BadRequest(param, message, code));

    private static AdminError Invalid(string message) =>
        new(StatusCodes.Status400BadRequest, message, ApiErrors.Types.InvalidRequest, AdminErrorCodes.InvalidValue, null);
}

/// <summary>The <c>code</c> values of admin errors.</summary>
internal static class AdminErrorCodes
{
    public const string InvalidValue = "invalid_value";
    public const string MissingValue = "missing_value";
    public const string InvalidJson = "invalid_json";
    public const string UnknownParameter = "unknown_parameter";
    public const string NotFound = "not_found";

    /// <summary>A name (or key value) already taken.</summary>
    public const string Conflict = "conflict";

    /// <summary>The row belongs to the config file; <c>?force=true</c> overrides.</summary>
    public const string ConfigManaged = "config_managed";

    /// <summary>The platform still has models or keys; <c>?cascade=true</c> deletes them too.</summary>
    public const string PlatformInUse = "platform_in_use";

    public const string StorageUnavailable = "storage_unavailable";
}
