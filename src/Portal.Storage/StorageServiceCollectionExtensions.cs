using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Portal;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Portal's EF Core storage with dependency injection.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>The setting that names the configuration file to import at start (<see cref="StorageOptions.ConfigFile"/>).</summary>
    public const string ConfigFileSetting = "Portal:ConfigFile";

    private const string DefaultConfigFile = "./portal.json";

    /// <summary>
    /// Registers <see cref="EfPortalRepository"/> as a singleton and as the <see cref="IPortalRepository"/>, opened
    /// (database created or migrated, configuration cache loaded) when the host starts.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Settings come from the <c>Portal:Storage</c> configuration section when an <see cref="IConfiguration"/> is
    /// registered, then from <paramref name="configure"/>. The container's <see cref="ILoggerFactory"/> and
    /// <see cref="TimeProvider"/> are used when registered.
    /// </para>
    /// <para>
    /// Resolving the repository before the host has started opens it on the spot (blocking), so the order of
    /// registrations does not matter. An invalid setting or an unreachable database fails the host's start. The
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
                var configuration = sp.GetService<IConfiguration>();
                configuration?.GetSection(StorageOptions.SectionName).Bind(o);
                o.ConfigFile = configuration?[ConfigFileSetting] ?? o.ConfigFile;
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StorageStartup>());
        return services;
    }

    /// <summary>Opens the repository once, for whichever comes first: the host's start or a resolution.</summary>
    private sealed class StorageOpener : IAsyncDisposable
    {
        private readonly Lazy<Task<EfPortalRepository>> _open;

        public StorageOpener(StorageOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider) =>
            _open = new(() => OpenAndImportAsync(options, loggerFactory, timeProvider));

        private static async Task<EfPortalRepository> OpenAndImportAsync(StorageOptions options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider)
        {
            var repository = await EfPortalRepository.OpenAsync(options, loggerFactory, timeProvider, CancellationToken.None).ConfigureAwait(false);
            try
            {
                // The default file is optional; a file named in the settings must exist (a typo must not go unnoticed).
                var path = options.ConfigFile ?? (File.Exists(DefaultConfigFile) ? DefaultConfigFile : null);
                if (path is not null)
                {
                    // The import logs its own summary.
                    await repository.ImportConfigAsync(PortalConfigLoader.Load(path), CancellationToken.None).ConfigureAwait(false);
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
