using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal;
using Portal.Storage;
using Portal.Storage.Configuration;
using Portal.Storage.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Portal's EF Core storage with dependency injection.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>The setting that names the configuration file to import at start (<see cref="StorageOptions.ConfigFile"/>).</summary>
    public const string ConfigFileSetting = "Portal:ConfigFile";

    private const string DefaultConfigFile = "./portal.json";

    /// <summary>
    /// Registers <see cref="EfPortalRepository"/> as a singleton and as the <see cref="IPortalRepository"/>, and its
    /// stores as <see cref="IConfigStore"/>, <see cref="IHealthStore"/> and <see cref="IRequestStatsStore"/>, opened
    /// (database created or migrated, configuration cache loaded) when the host starts.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Settings come from the <c>Portal:Storage</c> configuration section when an <see cref="IConfiguration"/> is
    /// registered (durations as <c>30s</c>, <c>5m</c>, <c>1h</c> or <c>hh:mm:ss</c>: see <see cref="DurationText"/>),
    /// then from <paramref name="configure"/>. The container's <see cref="ILoggerFactory"/> and
    /// <see cref="TimeProvider"/> are used when registered.
    /// </para>
    /// <para>
    /// Resolving the repository before the host has started opens it on the spot (blocking), so the order of
    /// registrations does not matter. An invalid setting, a missing or invalid configuration file (read before the
    /// database opens) or an unreachable database fails the host's start. The
    /// repository is disposed with the container, after the services that use it (dispose the container
    /// asynchronously, as the host does).
    /// </para>
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the settings after they are bound from configuration.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddPortalStorage(this IServiceCollection services, Action<StorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);

        // Bound by hand rather than with BindConfiguration, which requires an IConfiguration in the container.
        var options = services.AddOptions<StorageOptions>()
            .Configure<IServiceProvider>((o, sp) =>
            {
                // Durations also take the short forms (30s, 5m), as everywhere in Portal's settings.
                if (sp.GetService<IConfiguration>() is { } configuration)
                {
                    SettingsBinding.Bind(configuration.GetSection(StorageOptions.SectionName), o);
                    o.ConfigFile = configuration[ConfigFileSetting] ?? o.ConfigFile;
                }
            });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => new StorageOpener(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<StorageOpener>().GetRepository());
        services.TryAddSingleton<IPortalRepository>(sp => sp.GetRequiredService<EfPortalRepository>());
        services.TryAddSingleton(sp => sp.GetRequiredService<EfPortalRepository>().Config);
        services.TryAddSingleton(sp => sp.GetRequiredService<EfPortalRepository>().Health);
        services.TryAddSingleton(sp => sp.GetRequiredService<EfPortalRepository>().Stats);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StorageStartup>());
        return services;
    }

    /// <summary>
    /// Reads the configuration file a <see cref="StorageOptions.ConfigFile"/> setting names, else <c>./portal.json</c> when it
    /// exists; <see langword="null"/> when there is none. A file that is named must exist: a typo must not go unnoticed.
    /// </summary>
    /// <exception cref="FileNotFoundException">The named file does not exist; the message names the setting and the path.</exception>
    /// <exception cref="PortalConfigException">The file is invalid.</exception>
    internal static PortalConfigFile? LoadConfigFile(string? configured)
    {
        if (configured is null)
        {
            return File.Exists(DefaultConfigFile) ? PortalConfigLoader.Load(DefaultConfigFile) : null;
        }

        return File.Exists(configured)
            ? PortalConfigLoader.Load(configured)
            : throw new FileNotFoundException(MissingConfigFile(configured), configured);
    }

    /// <summary>The message for a <c>Portal:ConfigFile</c> that names no file.</summary>
    internal static string MissingConfigFile(string path) => $"{ConfigFileSetting} names {path}, which does not exist";

    /// <summary>Opens the repository once, for whichever comes first: the host's start or a resolution.</summary>
    private sealed class StorageOpener : IAsyncDisposable
    {
        private readonly Lazy<Task<EfPortalRepository>> _open;

        public StorageOpener(StorageOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider) =>
            _open = new(() => OpenAndImportAsync(options, loggerFactory, timeProvider));

        private static async Task<EfPortalRepository> OpenAndImportAsync(StorageOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
        {
            // Read before the database opens: a mistake in the file fails the start before anything is created or migrated.
            var config = LoadConfigFile(options.ConfigFile);
            var repository = await EfPortalRepository.OpenAsync(options, loggerFactory, timeProvider, CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (config is not null)
                {
                    // The import logs its own summary.
                    await repository.ImportConfigAsync(config, CancellationToken.None).ConfigureAwait(false);
                }

                return repository;
            }
            catch
            {
                await repository.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Waits for the repository to be open; a cancelled wait leaves the opening running for the next caller.</summary>
        public Task<EfPortalRepository> OpenAsync(CancellationToken cancellationToken) => _open.Value.WaitAsync(cancellationToken);

        // Reached only when something resolves the repository before the host started it; ASP.NET Core and the generic
        // host have no synchronization context, so blocking here cannot deadlock.
        public EfPortalRepository GetRepository() => _open.Value.GetAwaiter().GetResult();

        public async ValueTask DisposeAsync()
        {
            if (_open.IsValueCreated && _open.Value.IsCompletedSuccessfully)
            {
                await _open.Value.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Opens the repository when the host starts, so configuration and database errors fail the start.</summary>
    private sealed class StorageStartup : IHostedService
    {
        private readonly StorageOpener _opener;

        public StorageStartup(StorageOpener opener) => _opener = opener;

        public Task StartAsync(CancellationToken cancellationToken) => _opener.OpenAsync(cancellationToken);

        // Not disposed here: services that stop later (the gateway flushing stats and health) still need it.
        // The container disposes it after them.
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
