using System.Text.Json;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Client;

/// <summary>A model a client cannot have: 404 <c>model_not_found</c> saying why, with the names it can ask for instead.</summary>
public sealed class ModelNotFoundTests
{
    [Fact]
    public async Task Post_DisabledModel_404SaysDisabledAndListsTheOthers()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = """
            { "platforms": [ { "name": "mock", "format": "mock", "baseUrl": "mock://local",
              "models": [ "mock-1", { "name": "retired", "enabled": false } ], "keys": [ "k" ] } ] }
            """);

        using var response = await host.Client.PostChatAsync(ChatJson("retired"));

        var message = Message(await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found"));
        Assert.Contains("'retired' is disabled", message, StringComparison.Ordinal);
        Assert.Contains("Available models: mock-1.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_UnknownModel_ListsTheAvailableOnesClosestFirst()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig(models: ["alpha", "gpt-4o-mini", "gpt-4o"]));

        using var response = await host.Client.PostChatAsync(ChatJson("gpt-4o-mnii"));

        var message = Message(await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found"));
        Assert.Contains("'gpt-4o-mnii' does not exist. Available models: gpt-4o-mini, gpt-4o, alpha.", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_UnknownModelAmongMany_ListsTenAndPointsToTheList()
    {
        var models = Enumerable.Range(1, 25).Select(i => $"model-{i:00}").ToArray();
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig(models: models));

        using var response = await host.Client.PostChatAsync(ChatJson("model-7"));

        var message = Message(await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found"));
        Assert.Contains("Closest of the 25 available models: model-07, ", message, StringComparison.Ordinal);
        Assert.Contains("GET /v1/models lists them all", message, StringComparison.Ordinal);
        Assert.Equal(10, message.Split(':')[1].Split(';')[0].Split(',').Length);
    }

    [Fact]
    public async Task Post_NoModelAtAll_SaysHowToAddOne()
    {
        await using var host = await GatewayHost.StartAsync();

        using var response = await host.Client.PostChatAsync(ChatJson("gpt-4o"));

        var message = Message(await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found"));
        Assert.Contains("No model is available", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetModel_Unknown_ListsTheAvailableOnes()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig(models: ["mock-1"]));

        using var response = await host.Client.GetAsync("v1/models/mock-2");

        var message = Message(await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found"));
        Assert.Contains("Available models: mock-1.", message, StringComparison.Ordinal);
    }

    private static string Message(JsonElement error) => error.GetProperty("message").GetString()!;
}
