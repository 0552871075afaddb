using System.Data.Common;
using Portal.Contracts;
using Portal.Server.Admin.Health;
using Portal.Server.Admin.Keys;
using Portal.Server.Admin.Models;
using Portal.Server.Admin.Platforms;
using Portal.Server.Admin.Shared;
using Portal.Server.Admin.Stats;

namespace Portal.Server.Admin;

/// <summary>The admin API under <c>/admin</c>: platforms, models, keys, health and stats, one folder each; what they share is in <c>Shared/</c>.</summary>
internal static class AdminApi
{
    /// <summary>Maps every admin route. Authentication is applied by the server for every path under <c>/admin</c>.</summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin")
            .WithTags("Admin")
            .WithMetadata(AdminOnlyMetadata.Instance)
            .AddEndpointFilter(HandleErrorsAsync);

        admin.MapPlatforms();
        admin.MapModels();
        admin.MapApiKeys();
        admin.MapHealth();
        admin.MapStats();
        return endpoints;
    }

    /// <summary>Declares the OpenAI-shaped error responses an endpoint returns, for the OpenAPI document.</summary>
    public static RouteHandlerBuilder ProducesAdminErrors(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses)
        {
            builder.Produces<ErrorResponse>(status, "application/json");
        }

        return builder.Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable, "application/json");
    }

    /// <summary>Turns <see cref="AdminException"/> into its error response, and a database failure into a 503.</summary>
    private static async ValueTask<object?> HandleErrorsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (AdminException ex)
        {
            return ex.Error.ToResult();
        }
        catch (Exception ex) when (IsStorageFailure(ex) && !context.HttpContext.RequestAborted.IsCancellationRequested)
        {
            var request = context.HttpContext.Request;
            AdminLog.StorageUnavailable(AdminLog.Get(context.HttpContext), ex, request.Method, request.Path);
            return AdminError.StorageUnavailable().ToResult();
        }
    }

    private static bool IsStorageFailure(Exception ex) =>
        ex is DbException || ex.InnerException is DbException || ex is TimeoutException;
}

/// <summary>Endpoint metadata: only the admin token may call this endpoint (checked besides the <c>/admin</c> path prefix).</summary>
internal sealed class AdminOnlyMetadata
{
    public static readonly AdminOnlyMetadata Instance = new();
}
