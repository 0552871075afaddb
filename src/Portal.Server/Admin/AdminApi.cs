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
