using Portal.Server.Admin;

namespace Portal.Server;

/// <summary>Builds and runs the Portal gateway server.</summary>
public static class PortalServer
{
    /// <summary>Runs the command line (<c>serve</c> by default) and returns the process exit code.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        var app = Build(args);
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Builds the gateway web application with every service and endpoint, ready to start.</summary>
    /// <param name="args">Host arguments (<c>--urls</c>, <c>--Portal:...</c> settings).</param>
    /// <param name="configure">Changes the builder (configuration sources, logging, services) before the application is built; used by tests.</param>
    /// <returns>The application; start it with <c>StartAsync</c> or <c>RunAsync</c>.</returns>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapAdminApi();
        return app;
    }
}
