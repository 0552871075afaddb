using Portal.Server.Hosting;

namespace Portal.Server.Operations;

/// <summary>Drains the gateway when the host starts stopping, before the web server stops.</summary>
/// <remarks>
/// The host stops services in reverse order of registration and <c>WebApplication</c> registers the web server last, so
/// the server would stop first: it would refuse new connections and wait for in-flight streams itself. Draining in
/// <see cref="StoppingAsync"/>, which the host runs for every service before any <c>StopAsync</c>, keeps the server
/// answering while the gateway drains: in-flight streams run on, new requests get <c>shutting_down</c> (503) and
/// <c>/readyz</c> says 503. The engine's own hosted service then finds the shutdown done.
/// </remarks>
internal sealed class GatewayDrain(PortalGateway gateway, ILoggerFactory loggerFactory) : IHostedLifecycleService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger(ServerLog.Category);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        ServerLog.Draining(_logger, gateway.InFlightRequests, gateway.ShutdownTimeout);
        await gateway.ShutdownAsync(gateway.ShutdownTimeout).WaitAsync(cancellationToken);
        ServerLog.Drained(_logger);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
