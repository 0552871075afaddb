using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Portal.Server.Auth;
using Portal.Server.Hosting;

namespace Portal.Server.Cors;

/// <summary>
/// CORS for the client API: ASP.NET Core's CORS middleware, with one policy built from <see cref="CorsOptions"/>, on
/// paths under <c>/v1</c> only, and only while client tokens are required.
/// </summary>
/// <remarks>
/// The middleware runs before the token check, because browsers send no <c>Authorization</c> header with a preflight
/// (<c>OPTIONS</c> with <c>Origin</c> and <c>Access-Control-Request-Method</c>): it answers every preflight under
/// <c>/v1</c> with 204, with the allow headers only for an allowed origin. Other requests go on to the token check and
/// the endpoint; their response, errors included, gets <c>Access-Control-Allow-Origin</c> when the origin is allowed,
/// so a page can read a 401 or a 429. Without client tokens the gateway answers only local requests
/// (<see cref="AuthMiddleware"/>), so the middleware is left out and the allowed origins have no effect.
/// </remarks>
internal static class ClientApiCors
{
    /// <summary>The name of the client API's CORS policy.</summary>
    public const string PolicyName = "Portal.ClientApi";

    /// <summary>How long a browser may cache a preflight's answer.</summary>
    public static readonly TimeSpan PreflightMaxAge = TimeSpan.FromMinutes(10);

    /// <summary>The response headers a page may read besides the safelisted ones.</summary>
    /// <remarks><c>Retry-After</c> comes with 429 and 503; <c>X-Request-Id</c> names a chat request's stats row.</remarks>
    public static readonly string[] ExposedHeaders = [HeaderNames.RetryAfter, Client.RelayAnswer.RequestIdHeader];

    private static readonly PathString ClientApiPrefix = "/v1";

    /// <summary>Registers the CORS services and the client API's policy, built from <see cref="CorsOptions"/> when first used.</summary>
    public static IServiceCollection AddClientApiCors(this IServiceCollection services)
    {
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<CorsOptions>>((cors, options) => cors.AddPolicy(PolicyName, CreatePolicy(options.Value)));
        services.TryAddSingleton<ClientApiCorsGate>();
        services.AddHostedService(sp => sp.GetRequiredService<ClientApiCorsGate>());
        return services;
    }

    /// <summary>Adds the CORS middleware for browser requests to the client API; it must come before the token check.</summary>
    public static IApplicationBuilder UseClientApiCors(this IApplicationBuilder app) =>
        app.UseWhen(Applies, branch => branch.UseCors(PolicyName));

    /// <summary>The client API's policy: the allowed origins, GET and POST, any request header, no credentials.</summary>
    internal static CorsPolicy CreatePolicy(CorsOptions options)
    {
        // Any request header: the OpenAI SDKs send their own (x-stainless-*) besides Authorization and Content-Type; the
        // preflight's requested headers are echoed, since "*" would not cover Authorization. No credentials: clients send
        // bearer tokens, never cookies.
        var policy = new CorsPolicyBuilder()
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            .AllowAnyHeader()
            .WithExposedHeaders(ExposedHeaders)
            .SetPreflightMaxAge(PreflightMaxAge);
        if (options.AllowedOrigins.Contains(CorsOptions.AnyOrigin))
        {
            policy.AllowAnyOrigin();
        }
        else
        {
            policy.WithOrigins([.. options.AllowedOrigins.Select(o => CorsOptions.TryNormalize(o, out var origin) ? origin : o)]);
        }

        return policy.Build();
    }

    // Cheap checks first: most requests carry no Origin header.
    private static bool Applies(HttpContext context) =>
        context.Request.Headers.ContainsKey(HeaderNames.Origin)
        && context.Request.Path.StartsWithSegments(ClientApiPrefix, StringComparison.OrdinalIgnoreCase)
        && !AdminPaths.IsAdmin(context.Request.Path.Value)
        && context.RequestServices.GetRequiredService<ClientApiCorsGate>().Enabled;
}

/// <summary>Whether the client API serves browsers of other origins; says so at start.</summary>
internal sealed class ClientApiCorsGate(IOptions<CorsOptions> options, TokenAuthenticator auth, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly IList<string> _origins = options.Value.AllowedOrigins;

    /// <summary>Whether some origins are allowed and client tokens are required.</summary>
    public bool Enabled { get; } = options.Value.AllowedOrigins.Count > 0 && auth.ClientTokenRequired;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger(ServerLog.Category);
        if (Enabled)
        {
            ServerLog.BrowsersAllowed(logger, string.Join(", ", _origins));
        }
        else if (_origins.Count > 0)
        {
            ServerLog.CorsWithoutClientTokens(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
