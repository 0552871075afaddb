namespace Portal.Server.Tests.Infrastructure;

public sealed class GatewayHostTests
{
    [Fact]
    public async Task StartAsync_EmptyConfig_ServerStartsAndStops()
    {
        await using var host = await GatewayHost.StartAsync();
        Assert.StartsWith("http://127.0.0.1:", host.BaseUrl);
    }
}
