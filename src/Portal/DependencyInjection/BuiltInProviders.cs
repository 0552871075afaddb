using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Providers;
using Portal.Providers.Anthropic;
using Portal.Providers.Mock;
using Portal.Providers.OpenAI;

namespace Portal.DependencyInjection;

/// <summary>The formats Portal ships (<c>openai</c>, <c>anthropic</c>, <c>mock</c>), registered as an application registers its own.</summary>
/// <remarks>
/// The adapters read the gateway's setup at their first request, not when they are created: configuration import asks
/// them about their format (name, base-URL rule) while storage opens, before the gateway's options (which name the
/// storage) exist.
/// </remarks>
internal static class BuiltInProviders
{
    private static readonly Lazy<ProviderCatalog> DescriptionsOnly = new(() =>
    {
        var services = new ServiceCollection();
        Register(services);
        using var provider = services.BuildServiceProvider();
        return new ProviderCatalog(provider.GetServices<IProviderAdapter>());
    });

    /// <summary>
    /// The built-in formats alone, for checking configuration where no gateway is composed (<c>config validate</c>,
    /// storage opened without <c>AddPortal</c>). Its adapters describe their format; they cannot send a request.
    /// </summary>
    public static ProviderCatalog Catalog => DescriptionsOnly.Value;

    /// <summary>Registers the built-in adapters with <c>TryAddEnumerable</c>: an added adapter of the same format replaces them.</summary>
    public static void Register(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderAdapter, OpenAIAdapter>(sp =>
        {
            var http = new Lazy<UpstreamHttp>(sp.GetRequiredService<UpstreamHttp>);
            return new OpenAIAdapter(() => http.Value, sp.GetRequiredService<PortalSetup>);
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderAdapter, AnthropicAdapter>(sp =>
        {
            var http = new Lazy<UpstreamHttp>(sp.GetRequiredService<UpstreamHttp>);
            return new AnthropicAdapter(() => http.Value, sp.GetRequiredService<PortalSetup>);
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IProviderAdapter, MockAdapter>(sp =>
            new MockAdapter(() => sp.GetRequiredService<PortalSetup>().Time)));
    }
}
