using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Portal;
using Portal.DependencyInjection;
using Portal.Providers;
using Portal.Providers.Mock;
using Portal.Providers.OpenAI;
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
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Creates the gateway's options, for example <c>sp =&gt; new PortalOptions { Repository = ... }</c>.</param>
    /// <returns>A builder to add selectors and adapters.</returns>
    public static PortalBuilder AddPortal(this IServiceCollection services, Func<IServiceProvider, PortalOptions> options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(sp => new PortalSetup(options(sp), sp));
        services.TryAddSingleton(sp => new UpstreamHttp(sp.GetRequiredService<PortalSetup>()));

        // The built-in formats and strategies are registered like any added one; an added one of the same name replaces them.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderAdapter, OpenAIAdapter>(sp =>
        {
            var setup = sp.GetRequiredService<PortalSetup>();
            var http = sp.GetRequiredService<UpstreamHttp>();
            return new OpenAIAdapter(() => http.Client, new RetryAfterReader(setup.Time, setup.Logger), setup.Options.RequestStreamUsage);
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderAdapter, MockAdapter>(sp => new MockAdapter(sp.GetRequiredService<PortalSetup>().Time)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChannelSelector, RandomChannelSelector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IChannelSelector, LruChannelSelector>());
        services.TryAddSingleton(sp => new ProviderCatalog(
            BuiltInFirst(sp.GetServices<IProviderAdapter>()).Concat(sp.GetRequiredService<PortalSetup>().Options.Adapters)));
        services.TryAddSingleton(sp => new PortalGateway(
            sp.GetRequiredService<PortalSetup>(),
            sp.GetRequiredService<ProviderCatalog>(),
            BuiltInFirst(sp.GetServices<IChannelSelector>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PortalGatewayLifetime>());
        return new PortalBuilder(services);
    }

    /// <summary>Registers <see cref="PortalGateway"/> over <paramref name="options"/>; see <see cref="AddPortal(IServiceCollection, Func{IServiceProvider, PortalOptions})"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The gateway's options.</param>
    /// <returns>A builder to add selectors and adapters.</returns>
    public static PortalBuilder AddPortal(this IServiceCollection services, PortalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return services.AddPortal(_ => options);
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
