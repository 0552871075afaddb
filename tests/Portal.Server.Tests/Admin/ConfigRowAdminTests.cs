using System.Net;

namespace Portal.Server.Tests.Admin;

/// <summary>Rows from portal.json are overwritten at the next import: changing them needs ?force=true and says so.</summary>
public sealed class ConfigRowAdminTests
{
    [Fact]
    public async Task UpdatePlatform_ConfigRowWithoutForce_Returns409NamingTheConfigFileSetting()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");
        var before = await host.Repository().ListPlatformsAsync();

        var message = await admin.SendErrorAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"enabled":false}""", HttpStatusCode.Conflict, "config_managed", "force");

        Assert.Contains("Portal:ConfigFile", message);
        Assert.Contains("force=true", message);
        Assert.Equal(before, await host.Repository().ListPlatformsAsync());
    }

    [Fact]
    public async Task UpdatePlatform_ConfigRowWithForce_AppliesAndWarnsTheNextImportUndoesIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/platforms/{id}?force=true", """{"enabled":false}""", HttpStatusCode.OK);

        Assert.False((bool)body["enabled"]!);
        Assert.Equal("config", (string?)body["source"]);
        var warning = (string)body["warning"]!;
        Assert.Contains("Portal:ConfigFile", warning);
        Assert.Contains("next import", warning);
        Assert.False(Assert.Single(await host.Repository().ListPlatformsAsync()).Enabled);
    }

    [Fact]
    public async Task UpdatePlatform_ConfigRowUnchanged_Returns200WithoutForce()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"enabled":true,"name":"m"}""", HttpStatusCode.OK);

        Assert.Null(body["warning"]);
    }

    [Fact]
    public async Task DeletePlatform_ConfigRowWithoutForce_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");

        await admin.SendErrorAsync(HttpMethod.Delete, $"admin/platforms/{id}?cascade=true", null, HttpStatusCode.Conflict, "config_managed", "force");

        Assert.Single(await host.Repository().ListPlatformsAsync());
    }

    [Fact]
    public async Task DeletePlatform_ConfigRowWithForceAndCascade_DeletesAndWarns()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/platforms/{id}?force=true&cascade=true", null, HttpStatusCode.OK);

        Assert.True((bool)body["deleted"]!);
        Assert.Contains("Portal:ConfigFile", (string)body["warning"]!);
        Assert.Empty(await host.Repository().ListPlatformsAsync());
    }

    [Fact]
    public async Task UpdateModel_ConfigRowWithoutForce_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var model = Assert.Single(await host.Repository().ListModelsAsync());

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/models/{model.Id}", """{"alias":"fast"}""", HttpStatusCode.Conflict, "config_managed", "force");

        Assert.Equal(model, Assert.Single(await host.Repository().ListModelsAsync()));
    }

    [Fact]
    public async Task UpdateModel_ConfigRowWithForce_AppliesAndWarns()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var model = Assert.Single(await host.Repository().ListModelsAsync());

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/models/{model.Id}?force=true", """{"alias":"fast"}""", HttpStatusCode.OK);

        Assert.Equal("fast", (string?)body["alias"]);
        Assert.Contains("next import", (string)body["warning"]!);
    }

    [Fact]
    public async Task DeleteModel_ConfigRowWithoutForce_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var model = Assert.Single(await host.Repository().ListModelsAsync());

        await admin.SendErrorAsync(HttpMethod.Delete, $"admin/models/{model.Id}", null, HttpStatusCode.Conflict, "config_managed", "force");

        Assert.Single(await host.Repository().ListModelsAsync());
    }

    [Fact]
    public async Task DeleteModel_ConfigRowWithForce_DeletesAndWarns()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var model = Assert.Single(await host.Repository().ListModelsAsync());

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/models/{model.Id}?force=true", null, HttpStatusCode.OK);

        Assert.Contains("Portal:ConfigFile", (string)body["warning"]!);
        Assert.Empty(await host.Repository().ListModelsAsync());
    }

    [Fact]
    public async Task UpdateKey_ConfigRowWithoutForce_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var key = Assert.Single(await host.Repository().ListApiKeysAsync());

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/keys/{key.Id}", """{"enabled":false}""", HttpStatusCode.Conflict, "config_managed", "force");

        Assert.True(Assert.Single(await host.Repository().ListApiKeysAsync()).Enabled);
    }

    [Fact]
    public async Task UpdateKey_ConfigRowWithForce_AppliesAndWarns()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var key = Assert.Single(await host.Repository().ListApiKeysAsync());

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/keys/{key.Id}?force=true", """{"enabled":false}""", HttpStatusCode.OK);

        Assert.Contains("next import", (string)body["warning"]!);
        Assert.False(Assert.Single(await host.Repository().ListApiKeysAsync()).Enabled);
    }

    [Fact]
    public async Task DeleteKey_ConfigRowWithoutForce_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var key = Assert.Single(await host.Repository().ListApiKeysAsync());

        await admin.SendErrorAsync(HttpMethod.Delete, $"admin/keys/{key.Id}", null, HttpStatusCode.Conflict, "config_managed", "force");

        Assert.Single(await host.Repository().ListApiKeysAsync());
    }

    [Fact]
    public async Task DeleteKey_ConfigRowWithForce_DeletesAndWarns()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var key = Assert.Single(await host.Repository().ListApiKeysAsync());

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/keys/{key.Id}?force=true", null, HttpStatusCode.OK);

        Assert.Contains("next import", (string)body["warning"]!);
        Assert.Empty(await host.Repository().ListApiKeysAsync());
    }

    [Fact]
    public async Task Update_ForceNotABoolean_Returns400NamingForce()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/platforms/{id}?force=yes", """{"enabled":false}""", HttpStatusCode.BadRequest, "invalid_value", "force");
    }
}
