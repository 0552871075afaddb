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
    private readonly HttpMessageInvoker? _owned;
    private readonly IHttpClientFactory? _factory;

    public UpstreamHttp(PortalSetup setup)
    {
        var options = setup.Options;
        if (options.HttpClientFactory is { } factory && options.HttpMessageHandler is null)
        {
            _factory = factory;
            return;
        }

        // An invoker, not an HttpClient: the gateway enforces its own deadlines, reads responses as they come and sets
        // every header itself, so HttpClient's timeout source, buffering and defaults would be a cost with no use.
        _owned = options.HttpMessageHandler is { } handler
            ? new HttpMessageInvoker(handler, disposeHandler: false)
            : new HttpMessageInvoker(CreateDefaultHandler(options), disposeHandler: true);
    }

    /// <summary>Sends one upstream call; the response is back once its headers are (its content is read as it comes).</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        _owned is { } invoker
            ? invoker.SendAsync(request, cancellationToken)
            : _factory!.CreateClient(PortalOptions.HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

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
