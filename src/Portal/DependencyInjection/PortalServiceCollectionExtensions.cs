using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Portal;
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
    /// <c>IMeterFactory</c>, and every <see cref="IChannelSelector"/> and <see cref="IProviderAdapter"/>. The container's
    /// <see cref="IHttpClientFactory"/> is used only when set in <see cref="PortalOptions.HttpClientFactory"/>.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Creates the gateway's options, for example <c>sp =&gt; new PortalOptions { Repository = ... }</c>.</param>
    /// <returns>A builder to add selectors and adapters.</returns>
    public static PortalBuilder AddPortal(this IServiceCollection services, Func<IServiceProvider, PortalOptions> options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(sp => PortalGateway.Create(options(sp), sp));
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
