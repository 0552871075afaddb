using Microsoft.Extensions.Options;
using Portal.Server.Hosting;
using Portal.Storage;

namespace Portal.Server.Operations;

/// <summary>A cheap round trip to storage, run by the readiness probe.</summary>
/// <param name="ping">Completes when storage answered; throws when it did not.</param>
internal sealed class StoragePing(Func<CancellationToken, Task> ping)
{
    /// <summary>Pings the repository in use when it is the EF Core one; other repositories are always reachable.</summary>
    public static StoragePing For(IServiceProvider services) => new(cancellationToken =>
        services.GetRequiredService<IPortalRepository>() is EfPortalRepository repository ? repository.PingAsync(cancellationToken) : Task.CompletedTask);

    public Task PingAsync(CancellationToken cancellationToken) => ping(cancellationToken);
}

/// <summary>Pings storage in the background and says whether the server is ready for traffic.</summary>
/// <remarks>
/// Not ready while stopping (from <c>ApplicationStopping</c>, and whenever the gateway is shutting down) or when storage
/// has not answered for <see cref="ReadinessOptions.StorageUnavailableAfter"/>. Storage opened at start, so that counts
/// as the first success.
/// </remarks>
internal sealed class ReadinessProbe(
    StoragePing ping,
    IOptions<ReadinessOptions> options,
    IHostApplicationLifetime lifetime,
    PortalGateway gateway,
    TimeProvider time,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(ServerLog.Category);
    private long _lastSuccess = time.GetUtcNow().UtcTicks;
    private long _failingSince;

    /// <summary>Why the server is not ready, or <see langword="null"/> when it is.</summary>
    public string? NotReadyReason()
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested || gateway.IsShuttingDown)
        {
            return "shutting_down";
        }

        var silent = time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastSuccess), TimeSpan.Zero);
        return silent > options.Value.StorageUnavailableAfter ? "storage_unavailable" : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProbeInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await ProbeAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ProbeAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Value.StorageUnavailableAfter);
            await ping.PingAsync(timeout.Token);
            var now = time.GetUtcNow().UtcTicks;
            Interlocked.Exchange(ref _lastSuccess, now);
            var since = Interlocked.Exchange(ref _failingSince, 0);
            if (since != 0)
            {
                ServerLog.StorageProbeRecovered(_logger, TimeSpan.FromTicks(now - since));
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Logged once per outage, not once per probe.
            if (Interlocked.CompareExchange(ref _failingSince, time.GetUtcNow().UtcTicks, 0) == 0)
            {
                ServerLog.StorageProbeFailed(_logger, ex.GetType().Name, ex.Message, options.Value.StorageUnavailableAfter);
            }
        }
    }
}
