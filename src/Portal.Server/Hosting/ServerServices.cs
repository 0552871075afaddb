using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Portal.Diagnostics;
using Portal.Health;
using Portal.Server.Auth;
using Portal.Server.Cors;
using Portal.Server.Operations;
using Portal.Stats;
using Portal.Storage;
using Portal.Storage.Internal;

namespace Portal.Server.Hosting;

/// <summary>Registers everything the server needs.</summary>
internal static class ServerServices
{
    /// <summary>
    /// Time the host gives the gateway's stop beyond <c>Portal:Shutdown:Timeout</c>: writing queued stats and health
    /// (the engine tries for up to 10 s) and stopping the web server.
    /// </summary>
    public static readonly TimeSpan StopMargin = TimeSpan.FromSeconds(15);

    /// <summary>The section the engine's <see cref="GatewayOptions"/> are bound from.</summary>
    public const string GatewaySection = "Portal:Gateway";

    /// <summary>The section the engine's <see cref="BackoffOptions"/> (health) are bound from.</summary>
    public const string HealthSection = "Portal:Health";

    /// <summary>The section the engine's <see cref="StatsOptions"/> are bound from.</summary>
    public const string StatsSection = "Portal:Stats";

    public static void AddPortalServer(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;

        if (!ListenAddresses.AnyConfigured(configuration))
        {
            builder.WebHost.UseUrls(ListenAddresses.Default);
        }

        // https endpoints in Kestrel:Endpoints need this with the slim builder.
        builder.WebHost.UseKestrelHttpsConfiguration();

        // The slim builder forces the simple console formatter; honour Logging:Console:FormatterName (json, systemd).
        services.PostConfigure<ConsoleLoggerOptions>(o =>
        {
            if (configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter)
            {
                o.FormatterName = formatter;
            }
        });

        // The console logger's lines written in batches, not each with a thread switch and a system call of its own.
        BatchedConsoleLoggerProvider.ReplaceConsoleLogger(services);

        // The timestamp format ends with a space to separate it from the level in simple lines; JSON needs no separator.
        services.PostConfigure<JsonConsoleFormatterOptions>(o => o.TimestampFormat = o.TimestampFormat?.TrimEnd());

        // Kestrel's bad-request records quote the request's headers, client token included: never below Information.
        services.PostConfigure<LoggerFilterOptions>(BadRequestLogFloor.Apply);

        services.TryAddSingleton(TimeProvider.System);
        services.AddPortalSettings();

        services.AddOptions<KestrelServerOptions>().Configure<IOptions<LimitsOptions>>((kestrel, limits) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = limits.Value.MaxRequestBodyBytes;
        });
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, shutdown) =>
        {
            var needed = shutdown.Value.Timeout + StopMargin;
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        services.AddPortalStorage();
        services.AddPortal(CreateGatewayOptions);

        services.TryAddSingleton<TokenAuthenticator>();
        services.TryAddSingleton(StoragePing.For);
        services.TryAddSingleton<ReadinessProbe>();
        services.AddClientApiCors();

        // Lifecycle services: the guard checks listen addresses before the server binds; the drain runs before it stops.
        services.AddHostedService<ListenGuard>();
        services.AddHostedService<GatewayDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ReadinessProbe>());

        services.AddOpenApi();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(PortalTelemetry.Name)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddView(FrameworkMetricLimit)
            .AddPrometheusExporter());
    }

    /// <summary>
    /// Every <c>Portal:*</c> setting the server reads, one line each: bound, validated at start, and known to
    /// <see cref="SettingsCheck"/>, which fails on a key no options class has. A new section is one more AddSettings line.
    /// </summary>
    /// <remarks>The command line's maintenance commands check their settings against the same list.</remarks>
    public static IServiceCollection AddPortalSettings(this IServiceCollection services)
    {
        AddSettings<AuthOptions>(services, AuthOptions.SectionName, o => o.Validate());

        // The engine's own settings types, validated by the engine's validators (which PortalGateway.Create runs too),
        // with messages that name the server's keys.
        AddSettings(services, GatewaySection, new GatewayOptionsValidator(GatewaySection + ":"));
        AddSettings(services, HealthSection, new BackoffOptionsValidator(HealthSection + ":"));
        AddSettings(services, StatsSection, new StatsOptionsValidator(StatsSection + ":"));
        AddSettings<LimitsOptions>(services, LimitsOptions.SectionName, o => o.Validate());
        AddSettings<ShutdownOptions>(services, ShutdownOptions.SectionName, o => o.Validate());
        AddSettings<ReadinessOptions>(services, ReadinessOptions.SectionName, o => o.Validate());
        AddSettings<CorsOptions>(services, CorsOptions.SectionName, o => o.Validate());

        // Bound and validated by AddPortalStorage; declared so their keys are known.
        services.AddSingleton(new SettingsSection(StorageOptions.SectionName, typeof(StorageOptions)));
        services.AddSingleton(new SettingsSection(StorageServiceCollectionExtensions.ConfigFileSetting, typeof(string)));
        return services;
    }

    /// <summary>Most tag combinations the ASP.NET Core and runtime instruments keep each.</summary>
    /// <remarks>
    /// OpenTelemetry allocates every metric's data points up front, 2,000 by default: about 175 KB per metric, 7 MB
    /// for the forty or so the server exports, most of it for instruments whose tags take a few dozen values (routes x
    /// methods x status codes, GC generations). The Portal meter keeps the default: its tags include model and
    /// platform names, which the operator controls. Combinations beyond the limit are summed into one overflow point
    /// (<c>otel_metric_overflow="true"</c>), not lost.
    /// </remarks>
    internal const int FrameworkCardinalityLimit = 200;

    internal static MetricStreamConfiguration? FrameworkMetricLimit(Instrument instrument) =>
        instrument.Meter.Name == PortalTelemetry.Name ? null : new MetricStreamConfiguration { CardinalityLimit = FrameworkCardinalityLimit };

    /// <summary>The engine's options: its services, and its settings as bound and validated from their sections.</summary>
    private static PortalOptions CreateGatewayOptions(IServiceProvider services) => new()
    {
        Repository = services.GetRequiredService<IPortalRepository>(),
        TimeProvider = services.GetRequiredService<TimeProvider>(),
        ShutdownTimeout = services.GetRequiredService<IOptions<ShutdownOptions>>().Value.Timeout,
        Gateway = services.GetRequiredService<IOptions<GatewayOptions>>().Value,
        Backoff = services.GetRequiredService<IOptions<BackoffOptions>>().Value,
        Stats = services.GetRequiredService<IOptions<StatsOptions>>().Value,
    };

    private static void AddSettings<TOptions>(IServiceCollection services, string section, Func<TOptions, IEnumerable<string>> validate)
        where TOptions : class =>
        AddSettings(services, section, new OptionsValidator<TOptions>(validate));

    private static void AddSettings<TOptions>(IServiceCollection services, string section, IValidateOptions<TOptions> validator)
        where TOptions : class
    {
        // Bound as AddPortalStorage binds its section (durations also as 30s, 5m); unknown keys are SettingsCheck's.
        services.AddOptions<TOptions>()
            .Configure<IConfiguration>((o, configuration) => SettingsBinding.Bind(configuration.GetSection(section), o))
            .ValidateOnStart();
        services.AddSingleton(validator);
        services.AddSingleton(new SettingsSection(section, typeof(TOptions)));
    }
}
