// A bare YARP proxy: the baseline target of the load harness (bench/load/run.sh), which runs it next to the gateway
// and reports the gateway's CPU per request against this one's.
//
//   YarpBaseline --urls http://127.0.0.1:8081 --Upstream http://127.0.0.1:8080 [--Mode routes|forwarder]
//
// Mode routes (the default): one catch-all route to a cluster of one destination, YARP's usual setup
// (AddReverseProxy().LoadFromMemory + MapReverseProxy). Mode forwarder: IHttpForwarder called from one endpoint,
// without routes, clusters or the proxy pipeline. Paths and bodies go to the upstream as they are.
//
// Hosted like the gateway where it costs CPU: the slim builder, configuration not reloaded on change (the gateway's
// reason: no file watching), no Server header, and the gateway's shipped log settings (appsettings.json next to the
// program).
using System.Diagnostics;
using System.Net;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

// The content root is the program's folder, so its appsettings.json applies whatever the working directory.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    Args = ["--hostBuilder:reloadConfigOnChange=false", .. args],
    ContentRootPath = AppContext.BaseDirectory,
});
var upstream = builder.Configuration["Upstream"] is { Length: > 0 } u
    ? u.TrimEnd('/')
    : throw new InvalidOperationException("Set the upstream: --Upstream http://host:port");
var mode = builder.Configuration["Mode"] ?? "routes";
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

switch (mode)
{
    case "routes":
        builder.Services.AddReverseProxy().LoadFromMemory(
            [new RouteConfig { RouteId = "all", ClusterId = "upstream", Match = new RouteMatch { Path = "{**catch-all}" } }],
            [new ClusterConfig { ClusterId = "upstream", Destinations = new Dictionary<string, DestinationConfig> { ["nginx"] = new() { Address = upstream } } }]);
        break;
    case "forwarder":
        builder.Services.AddHttpForwarder();
        break;
    default:
        throw new InvalidOperationException($"--Mode is routes or forwarder, not {mode}");
}

var app = builder.Build();
if (mode == "routes")
{
    app.MapReverseProxy();
}
else
{
    // The client YARP's own factory builds for a cluster (ForwarderHttpClientFactory), with its defaults.
    var client = new HttpMessageInvoker(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        EnableMultipleHttp2Connections = true,
        ActivityHeadersPropagator = new ReverseProxyPropagator(DistributedContextPropagator.Current),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    });
    var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
    app.Map("/{**catch-all}", async context =>
    {
        var error = await forwarder.SendAsync(context, upstream, client, ForwarderRequestConfig.Empty, HttpTransformer.Default);
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
        }
    });
}

app.Run();
