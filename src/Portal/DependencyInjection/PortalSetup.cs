using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Internal;

namespace Portal.DependencyInjection;

/// <summary>A gateway's validated options and the shared services every part of it is built from (logging, metrics).</summary>
/// <remarks>One per gateway, a singleton of the container <see cref="Microsoft.Extensions.DependencyInjection.PortalServiceCollectionExtensions.AddPortal(Microsoft.Extensions.DependencyInjection.IServiceCollection, Func{IServiceProvider, PortalOptions})"/> fills.</remarks>
internal sealed class PortalSetup
{
    public PortalSetup(PortalOptions options, IServiceProvider services)
    {
        PortalOptionsValidator.ThrowIfInvalid(options);
        Options = options;
        Random = new RandomSource(options.Random);
        LoggerFactory = options.LoggerFactory ?? services.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? NullLoggerFactory.Instance;
        Logger = LoggerFactory.CreateLogger("Portal");
        MeterFactory = options.MeterFactory ?? services.GetService(typeof(IMeterFactory)) as IMeterFactory;
    }

    public PortalOptions Options { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The <c>Portal</c> logger every engine part writes to.</summary>
    public ILogger Logger { get; }

    public IMeterFactory? MeterFactory { get; }

    public TimeProvider Time => Options.TimeProvider;

    /// <summary>The one source of randomness of the gateway (selection, backoff jitter): one lock around a seeded <see cref="System.Random"/>.</summary>
    public RandomSource Random { get; }
}
