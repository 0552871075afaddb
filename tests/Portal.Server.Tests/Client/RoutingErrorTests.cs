using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Client;

public sealed class RoutingErrorTests
{
    [Theory]
    [InlineData("nope")]
    [InlineData("v1/completions")]
    [InlineData("v2/chat/completions")]
    public async Task Get_UnknownRoute_Returns404InErrorShape(string path)
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.GetAsync(path);
        await AssertErrorAsync(response, 404, "not_found_error", "not_found");
    }

    [Theory]
    [InlineData("GET", "v1/chat/completions")]
    [InlineData("PUT", "v1/chat/completions")]
    [InlineData("DELETE", "v1/models")]
    public async Task Send_WrongMethod_Returns405InErrorShape(string method, string path)
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertErrorAsync(response, 405, "invalid_request_error", "method_not_allowed");
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Get_HandlerThrows_Returns500WithoutDetails()
    {
        await using var host = await GatewayHost.StartAsync(o => o.MapEndpoints = app =>
            app.MapGet("/v1/boom", (HttpContext _) => throw new InvalidOperationException("secret detail sk-live-123456789012")));
        using var response = await host.Client.GetAsync("v1/boom");

        var error = await AssertErrorAsync(response, 500, "server_error", "internal_error");
        Assert.DoesNotContain("secret", error.GetRawText(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("sk-live", error.GetRawText(), StringComparison.Ordinal);
    }
}
