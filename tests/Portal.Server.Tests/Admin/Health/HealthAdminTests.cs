using System.Net;
using Portal.Contracts;

namespace Portal.Server.Tests.Admin.Health;

public sealed class HealthAdminTests
{
    /// <summary>A mock platform whose model "broken" always fails with a 500 (blamed on the platform) and "ok" succeeds.</summary>
    private const string Config = """
        {"platforms":[
          {"name":"m","format":"mock","baseUrl":"mock://local","models":[{"name":"mock-error-500","alias":"broken"},"ok"],"keys":[{"name":"main","value":"mock-key-0123456789"}]}
        ]}
        """;

    [Fact]
    public async Task List_NeverUsed_ShowsEveryStoredResourceAsUnknown()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/health", null, HttpStatusCode.OK);

        var data = body["data"]!.AsArray();
        Assert.Equal(["platform", "model", "model", "key"], data.Select(d => (string)d!["kind"]!));
        Assert.All(data, d => Assert.Equal("unknown", (string?)d!["status"]));
        Assert.All(data, d => Assert.Null(d!["lastCheckAt"]));
        Assert.Equal(["m", "mock-error-500", "ok", "main"], data.Select(d => (string)d!["name"]!));
        Assert.All(data, d => Assert.Equal("config", (string?)d!["source"]));
        var platformId = (long)data[0]!["id"]!;
        Assert.Null(data[0]!["platformId"]);
        Assert.Equal(platformId, (long)data[3]!["platformId"]!);
    }

    [Fact]
    public async Task List_AfterAFailureAndASuccess_ShowsStatusRetriesBackoffErrorAndCounts()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;
        await host.Gateway.ChatCompletionAsync(Request("ok"));
        await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(Request("broken")));

        var body = await admin.SendAsync(HttpMethod.Get, "admin/health?kind=platform", null, HttpStatusCode.OK);

        var platform = Assert.Single(body["data"]!.AsArray())!;
        Assert.Equal("warning", (string?)platform["status"]);
        Assert.Equal(1, (int)platform["retryCount"]!);
        Assert.NotNull(platform["nextAvailableAt"]);
        Assert.True((double)platform["backoffMs"]! > 0);
        Assert.Equal(500, (int?)platform["lastErrorCode"]);
        Assert.False(string.IsNullOrEmpty((string?)platform["lastError"]));
        Assert.NotNull(platform["lastCheckAt"]);
        Assert.Equal(1, (long)platform["successCount"]!);
        Assert.Equal(1, (long)platform["errorCount"]!);
    }

    [Fact]
    public async Task List_StatusFilter_ReturnsOnlyMatchingResources()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;
        await host.Gateway.ChatCompletionAsync(Request("ok"));

        var body = await admin.SendAsync(HttpMethod.Get, "admin/health?status=available", null, HttpStatusCode.OK);

        // The success marks the platform, the model "ok" and the key available; the other model stays unknown.
        Assert.Equal(["platform", "model", "key"], body["data"]!.AsArray().Select(d => (string)d!["kind"]!));
        Assert.Equal("ok", (string?)body["data"]![1]!["name"]);
    }

    [Theory]
    [InlineData("kind=keys", "kind")]
    [InlineData("status=broken", "status")]
    public async Task List_BadFilter_Returns400NamingIt(string query, string param)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, $"admin/health?{query}", null, HttpStatusCode.BadRequest, "invalid_value", param);
    }

    [Fact]
    public async Task Reset_All_ReturnsTheCountMakesEverythingUnknownAndSavesIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;
        await host.Gateway.ChatCompletionAsync(Request("ok"));
        await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(Request("broken")));

        var body = await admin.SendAsync(HttpMethod.Post, "admin/health/reset", null, HttpStatusCode.OK);

        Assert.Equal(4, (int)body["reset"]!);
        var health = await admin.SendAsync(HttpMethod.Get, "admin/health", null, HttpStatusCode.OK);
        Assert.All(health["data"]!.AsArray(), d => Assert.Equal("unknown", (string?)d!["status"]));
        var stored = await host.Repository().GetAllHealthAsync(CancellationToken.None);
        Assert.NotEmpty(stored);
        Assert.All(stored, s => Assert.Equal(HealthStatus.Unknown, s.Status));
    }

    [Fact]
    public async Task Reset_OneResourceByJsonBody_ResetsOnlyIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;
        await host.Gateway.ChatCompletionAsync(Request("ok"));
        var platformId = await host.PlatformIdAsync("m");

        var body = await admin.SendAsync(HttpMethod.Post, "admin/health/reset", $$"""{"kind":"platform","id":{{platformId}}}""", HttpStatusCode.OK);

        Assert.Equal(1, (int)body["reset"]!);
        Assert.Equal(HealthStatus.Unknown, host.Gateway.GetHealth(ResourceKind.Platform, platformId).Status);
        Assert.Contains(host.Gateway.GetAllHealth(), h => h.ResourceKind == ResourceKind.ApiKey && h.Status == HealthStatus.Available);
    }

    [Fact]
    public async Task Reset_OneKindByQuery_ResetsOnlyThatKind()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;
        await host.Gateway.ChatCompletionAsync(Request("ok"));

        var body = await admin.SendAsync(HttpMethod.Post, "admin/health/reset?kind=key", null, HttpStatusCode.OK);

        Assert.Equal(1, (int)body["reset"]!);
        Assert.All(host.Gateway.GetAllHealth(), h => Assert.Equal(h.ResourceKind == ResourceKind.ApiKey ? HealthStatus.Unknown : HealthStatus.Available, h.Status));
    }

    [Fact]
    public async Task Reset_IdWithoutKind_Returns400NamingKind()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/health/reset?id=1", null, HttpStatusCode.BadRequest, "missing_value", "kind");
    }

    [Theory]
    [InlineData("admin/health/reset?kind=planet", null, "kind", "invalid_value")]
    [InlineData("admin/health/reset?kind=key&id=x", null, "id", "invalid_value")]
    [InlineData("admin/health/reset", """{"kind":"key","id":-1}""", "id", "invalid_value")]
    [InlineData("admin/health/reset", """{"kind":"key","ids":[1]}""", "ids", "unknown_parameter")]
    [InlineData("admin/health/reset?kind=model", """{"kind":"key"}""", "kind", "invalid_value")]
    [InlineData("admin/health/reset?all=true", null, "all", "unknown_parameter")]
    public async Task Reset_BadParameter_Returns400NamingIt(string path, string? json, string param, string code)
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, path, json, HttpStatusCode.BadRequest, code, param);
    }

    [Fact]
    public async Task Reset_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync(Config);
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/health/reset?kind=model&id=999", null, HttpStatusCode.NotFound, "not_found", "id");
    }

    private static ChatCompletionRequest Request(string model) => new() { Model = model, Messages = [new ChatMessage("user", "hello")] };
}
