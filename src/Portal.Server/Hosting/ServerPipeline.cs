using Portal.Server.Admin;
using Portal.Server.Auth;
using Portal.Server.Client;
using Portal.Server.Cors;
using Portal.Server.Errors;
using Portal.Server.Operations;

namespace Portal.Server.Hosting;

/// <summary>The server's middleware and endpoints.</summary>
internal static class ServerPipeline
{
    public static void UsePortalServer(this WebApplication app)
    {
        // Outermost: one log line per request, whatever answered it.
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseMiddleware<ErrorMiddleware>();

        // Browsers of the allowed origins: preflights carry no token, so CORS comes before the token check.
        app.UseClientApiCors();

        // Tokens are checked by path before routing, so unknown paths tell an unauthenticated caller nothing,
        // and by endpoint metadata after it.
        app.Use(AuthMiddleware.BeforeRoutingAsync);
        app.UseRouting();
        app.Use(AuthMiddleware.AfterRoutingAsync);

        app.MapClientApi();
        app.MapAdminApi();
        app.MapOperationsApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOpenApi();
    }
}
