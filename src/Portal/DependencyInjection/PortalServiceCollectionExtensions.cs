using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Portal;
using Portal.DependencyInjection;
using Portal.Providers;
using Portal.Selection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Portal with dependency injection.</summary>
public static class PortalServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PortalGateway"/> as a singleton, created from the options the factory returns, and shuts it
    /// down (draining in-flight requests for up to <see cref="PortalOptions.ShutdownTimeout"/>) when the host stops.
    /// </summary>
    /// <remarks>
    /// What the options leave unset is taken from the container when registered there: <c>ILoggerFactory</c>,
    /// <c>IMeterFactory</c>, and every <see cref="IChannelSelector"/> and <see cref="IProviderAdapter"/>. The built-in
    /// formats (<c>openai</c>, <c>mock</c>) and strategies (<c>random</c>, <c>lru</c>) are registered here the same way
    /// (<c>TryAddEnumerable</c>), and so is the <see cref="ProviderCatalog"/> of every format, which the rest of an
    /// application (configuration import, an admin API) asks for the known formats. The container's
    /// <see cref="IHttpClientFactory"/> is used only when set in <see cref="PortalOptions.HttpClientFactory"/>.
    /// <para>
    /// Register added formats in the container (<see cref="PortalBuilder.AddAdapter{TAdapter}"/>): the
    /// <see cref="PortalOptions.Adapters"/> of options made by a factory reach the gateway but not the container's
    /// catalog, which configuration import reads while storage opens, before the factory runs. (The overload that
    /// takes the options themselves puts their adapters in the catalog.)
    /// </para>
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Creates the gateway's options, for example <c>sp =&gt; new PortalOptions { Repository = ... }</c>.</param>
    /// <returns>A builder to add selectors and adapters.</returns>
    public static PortalBuilder AddPortal(this IServiceCollection services, Func<IServiceProvider, PortalOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddPortal(options, knownAdapters: []);
    }

    /// <summary>Registers <see cref="PortalGateway"/> over <paramref name="options"/>; see <see cref="AddPortal(IServiceCollection, Func{IServiceProvider, PortalOptions})"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The gateway's options.</param>
    /// <returns>A builder to add selectors and adapters.</returns>
    public static PortalBuilder AddPortal(this IServiceCollection services, PortalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddPortal(_ => options, options.Adapters);
    }

    /// <param name="services">The service collection.</param>
    /// <param name="options">Creates the gateway's options.</param>
    /// <param name="knownAdapters">The options' adapters when they are known before the container is built, so that the catalog (and with it configuration import) has them too.</param>
    private static PortalBuilder AddPortal(this IServiceCollection services, Func<IServiceProvider, PortalOptions> options, IReadOnlyList<IProviderAdapter> knownAdapters)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new PortalSetup(options(sp), sp));
        services.TryAddSingleton(sp => new UpstreamHttp(sp.GetRequiredService<PortalSetup>()));

        // The built-in formats and strategies are registered like any added one; an added one of the same name replaces them.
        BuiltInProviders.Register(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChannelSelector, RandomChannelSelector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChannelSelector, LruChannelSelector>());

        // The catalog does not depend on the options: storage asks it while opening, and the options name the storage.
        services.TryAddSingleton(sp => new ProviderCatalog(BuiltInFirst(sp.GetServices<IProviderAdapter>()).Concat(knownAdapters)));
        services.TryAddSingleton(sp =>
        {
            var setup = sp.GetRequiredService<PortalSetup>();
            return new PortalGateway(
                setup,
                sp.GetRequiredService<ProviderCatalog>().With(setup.Options.Adapters),
                BuiltInFirst(sp.GetServices<IChannelSelector>()));
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PortalGatewayLifetime>());
        return new PortalBuilder(services);
    }

    /// <summary>Orders the built-in adapters or selectors first (stable otherwise), so that any added one of the same name replaces them.</summary>
    private static IEnumerable<T> BuiltInFirst<T>(IEnumerable<T> items) => items.OrderBy(item => item is IBuiltIn ? 0 : 1);

    /// <summary>Ties the gateway's shutdown to the host's stop.</summary>
    private sealed class PortalGatewayLifetime : IHostedService
    {
        private readonly IServiceProvider _services;

        public PortalGatewayLifetime(IServiceProvider services) => _services = services;

        // Creating the gateway at start surfaces invalid options at once rather than at the first request.
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _services.GetRequiredService<PortalGateway>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            var gateway = _services.GetRequiredService<PortalGateway>();
            return gateway.ShutdownAsync(gateway.ShutdownTimeout).WaitAsync(cancellationToken);
        }
    }
}

/// <summary>Adds selectors and adapters to a Portal registration.</summary>
public sealed class PortalBuilder
{
    internal PortalBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection Portal is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a channel selection strategy, usable by its name in <see cref="PortalOptions.SelectorStrategy"/>.</summary>
    /// <typeparam name="TSelector">The selector type.</typeparam>
    /// <returns>This builder.</returns>
    public PortalBuilder AddSelector<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSelector>()
        where TSelector : class, IChannelSelector
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IChannelSelector, TSelector>());
        return this;
    }

    /// <summary>Adds an adapter for a platform format (replacing a built-in one of the same format).</summary>
    /// <typeparam name="TAdapter">The adapter type.</typeparam>
    /// <returns>This builder.</returns>
    public PortalBuilder AddAdapter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TAdapter>()
        where TAdapter : class, IProviderAdapter
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderAdapter, TAdapter>());
        return this;
    }
}
