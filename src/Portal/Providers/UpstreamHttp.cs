using Portal.DependencyInjection;

namespace Portal.Providers;

/// <summary>The HTTP client upstream calls go through: the options' factory client, or one the gateway owns.</summary>
/// <remarks>
/// The container's <see cref="IHttpClientFactory"/> is not picked up implicitly: its default logging writes the raw
/// <c>Authorization</c> header into structured log state at Trace level. Users opt in through
/// <see cref="PortalOptions.HttpClientFactory"/>.
/// </remarks>
internal sealed class UpstreamHttp : IDisposable
{
    private readonly HttpClient? _owned;
    private readonly IHttpClientFactory? _factory;

    public UpstreamHttp(PortalSetup setup)
    {
        var options = setup.Options;
        if (options.HttpClientFactory is { } factory && options.HttpMessageHandler is null)
        {
            _factory = factory;
            return;
        }

        _owned = options.HttpMessageHandler is { } handler
            ? new HttpClient(handler, disposeHandler: false)
            : new HttpClient(CreateDefaultHandler(options), disposeHandler: true);
        _owned.Timeout = Timeout.InfiniteTimeSpan; // The gateway enforces its own deadlines.
    }

    /// <summary>The client for one upstream call.</summary>
    public HttpClient Client => _owned ?? _factory!.CreateClient(PortalOptions.HttpClientName);

    public void Dispose() => _owned?.Dispose();

    private static SocketsHttpHandler CreateDefaultHandler(PortalOptions options) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5), // Re-resolve DNS now and then.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
        ConnectTimeout = options.ConnectTimeout,
        AutomaticDecompression = System.Net.DecompressionMethods.All,
        EnableMultipleHttp2Connections = true,
        UseCookies = false,
        AllowAutoRedirect = false,

        // A cancelled or abandoned stream must close its connection at once so the upstream stops generating;
        // draining the rest of the response to reuse the connection would keep it going for seconds.
        MaxResponseDrainSize = 0,

        // Upstreams are third parties: the caller's trace context and baggage (ASP.NET Core makes them the current
        // activity's) are not theirs to see. Without a propagator HttpClient also skips its tracing stage, which cost
        // about 3% of the server's CPU per request (an activity, tags and headers per upstream call).
        ActivityHeadersPropagator = null,
    };
}
