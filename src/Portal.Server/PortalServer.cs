using Microsoft.Extensions.Configuration.Json;
using Portal.Server.Auth;
using Portal.Server.Cli;
using Portal.Server.Hosting;

namespace Portal.Server;

/// <summary>Builds and runs the Portal gateway server.</summary>
public static class PortalServer
{
    /// <summary>Runs the command line (<c>serve</c> by default) and returns the process exit code.</summary>
    /// <param name="args">The command-line arguments.</param>
    /// <returns>The exit code: 0 on success (a server stopped by SIGTERM or Ctrl+C included), 1 on failure.</returns>
    public static Task<int> RunAsync(string[] args) => PortalCli.RunAsync(args, Console.Out, Console.Error);

    /// <summary>Builds the gateway web application with every service and endpoint, ready to start.</summary>
    /// <param name="args">Host arguments (<c>--urls</c>, <c>--Portal:...</c> settings).</param>
    /// <param name="configure">Changes the builder (configuration sources, logging, services) before the server registers its own; used by tests.</param>
    /// <returns>The application; start it with <c>StartAsync</c> or <c>RunAsync</c>.</returns>
    /// <exception cref="InvalidOperationException">
    /// A <c>Portal:*</c> setting is unknown or its value does not convert (the message has one line per problem, naming the
    /// setting), or the server would listen beyond loopback without client tokens.
    /// </exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A <c>Portal:Auth</c> setting is invalid.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings are read at start. Reloading appsettings.json on change would watch the working folder and every
        // folder below it, where SQLite writes its database: a file event per stats batch, and CPU with it.
        var builder = WebApplication.CreateSlimBuilder(["--hostBuilder:reloadConfigOnChange=false", .. args]);
        AddDefaultSettings(builder.Configuration);
        configure?.Invoke(builder);
        builder.AddPortalServer();

        // Before anything is built or started: a misspelt setting is one message, and nothing has been opened.
        SettingsCheck.ThrowIfInvalid(builder.Configuration, builder.Services);
        var app = builder.Build();
        try
        {
            // Also before the start, which opens storage: a refused address is one message, and no database was touched.
            ListenGuard.CheckConfigured(app.Configuration, app.Services.GetRequiredService<TokenAuthenticator>());
        }
        catch
        {
            ((IDisposable)app).Dispose();
            throw;
        }

        app.UsePortalServer();
        return app;
    }

    /// <summary>
    /// Puts the appsettings.json shipped next to the program below every other source, so its defaults (log levels,
    /// console format) apply whatever the working directory; an appsettings.json in the working directory, environment
    /// variables and arguments override it.
    /// </summary>
    internal static void AddDefaultSettings(IConfigurationBuilder configuration)
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        if (File.Exists(shipped))
        {
            var source = new JsonConfigurationSource { Path = shipped, Optional = true, ReloadOnChange = false };
            source.ResolveFileProvider();
            configuration.Sources.Insert(0, source);
        }
    }
}
