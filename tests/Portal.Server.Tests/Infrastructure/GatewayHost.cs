using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Server;

namespace Portal.Server.Tests.Infrastructure;

/// <summary>What a <see cref="GatewayHost"/> starts with.</summary>
public sealed class GatewayHostOptions
{
    /// <summary>The portal.json written to the host's folder and imported at start (JSON with comments allowed).</summary>
    public string PortalJson { get; set; } = """{ "platforms": [] }""";

    /// <summary>Client tokens (<c>Portal:Auth:ClientTokens</c>); none by default (loopback only, no auth).</summary>
    public IList<string> ClientTokens { get; } = [];

    /// <summary>The admin token (<c>Portal:Auth:AdminToken</c>).</summary>
    public string? AdminToken { get; set; }

    /// <summary>More settings, for example <c>["Portal:Shutdown:Timeout"] = "00:00:05"</c>; they win over the ones above.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Changes services before the server registers its own (a registration here wins over the server's TryAdd ones).</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Maps extra endpoints (test-only routes) after the server mapped its own, before it starts.</summary>
    public Action<IEndpointRouteBuilder>? MapEndpoints { get; set; }

    /// <summary>
    /// Filters logs by the configured levels (<c>Logging:LogLevel:*</c> and per-provider levels, for example in
    /// <see cref="Settings"/>) as the server does, instead of capturing every record at every level; for tests of log filtering.
    /// </summary>
    public bool ConfiguredLogFilters { get; set; }
}

/// <summary>
/// The real Portal server on a real Kestrel port (127.0.0.1:0), with its own folder for SQLite and portal.json, and
/// captured logs. It reads no file of the working copy: no portal.json, no appsettings.json.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];
    private int _stopped;

    private GatewayHost(WebApplication app, string directory, string baseUrl)
    {
        _app = app;
        Directory = directory;
        BaseUrl = baseUrl;
        Client = CreateClient();
    }

    /// <summary>The server's address, <c>http://127.0.0.1:port</c> (no trailing slash).</summary>
    public string BaseUrl { get; }

    /// <summary>The temporary folder holding portal.json and the SQLite database; deleted on dispose.</summary>
    public string Directory { get; }

    /// <summary>A client without any token.</summary>
    public HttpClient Client { get; }

    /// <summary>The server's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>Every log record the server wrote, at every level.</summary>
    public FakeLogCollector Logs => _app.Services.GetFakeLogCollector();

    /// <summary>The gateway engine inside the server.</summary>
    public PortalGateway Gateway => _app.Services.GetRequiredService<PortalGateway>();

    /// <summary>Starts a server.</summary>
    public static async Task<GatewayHost> StartAsync(Action<GatewayHostOptions>? configure = null)
    {
        var options = new GatewayHostOptions();
        configure?.Invoke(options);
        var directory = Path.Combine(Path.GetTempPath(), "portal-server-test-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        var configFile = Path.Combine(directory, "portal.json");
        await File.WriteAllTextAsync(configFile, options.PortalJson);

        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Portal:ConfigFile"] = configFile,
            ["Portal:Storage:Provider"] = "sqlite",
            ["Portal:Storage:ConnectionString"] = $"Data Source={Path.Combine(directory, "portal.db")}",
            ["Portal:Auth:AdminToken"] = options.AdminToken,
        };
        for (var i = 0; i < options.ClientTokens.Count; i++)
        {
            settings[$"Portal:Auth:ClientTokens:{i}"] = options.ClientTokens[i];
        }

        foreach (var (key, value) in options.Settings)
        {
            settings[key] = value;
        }

        var app = DeleteOnFailure(directory, () => PortalServer.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            // No appsettings.json: the one next to the test binaries is a copy of src/Portal.Server's, which a user may
            // have given tokens, a database or timeouts. A test starts from the server's defaults and its own settings.
            foreach (var source in builder.Configuration.Sources.OfType<JsonConfigurationSource>().ToList())
            {
                builder.Configuration.Sources.Remove(source);
            }

            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.AddFakeLogging();
            if (!options.ConfiguredLogFilters)
            {
                // Tests see every record, whatever filters the host adds by default.
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
                builder.Services.Configure<LoggerFilterOptions>(o => o.Rules.Clear());
            }

            options.ConfigureServices?.Invoke(builder.Services);
        }));
        options.MapEndpoints?.Invoke(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            TryDelete(directory);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, directory, address.TrimEnd('/'));
    }

    /// <summary>A client that sends <c>Authorization: Bearer {token}</c> when a token is given; disposed with the host.</summary>
    public HttpClient CreateClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>Stops the server as SIGTERM would (drain, flush) and waits for it.</summary>
    public async Task StopAsync(TimeSpan? timeout = null)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            await _app.StopAsync(cts.Token);
        }
    }

    /// <summary>Stops the server and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        try
        {
            await StopAsync();
        }
        finally
        {
            await _app.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            TryDelete(Directory);
        }
    }

    /// <summary>Builds the server, deleting its folder when building fails (settings and listen addresses are checked then).</summary>
    private static WebApplication DeleteOnFailure(string directory, Func<WebApplication> build)
    {
        try
        {
            return build();
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
