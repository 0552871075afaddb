using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Portal.Contracts;

namespace Portal.Server.Errors;

/// <summary>Error responses in the OpenAI shape, <c>{"error":{"message","type","param","code"}}</c>, for every route.</summary>
internal static class ApiErrors
{
    // Error bodies are application/json, never HTML: quotes and non-ASCII text stay readable instead of \u0027 escapes.
    private static readonly JsonTypeInfo<ErrorResponse> ErrorJson = new PortalJsonContext(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    }).ErrorResponse;

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

    /// <summary>An error result for a minimal API handler, in the shape the request's protocol expects (<see cref="WriteAsync(HttpContext, int, string, string, string?, string?)"/>).</summary>
    public static IResult Result(int status, string message, string type, string? code = null, string? param = null) =>
        new ErrorResult(status, message, type, code, param);

    /// <summary>Writes an error response directly (middleware); the response must not have started.</summary>
    /// <remarks>
    /// Requests of Anthropic's clients (<see cref="AnthropicShape.Applies"/>) get Anthropic's shape,
    /// <c>{"type":"error","error":{"type","message"}}</c>, with the error type that goes with the status; all others get
    /// OpenAI's.
    /// </remarks>
    public static Task WriteAsync(HttpContext context, int status, string message, string type, string? code = null, string? param = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (AnthropicShape.Applies(context))
        {
            return context.Response.Body.WriteAsync(AnthropicShape.Body(status, message), context.RequestAborted).AsTask();
        }

        return JsonSerializer.SerializeAsync(context.Response.Body, Body(message, type, code, param), ErrorJson, context.RequestAborted);
    }

    /// <summary>Writes the response for a request the gateway could not serve; the response must not have started.</summary>
    public static Task WriteAsync(HttpContext context, PortalException exception)
    {
        var error = ApiError.From(exception);
        if (error.RetryAfter is { } wait)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds(wait);
        }

        return WriteAsync(context, error.Status, exception.Message, error.Type, error.Code);
    }

    /// <summary>The error body.</summary>
    public static ErrorResponse Body(string message, string type, string? code = null, string? param = null) => new()
    {
        Error = new ErrorDetail
        {
            Message = ClientText.Cut(message, ClientText.MaxMessage),
            Type = type,
            Param = param,
            Code = code is null ? null : JsonSerializer.SerializeToElement(code, PortalJsonContext.Default.String),
        },
    };

    /// <summary>The error body as UTF-8 JSON, for an error event at the end of a stream.</summary>
    public static byte[] BodyBytes(PortalException exception)
    {
        var error = ApiError.From(exception);
        return JsonSerializer.SerializeToUtf8Bytes(Body(exception.Message, error.Type, error.Code), ErrorJson);
    }

    /// <summary>A <c>Retry-After</c> value: whole seconds, rounded up.</summary>
    public static string RetryAfterSeconds(TimeSpan wait) =>
        ((long)Math.Ceiling(Math.Max(0, wait.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
}

/// <summary>How a <see cref="PortalException"/> is answered: status, error type and code.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Type">The error's <c>type</c>.</param>
/// <param name="Code">The error's <c>code</c>.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> to send, when known.</param>
internal readonly record struct ApiError(int Status, string Type, string Code, TimeSpan? RetryAfter)
{
    /// <summary>Maps an engine error to its HTTP answer.</summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Invalid request: 400, or the upstream's own 4xx when the upstream rejected the request (except 401, 403, 404
    /// and 429, which speak of the gateway's key or model, not of the client's request).</item>
    /// <item>Every candidate rate limited upstream (status 429): 429 with <c>Retry-After</c> when known.</item>
    /// <item>Unknown model 404, no usable channel 503, upstream failure 502, timeout 504, shutting down 503.</item>
    /// </list>
    /// </remarks>
    public static ApiError From(PortalException exception) => exception.Code switch
    {
        PortalErrorCode.InvalidRequest => new(
            exception.StatusCode is >= 400 and < 500 and not (401 or 403 or 404 or 429) ? exception.StatusCode.Value : StatusCodes.Status400BadRequest,
            ApiErrors.Types.InvalidRequest, "invalid_request", null),
        PortalErrorCode.ModelNotFound => new(StatusCodes.Status404NotFound, ApiErrors.Types.InvalidRequest, "model_not_found", null),
        PortalErrorCode.NoAvailableChannel or PortalErrorCode.UpstreamFailed when exception.StatusCode == 429 =>
            new(StatusCodes.Status429TooManyRequests, ApiErrors.Types.RateLimit, "rate_limit_exceeded", exception.RetryAfter),
        PortalErrorCode.NoAvailableChannel => new(StatusCodes.Status503ServiceUnavailable, ApiErrors.Types.Unavailable, "no_available_channel", exception.RetryAfter),
        PortalErrorCode.UpstreamFailed => new(StatusCodes.Status502BadGateway, ApiErrors.Types.Upstream, "upstream_failed", null),
        PortalErrorCode.Timeout => new(StatusCodes.Status504GatewayTimeout, ApiErrors.Types.Timeout, "timeout", null),
        PortalErrorCode.ShuttingDown => new(StatusCodes.Status503ServiceUnavailable, ApiErrors.Types.Unavailable, "shutting_down", null),
        _ => new(StatusCodes.Status500InternalServerError, ApiErrors.Types.Server, "internal_error", null),
    };
}

/// <summary>An error answered by <see cref="ApiErrors.WriteAsync(HttpContext, int, string, string, string?, string?)"/> when a minimal API handler's result executes.</summary>
internal sealed record ErrorResult(int Status, string Message, string Type, string? Code, string? Param) : IResult, IStatusCodeHttpResult
{
    int? IStatusCodeHttpResult.StatusCode => Status;

    public Task ExecuteAsync(HttpContext httpContext) => ApiErrors.WriteAsync(httpContext, Status, Message, Type, Code, Param);
}
