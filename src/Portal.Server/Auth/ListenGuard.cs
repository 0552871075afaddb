using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Portal.Server.Hosting;
using Portal.Storage;

namespace Portal.Server.Auth;

/// <summary>
/// Refuses to start when the client API needs no token (no <c>Portal:Auth:ClientTokens</c>) but the server would listen
/// on anything but loopback; reports how the server is exposed once it listens.
/// </summary>
/// <remarks>
/// The configured addresses (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>/<c>HTTPS_PORTS</c>,
/// <c>Kestrel:Endpoints:*:Url</c>) are checked by <see cref="CheckConfigured"/> when the server is built, before the host
/// starts (starting it opens storage); the addresses actually bound are checked again once the server listens, which
/// catches endpoints configured in code.
/// </remarks>
internal sealed class ListenGuard(
    TokenAuthenticator auth,
    IServer server,
    IServiceProvider services,
    ILoggerFactory loggerFactory) : IHostedLifecycleService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(ServerLog.Category);

    /// <summary>Refuses the configured addresses beyond loopback while the client API needs no token.</summary>
    /// <exception cref="InvalidOperationException">An address is refused; the message says why and what to do.</exception>
    public static void CheckConfigured(IConfiguration configuration, TokenAuthenticator auth)
    {
        if (!auth.ClientTokenRequired)
        {
            Check(ListenAddresses.Configured(configuration).ToList());
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        var bound = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        if (!auth.ClientTokenRequired)
        {
            Check([.. bound.Select(a => (a, "the addresses the server bound"))]);
            ServerLog.ClientApiOpen(_logger);
        }

        switch (auth.AdminAccess)
        {
            case AdminAccess.Open:
                ServerLog.AdminApiOpen(_logger);
                break;
            case AdminAccess.Disabled:
                ServerLog.AdminApiDisabled(_logger);
                break;
        }

        var provider = services.GetService<IPortalRepository>() is EfPortalRepository repository ? repository.Provider : "in-memory";
        ServerLog.Listening(_logger, string.Join(", ", bound), provider,
            auth.ClientTokenRequired ? "requires a client token" : "open (loopback only)",
            auth.AdminAccess switch { AdminAccess.Token => "requires the admin token", AdminAccess.Open => "open (loopback only)", _ => "disabled" });
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static void Check(IReadOnlyList<(string Address, string Source)> addresses)
    {
        foreach (var (address, source) in addresses)
        {
            if (!ListenAddresses.IsLoopback(address))
            {
                throw new InvalidOperationException($"Refusing to start: Portal:Auth:ClientTokens is empty, so the client API would need no token, but '{address}' (from {source}) "
                    + "listens beyond loopback. Set Portal:Auth:ClientTokens (environment variable Portal__Auth__ClientTokens__0=<token>) to require a token, "
                    + "or listen on loopback only (--urls http://127.0.0.1:8080).");
            }
        }
    }
}

/// <summary>The listen addresses a configuration asks for, and whether an address is loopback only.</summary>
internal static class ListenAddresses
{
    /// <summary>Where the server listens when nothing is configured.</summary>
    public const string Default = "http://127.0.0.1:8080";

    /// <summary>Whether any listen address is configured (otherwise <see cref="Default"/> is used).</summary>
    public static bool AnyConfigured(IConfiguration configuration) => Configured(configuration).Any();

    /// <summary>Every configured listen address, with where it comes from.</summary>
    public static IEnumerable<(string Address, string Source)> Configured(IConfiguration configuration)
    {
        foreach (var url in Split(configuration["urls"]))
        {
            yield return (url, "--urls or ASPNETCORE_URLS");
        }

        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https") })
        {
            foreach (var port in Split(configuration[key]))
            {
                // Kestrel listens on every interface for these.
                yield return ($"{scheme}://*:{port}", $"ASPNETCORE_{key.ToUpperInvariant()}");
            }
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                yield return (url, $"Kestrel:Endpoints:{endpoint.Key}:Url");
            }
        }
    }

    /// <summary>Whether an address reaches only this machine: a loopback IP, <c>localhost</c>, a Unix socket or a named pipe.</summary>
    public static bool IsLoopback(string address)
    {
        BindingAddress binding;
        try
        {
            binding = BindingAddress.Parse(address);
        }
        catch (FormatException)
        {
            return false;
        }

        if (binding.IsUnixPipe || binding.IsNamedPipe)
        {
            return true;
        }

        // "*", "+", "0.0.0.0", "[::]" and host names other than localhost all make Kestrel listen on every interface.
        return IsLoopbackHost(binding.Host);
    }

    /// <summary>Whether a host is <c>localhost</c> or a loopback IP (IPv6 with or without brackets).</summary>
    public static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static string[] Split(string? value) =>
        string.IsNullOrWhiteSpace(value) ? [] : value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
