using System.Text.Json;
using Portal.Contracts;

namespace Portal.Server.Errors;

/// <summary>Error responses in the OpenAI shape, <c>{"error":{"message","type","param","code"}}</c>, for every route.</summary>
internal static class ApiErrors
{
    /// <summary>The <c>type</c> values Portal uses.</summary>
    public static class Types
    {
        public const string InvalidRequest = "invalid_request_error";
        public const string Authentication = "authentication_error";
        public const string Permission = "permission_error";
        public const string NotFound = "not_found_error";
        public const string RateLimit = "rate_limit_error";
        public const string Upstream = "upstream_error";
        public const string Unavailable = "service_unavailable_error";
        public const string Timeout = "timeout_error";
        public const string Server = "server_error";
    }

    /// <summary>An error result for a minimal API handler.</summary>
    public static IResult Result(int status, string message, string type, string? code = null, string? param = null) =>
        Results.Json(Body(message, type, code, param), PortalJsonContext.Default.ErrorResponse, statusCode: status);

    /// <summary>Writes an error response directly (middleware); the response must not have started.</summary>
    public static Task WriteAsync(HttpContext context, int status, string message, string type, string? code = null, string? param = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, Body(message, type, code, param), PortalJsonContext.Default.ErrorResponse, context.RequestAborted);
    }

    /// <summary>The error body.</summary>
    public static ErrorResponse Body(string message, string type, string? code = null, string? param = null) => new()
    {
        Error = new ErrorDetail
        {
            Message = message,
            Type = type,
            Param = param,
            Code = code is null ? null : JsonSerializer.SerializeToElement(code, PortalJsonContext.Default.String),
        },
    };
}
