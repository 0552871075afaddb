namespace Portal.Server.Admin;

/// <summary>The admin API under <c>/admin</c>: platforms, models, keys, health and stats.</summary>
internal static class AdminApi
{
    /// <summary>Maps every admin route. Authentication is applied by the server for every path under <c>/admin</c>.</summary>
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        return endpoints;
    }
}

/// <summary>Endpoint metadata: only the admin token may call this endpoint (checked besides the <c>/admin</c> path prefix).</summary>
internal sealed class AdminOnlyMetadata
{
    public static readonly AdminOnlyMetadata Instance = new();
}
