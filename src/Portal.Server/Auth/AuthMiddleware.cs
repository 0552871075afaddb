using Microsoft.Net.Http.Headers;
using Portal.Server.Admin;
using Portal.Server.Errors;

namespace Portal.Server.Auth;

/// <summary>Bearer-token checks: by path before routing, and by endpoint metadata after it.</summary>
/// <remarks>
/// Before routing, every path under <c>/admin</c> needs the admin token and every other path except the public ones
/// (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>, <c>/openapi/v1.json</c>) a client or the admin token, so an unknown
/// path tells an unauthenticated caller nothing. After routing, an endpoint carrying <see cref="AdminOnlyMetadata"/> or
/// mapped under <c>/admin</c> needs the admin token whatever path reached it.
/// </remarks>
internal static class AuthMiddleware
{
    /// <summary>The header Anthropic's clients carry their key in.</summary>
    public const string ApiKeyHeader = "x-api-key";

    private static readonly string[] PublicPaths = ["/healthz", "/readyz", "/metrics", "/openapi/v1.json"];

    // Set when the admin check has passed before routing, so it is not repeated after.
    private static readonly object AdminCheckedKey = new();

    // The name of the token a client request authenticated with.
    private static readonly object CallerNameKey = new();

    /// <summary>
    /// Who made a client request: <c>client-N</c> for the N-th client token, <c>admin</c> for the admin token;
    /// <see langword="null"/> when no token is required (loopback-only mode).
    /// </summary>
    public static string? CallerName(HttpContext context) => context.Items.TryGetValue(CallerNameKey, out var name) ? name as string : null;

    /// <summary>The gate before routing.</summary>
    public static Task BeforeRoutingAsync(HttpContext context, RequestDelegate next)
    {
        var auth = context.RequestServices.GetRequiredService<TokenAuthenticator>();
        var path = context.Request.Path.Value;
        if (AdminPaths.IsAdmin(path))
        {
            return AdminAsync(context, auth, next);
        }

        if (IsPublic(path))
        {
            return next(context);
        }

        if (!auth.ClientTokenRequired)
        {
            return IsLocalRequest(context) ? next(context) : CrossOriginAsync(context);
        }

        var caller = Identify(context, auth, out var name);
        if (caller is not (Caller.Client or Caller.Admin))
        {
            return UnauthorizedAsync(context);
        }

        context.Items[CallerNameKey] = name;
        return next(context);
    }

    /// <summary>The gate after routing: admin-only endpoints whatever the path looked like.</summary>
    public static Task AfterRoutingAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Items.ContainsKey(AdminCheckedKey) || context.GetEndpoint() is not { } endpoint)
        {
            return next(context);
        }

        var adminOnly = endpoint.Metadata.GetMetadata<AdminOnlyMetadata>() is not null
            || (endpoint is RouteEndpoint route && AdminPaths.IsAdmin(route.RoutePattern.RawText)); // With or without its leading slash.
        return adminOnly ? AdminAsync(context, context.RequestServices.GetRequiredService<TokenAuthenticator>(), next) : next(context);
    }

    private static Task AdminAsync(HttpContext context, TokenAuthenticator auth, RequestDelegate next)
    {
        switch (auth.AdminAccess)
        {
            case AdminAccess.Disabled:
                return ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden,
                    "The admin API is disabled: set Portal:Auth:AdminToken.", ApiErrors.Types.Permission, "admin_api_disabled");
            case AdminAccess.Open:
                if (!IsLocalRequest(context))
                {
                    return CrossOriginAsync(context);
                }

                context.Items[AdminCheckedKey] = true;
                return next(context);
            default:
                switch (Identify(context, auth))
                {
                    case Caller.Admin:
                        context.Items[AdminCheckedKey] = true;
                        return next(context);
                    case Caller.Client:
                        return ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden,
                            "This endpoint needs the admin token; a client token may not call the admin API.", ApiErrors.Types.Permission, "admin_token_required");
                    default:
                        return UnauthorizedAsync(context);
                }
        }
    }

    private static Caller Identify(HttpContext context, TokenAuthenticator auth) => Identify(context, auth, out _);

    private static Caller Identify(HttpContext context, TokenAuthenticator auth, out string? name)
    {
        name = null;
        var values = context.Request.Headers.Authorization;
        if (values.Count == 0)
        {
            // Anthropic's clients send the key as x-api-key; Authorization wins when both are sent.
            var apiKey = context.Request.Headers[ApiKeyHeader];
            return apiKey.Count switch
            {
                0 => Caller.Anonymous,
                1 => auth.IdentifyToken(apiKey[0], out name),
                _ => Caller.Invalid,
            };
        }

        return values.Count == 1 ? auth.Identify(values[0], out name) : Caller.Invalid;
    }

    private static Task UnauthorizedAsync(HttpContext context)
    {
        // One answer for a missing, malformed or wrong token.
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized,
            "A valid token is required: send Authorization: Bearer <token> (or x-api-key: <token>).", ApiErrors.Types.Authentication, "invalid_api_key");
    }

    private static Task CrossOriginAsync(HttpContext context) =>
        ApiErrors.WriteAsync(context, StatusCodes.Status403Forbidden,
            "Portal runs without client tokens, so it answers only local requests: browser requests from other origins and requests for other host names are refused. Set Portal:Auth:ClientTokens to serve them.",
            ApiErrors.Types.Permission, "non_local_request");

    private static bool IsPublic(string? path)
    {
        foreach (var candidate in PublicPaths)
        {
            if (string.Equals(path, candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Without tokens, only requests addressed to a loopback host name and not sent by a page of another origin are
    /// served: a web page the operator visits must not be able to use the gateway (cross-site requests, DNS rebinding).
    /// </summary>
    private static bool IsLocalRequest(HttpContext context)
    {
        var host = context.Request.Host;
        if (host.HasValue && !IsLoopbackHost(host.Host))
        {
            return false;
        }

        var origin = context.Request.Headers[HeaderNames.Origin];
        if (origin.Count == 0)
        {
            return true;
        }

        return origin.Count == 1 && Uri.TryCreate(origin[0], UriKind.Absolute, out var uri) && IsLoopbackHost(uri.Host);
    }

    // Names under .localhost resolve to loopback (RFC 6761) for a browser; Kestrel would not bind them to loopback, so
    // the listen check does not accept them.
    private static bool IsLoopbackHost(string host) =>
        host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) || ListenAddresses.IsLoopbackHost(host);
}
