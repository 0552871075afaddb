using System.Net;
using Portal.Contracts;

namespace Portal.Server.Tests.Admin.Models;

public sealed class ModelAdminTests
{
    [Fact]
    public async Task Create_ValidModel_Returns201WithSourceAdmin()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var platformId = await host.PlatformIdAsync("m");

        using var response = await admin.SendAsync(HttpMethod.Post, "admin/models", $$"""{"platformId":{{platformId}},"name":"gpt-x","alias":"fast"}""");
        var body = await response.ReadAsync(HttpStatusCode.Created);

        var id = (long)body["id"]!;
        Assert.Equal($"/admin/models/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(platformId, (long)body["platformId"]!);
        Assert.Equal("gpt-x", (string?)body["name"]);
        Assert.Equal("fast", (string?)body["alias"]);
        Assert.True((bool)body["enabled"]!);
        Assert.Equal("admin", (string?)body["source"]);
        Assert.Contains(await host.Repository().ListModelsAsync(), m => m == new Model { Id = id, PlatformId = platformId, Name = "gpt-x", Alias = "fast" });
    }

    [Fact]
    public async Task Create_ThenChatThroughClientApi_NextRequestIsServed()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var platformId = await host.PlatformIdAsync("m");

        await admin.CreateModelAsync(platformId, "added-model");
        using var chat = await host.Client.SendAsync(HttpMethod.Post, "v1/chat/completions",
            """{"model":"added-model","messages":[{"role":"user","content":"hello"}]}""");

        var body = await chat.ReadAsync(HttpStatusCode.OK);
        Assert.Contains("mock response from added-model", (string?)body["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task Create_ThenChatThroughGateway_NextRequestIsServed()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var platformId = await host.PlatformIdAsync("m");
        var request = new ChatCompletionRequest { Model = "new-alias", Messages = [new ChatMessage("user", "hello")] };
        var before = await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(request));
        Assert.Equal(PortalErrorCode.ModelNotFound, before.Code);

        await admin.CreateModelAsync(platformId, "upstream-name", alias: "new-alias");
        var response = await host.Gateway.ChatCompletionAsync(request);

        Assert.Contains("upstream-name", response.Choices[0].Message!.Content!.Text);
    }

    [Fact]
    public async Task Update_Disable_NextRequestNoLongerFindsTheModel()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        await admin.CreateKeyAsync(platformId, "mock-key-0123456789");
        var modelId = await admin.CreateModelAsync(platformId, "y");
        var request = new ChatCompletionRequest { Model = "y", Messages = [new ChatMessage("user", "hello")] };
        await host.Gateway.ChatCompletionAsync(request);

        await admin.SendAsync(HttpMethod.Put, $"admin/models/{modelId}", """{"enabled":false}""", HttpStatusCode.OK);

        await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(request));
    }

    [Fact]
    public async Task List_FilteredByPlatformId_ReturnsOnlyThatPlatformsModels()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var other = await admin.CreatePlatformAsync("other");
        var mine = await admin.CreateModelAsync(other, "o1");

        var all = await admin.SendAsync(HttpMethod.Get, "admin/models", null, HttpStatusCode.OK);
        var filtered = await admin.SendAsync(HttpMethod.Get, $"admin/models?platformId={other}", null, HttpStatusCode.OK);

        Assert.Equal(2, all["data"]!.AsArray().Count);
        var only = Assert.Single(filtered["data"]!.AsArray());
        Assert.Equal(mine, (long)only!["id"]!);
        Assert.Equal("config", (string?)all["data"]![0]!["source"]);
    }

    [Theory]
    [InlineData("platformId=abc", "platformId")]
    [InlineData("platformId=0", "platformId")]
    [InlineData("platformId=1&platformId=2", "platformId")]
    public async Task List_BadPlatformId_Returns400NamingIt(string query, string param)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, $"admin/models?{query}", null, HttpStatusCode.BadRequest, "invalid_value", param);
    }

    [Fact]
    public async Task Get_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, "admin/models/5", null, HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Create_MissingPlatformId_Returns400()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/models", """{"name":"x"}""", HttpStatusCode.BadRequest, "missing_value", "platformId");
    }

    [Fact]
    public async Task Create_UnknownPlatform_Returns400NamingPlatformId()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/models", """{"platformId":77,"name":"x"}""", HttpStatusCode.BadRequest, "invalid_value", "platformId");
        Assert.Contains("77", message);
    }

    [Fact]
    public async Task Create_MissingName_Returns400()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();

        await admin.SendErrorAsync(HttpMethod.Post, "admin/models", $$"""{"platformId":{{platformId}}}""", HttpStatusCode.BadRequest, "missing_value", "name");
    }

    [Fact]
    public async Task Create_AliasWithSurroundingSpace_Returns400NamingAlias()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();

        await admin.SendErrorAsync(HttpMethod.Post, "admin/models", $$"""{"platformId":{{platformId}},"name":"x","alias":"fast "}""", HttpStatusCode.BadRequest, "invalid_value", "alias");
    }

    [Fact]
    public async Task Create_NameTakenOnThePlatform_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var platformId = await host.PlatformIdAsync("m");

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/models", $$"""{"platformId":{{platformId}},"name":"x"}""", HttpStatusCode.Conflict, "conflict", "name");
        Assert.Contains("'x'", message);
    }

    [Fact]
    public async Task Update_NullAlias_RemovesTheAliasAndKeepsTheRest()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateModelAsync(platformId, "x", alias: "fast");

        var body = await admin.SendAsync(HttpMethod.Patch, $"admin/models/{id}", """{"alias":null}""", HttpStatusCode.OK);

        Assert.Null(body["alias"]);
        Assert.Equal("x", (string?)body["name"]);
        Assert.Equal(new Model { Id = id, PlatformId = platformId, Name = "x" }, Assert.Single(await host.Repository().ListModelsAsync()));
    }

    [Fact]
    public async Task Update_MoveToUnknownPlatform_Returns400NamingPlatformId()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateModelAsync(platformId, "x");

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/models/{id}", """{"platformId":999}""", HttpStatusCode.BadRequest, "invalid_value", "platformId");
    }

    [Fact]
    public async Task Update_NameTakenOnThePlatform_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        await admin.CreateModelAsync(platformId, "x");
        var y = await admin.CreateModelAsync(platformId, "y");

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/models/{y}", """{"name":"x"}""", HttpStatusCode.Conflict, "conflict", "name");
    }

    [Fact]
    public async Task Update_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Put, "admin/models/8", """{"name":"x"}""", HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Delete_AdminModel_Returns200AndRemovesIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateModelAsync(platformId, "x");

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/models/{id}", null, HttpStatusCode.OK);

        Assert.Equal("model", (string?)body["object"]);
        Assert.True((bool)body["deleted"]!);
        Assert.Empty(await host.Repository().ListModelsAsync());
    }

    [Fact]
    public async Task Delete_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Delete, "admin/models/8", null, HttpStatusCode.NotFound, "not_found", "id");
    }
}
