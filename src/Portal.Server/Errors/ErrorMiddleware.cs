using Portal.Server.Hosting;

namespace Portal.Server.Errors;

/// <summary>
/// Turns what no endpoint answered into OpenAI-shaped errors: an unhandled exception into a 500 that reveals nothing,
/// a bad request Kestrel rejected into its status, and a bodiless 404 or 405 from routing into an error body.
/// </summary>
internal sealed class ErrorMiddleware(RequestDelegate next, ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(ServerLog.Category);

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left; nobody is listening for an answer.
            context.Features.Get<RequestLogFeature>()?.Status = RequestLoggingMiddleware.ClientClosedRequest;
            return;
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            context.Response.Clear();
            await ApiErrors.WriteAsync(context, ex.StatusCode,
                ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request is malformed.",
                ApiErrors.Types.InvalidRequest, ex.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request_too_large" : "bad_request");
            return;
        }
        catch (Exception ex)
        {
            ServerLog.Unhandled(_logger, context.Request.Method, context.Request.Path.Value ?? "/", ex);
            if (context.Response.HasStarted)
            {
                // Too late for a status: cut the response so the client sees it incomplete rather than truncated silently.
                context.Abort();
                return;
            }

            context.Response.Clear();
            await ApiErrors.WriteAsync(context, StatusCodes.Status500InternalServerError,
                "The server failed to handle the request.", ApiErrors.Types.Server, "internal_error");
            return;
        }

        var response = context.Response;
        if (response.HasStarted || response.ContentLength is not null || response.ContentType is not null)
        {
            return;
        }

        if (response.StatusCode == StatusCodes.Status404NotFound)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status404NotFound,
                $"No route matches {ClientText.Echo(context.Request.Method)} {ClientText.Echo(context.Request.Path.Value)}.", ApiErrors.Types.NotFound, "not_found");
        }
        else if (response.StatusCode == StatusCodes.Status405MethodNotAllowed)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
                $"{ClientText.Echo(context.Request.Method)} is not allowed on {ClientText.Echo(context.Request.Path.Value)}.", ApiErrors.Types.InvalidRequest, "method_not_allowed");
        }
        else if (response.StatusCode == StatusCodes.Status415UnsupportedMediaType)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType,
                $"The content type '{ClientText.Echo(context.Request.ContentType)}' is not supported here.", ApiErrors.Types.InvalidRequest, "unsupported_media_type");
        }
    }
}
