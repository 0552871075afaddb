using Portal.Server.Errors;

namespace Portal.Server.Admin;

/// <summary>An admin request that cannot be served as asked: becomes an OpenAI-shaped error response (<see cref="AdminApi"/>'s filter).</summary>
internal sealed class AdminException : Exception
{
    public AdminException()
        : this(StatusCodes.Status500InternalServerError, "The admin request failed.", ApiErrors.Types.Server, null, null)
    {
    }

    public AdminException(string message)
        : this(StatusCodes.Status400BadRequest, message, ApiErrors.Types.InvalidRequest, AdminErrorCodes.InvalidValue, null)
    {
    }

    public AdminException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = StatusCodes.Status400BadRequest;
        Type = ApiErrors.Types.InvalidRequest;
        Code = AdminErrorCodes.InvalidValue;
    }

    private AdminException(int status, string message, string type, string? code, string? param)
        : base(message)
    {
        Status = status;
        Type = type;
        Code = code;
        Param = param;
    }

    public int Status { get; }

    public string Type { get; }

    public string? Code { get; }

    public string? Param { get; }

    /// <summary>400: a parameter or body field is missing or invalid; <paramref name="param"/> names it.</summary>
    public static AdminException BadRequest(string param, string message, string code = AdminErrorCodes.InvalidValue) =>
        new(StatusCodes.Status400BadRequest, message, ApiErrors.Types.InvalidRequest, code, ClientText.Echo(param));

    /// <summary>404: the id in the path names nothing.</summary>
    public static AdminException NotFound(string message) =>
        new(StatusCodes.Status404NotFound, message, ApiErrors.Types.NotFound, AdminErrorCodes.NotFound, "id");

    /// <summary>409: the change conflicts with what is stored.</summary>
    public static AdminException Conflict(string message, string code, string? param = null) =>
        new(StatusCodes.Status409Conflict, message, ApiErrors.Types.InvalidRequest, code, param);

    public IResult ToResult() => ApiErrors.Result(Status, Message, Type, Code, Param);
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
