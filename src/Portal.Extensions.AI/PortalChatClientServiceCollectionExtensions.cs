using Microsoft.Extensions.AI;
using Portal;
using Portal.Extensions.AI;

#pragma warning disable IDE0130 // DI extensions live in the DI namespace, as STYLE.md asks.
namespace Microsoft.Extensions.DependencyInjection;
#pragma warning restore IDE0130

/// <summary>Registers <see cref="PortalChatClient"/> as the <see cref="IChatClient"/>.</summary>
public static class PortalChatClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="PortalChatClient"/> over the registered <see cref="PortalGateway"/> (see <c>AddPortal</c>)
    /// as the singleton <see cref="IChatClient"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="defaultModel">The model name or alias used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <returns>The builder, to add middleware such as function invocation or logging.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static ChatClientBuilder AddPortalChatClient(this IServiceCollection services, string? defaultModel = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddChatClient(sp => new PortalChatClient(sp.GetRequiredService<PortalGateway>(), defaultModel));
    }
}
