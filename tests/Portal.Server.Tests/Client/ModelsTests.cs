using System.Net;
using System.Text.Json;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Client;

public sealed class ModelsTests
{
    private const string Config = """
        { "platforms": [
          { "name": "a", "format": "mock", "baseUrl": "mock://local",
            "models": [ { "name": "m-1", "alias": "fast" }, { "name": "org/m-2" }, { "name": "off", "enabled": false } ], "keys": [ "k" ] },
          { "name": "b", "format": "mock", "baseUrl": "mock://local",
            "models": [ { "name": "m-3", "alias": "fast" } ], "keys": [ "k" ] },
          { "name": "c", "format": "mock", "baseUrl": "mock://local", "enabled": false,
            "models": [ "hidden" ], "keys": [ "k" ] } ] }
        """;

    [Fact]
    public async Task List_EnabledModels_ReturnsPublicNamesOnceInOpenAiShape()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = Config);
        using var response = await host.Client.GetAsync("v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("list", body.RootElement.GetProperty("object").GetString());
        var data = body.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["fast", "m-1", "m-3", "org/m-2"], data.Select(m => m.GetProperty("id").GetString()));
        Assert.All(data, m =>
        {
            Assert.Equal("model", m.GetProperty("object").GetString());
            Assert.Equal(JsonValueKind.Number, m.GetProperty("created").ValueKind);
        });
        Assert.Equal("portal", data.Single(m => m.GetProperty("id").GetString() == "fast").GetProperty("owned_by").GetString());
        Assert.Equal("a", data.Single(m => m.GetProperty("id").GetString() == "m-1").GetProperty("owned_by").GetString());
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("org/m-2")]
    public async Task Get_KnownName_ReturnsModel(string id)
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = Config);
        using var response = await host.Client.GetAsync("v1/models/" + id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(id, body.RootElement.GetProperty("id").GetString());
        Assert.Equal("model", body.RootElement.GetProperty("object").GetString());
    }

    [Theory]
    [InlineData("off")]
    [InlineData("hidden")]
    [InlineData("nope")]
    public async Task Get_UnknownOrDisabled_Returns404ModelNotFound(string id)
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = Config);
        using var response = await host.Client.GetAsync("v1/models/" + id);
        await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found");
    }
}
