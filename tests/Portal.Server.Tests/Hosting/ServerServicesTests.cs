using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Server.Hosting;
using Portal.Server.Operations;
using Portal.Server.Tests.Infrastructure;
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
        Assert.Equal(TimeSpan.FromSeconds(2), host.Services.GetRequiredService<IOptions<ShutdownOptions>>().Value.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(90), readiness.StorageUnavailableAfter);
        Assert.Equal(TimeSpan.FromSeconds(10), readiness.ProbeInterval);
        Assert.Equal(TimeSpan.FromDays(7), storage.CacheTtl);
        Assert.Equal(TimeSpan.FromHours(36), storage.RetentionInterval);

        // The engine gets them too.
        Assert.Equal(TimeSpan.FromSeconds(2), host.Gateway.ShutdownTimeout);
    }
}
