using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Contracts;
using Portal.Health;
using Portal.Server.Hosting;
using Portal.Server.Operations;
using Portal.Server.Tests.Infrastructure;
using Portal.Stats;
using Portal.Storage;

namespace Portal.Server.Tests.Hosting;

public sealed class ServerServicesTests
{
    [Fact]
    public async Task Start_ShortDurations_AreBoundInEverySection()
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.Settings["Portal:Gateway:AttemptTimeout"] = "250ms";
            o.Settings["Portal:Gateway:RequestTimeout"] = "5m";
            o.Settings["Portal:Gateway:ConnectTimeout"] = "1.5s";
            o.Settings["Portal:Gateway:HealthSyncInterval"] = "1h";
            o.Settings["Portal:Health:InitialDelay"] = "2s";
            o.Settings["Portal:Health:MaxDelay"] = "1h";
            o.Settings["Portal:Health:MaxRetryAfter"] = "90s";
            o.Settings["Portal:Stats:BatchDelay"] = "20ms";
            o.Settings["Portal:Stats:MaxRetryDelay"] = "1m";
            o.Settings["Portal:Stats:FlushTimeout"] = "3s";
            o.Settings["Portal:Shutdown:Timeout"] = "2s";
            o.Settings["Portal:Readiness:StorageUnavailableAfter"] = "00:01:30";
            o.Settings["Portal:Readiness:ProbeInterval"] = "10s";
            o.Settings["Portal:Storage:CacheTtl"] = "7d";
            o.Settings["Portal:Storage:RetentionInterval"] = "1.12:00:00";
        });

        var gateway = host.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var readiness = host.Services.GetRequiredService<IOptions<ReadinessOptions>>().Value;
        var storage = host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        Assert.Equal(TimeSpan.FromMilliseconds(250), gateway.AttemptTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), gateway.RequestTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), gateway.ConnectTimeout);
        Assert.Equal(TimeSpan.FromHours(1), gateway.HealthSyncInterval);
        var health = host.Services.GetRequiredService<IOptions<BackoffOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromHours(1), TimeSpan.FromSeconds(90)), (health.InitialDelay, health.MaxDelay, health.MaxRetryAfter));
        var stats = host.Services.GetRequiredService<IOptions<StatsOptions>>().Value;
        Assert.Equal((TimeSpan.FromMilliseconds(20), TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(3)), (stats.BatchDelay, stats.MaxRetryDelay, stats.FlushTimeout));
        Assert.Equal(TimeSpan.FromSeconds(2), host.Services.GetRequiredService<IOptions<ShutdownOptions>>().Value.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(90), readiness.StorageUnavailableAfter);
        Assert.Equal(TimeSpan.FromSeconds(10), readiness.ProbeInterval);
        Assert.Equal(TimeSpan.FromDays(7), storage.CacheTtl);
        Assert.Equal(TimeSpan.FromHours(36), storage.RetentionInterval);

        // The engine gets them too.
        Assert.Equal(TimeSpan.FromSeconds(2), host.Gateway.ShutdownTimeout);
    }

    [Fact]
    public async Task Start_EngineSections_AreBoundOntoTheEngineOptionsTypes()
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.Settings["Portal:Gateway:MaxAttempts"] = "2";
            o.Settings["Portal:Gateway:SelectorStrategy"] = "lru";
            o.Settings["Portal:Gateway:RequestStreamUsage"] = "false";
            o.Settings["Portal:Gateway:RequestTimeout"] = "45s";
            o.Settings["Portal:Health:Multiplier"] = "3.5";
            o.Settings["Portal:Health:Jitter"] = "0.05";
            o.Settings["Portal:Stats:QueueCapacity"] = "500";
            o.Settings["Portal:Stats:BatchSize"] = "50";
        });

        var gateway = host.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        Assert.Equal((2, "lru", false), (gateway.MaxAttempts, gateway.SelectorStrategy, gateway.RequestStreamUsage));
        Assert.Equal(TimeSpan.FromSeconds(45), gateway.AttemptTimeout); // Not set: follows the shorter RequestTimeout.
        var health = host.Services.GetRequiredService<IOptions<BackoffOptions>>().Value;
        Assert.Equal((3.5, 0.05), (health.Multiplier, health.Jitter));
        var stats = host.Services.GetRequiredService<IOptions<StatsOptions>>().Value;
        Assert.Equal((500, 50), (stats.QueueCapacity, stats.BatchSize));
    }

    [Fact]
    public async Task Request_HealthSettings_DriveTheEnginesBackoff()
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = """
                {"platforms":[{"name":"m","format":"mock","baseUrl":"mock://local","models":[{"name":"mock-error-503","alias":"broken"}],"keys":["mock-key-0123456789"]}]}
                """;
            o.Settings["Portal:Health:InitialDelay"] = "42s";
            o.Settings["Portal:Health:Jitter"] = "0";
        });
        var request = new ChatCompletionRequest { Model = "broken", Messages = [new ChatMessage { Role = "user", Content = "hi" }] };

        await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(request));

        // Exactly the setting: jitter is off.
        var platform = Assert.Single(host.Gateway.GetAllHealth(), h => h.ResourceKind == ResourceKind.Platform);
        Assert.Equal(HealthStatus.Warning, platform.Status);
        Assert.Equal(TimeSpan.FromSeconds(42), platform.BackoffDuration);
    }
}
