using System.Net;

namespace Portal.Server.Tests.Admin.Keys;

/// <summary>Keys are write-only: every response shows them masked, never the value.</summary>
public sealed class ApiKeyAdminTests
{
    private const string Secret = "sk-admin-test-0123456789abcdef";
    private const string OtherSecret = "sk-admin-other-9876543210fedcba";

    [Fact]
    public async Task Create_ValidKey_Returns201WithMaskedValueOnly()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();

        using var response = await admin.SendAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":{{platformId}},"value":"{{Secret}}"}""");
        var text = await response.Content.ReadAsStringAsync();
        var body = await response.ReadAsync(HttpStatusCode.Created);

        Assert.DoesNotContain(Secret, text);
        Assert.DoesNotContain("0123456789", text);
        Assert.Equal("sk-…cdef", (string?)body["maskedValue"]);
        Assert.Null(body["value"]);
        Assert.Equal("admin", (string?)body["source"]);
        var id = (long)body["id"]!;
        Assert.Equal($"/admin/keys/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(Secret, Assert.Single(await host.Repository().ListApiKeysAsync()).Value);
    }

    [Fact]
    public async Task EveryRead_ListGetUpdateHealth_NeverContainsTheValue()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateKeyAsync(platformId, Secret);

        var bodies = new List<string>();
        foreach (var (method, path, json) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, "admin/keys", null),
            (HttpMethod.Get, $"admin/keys?platformId={platformId}", null),
            (HttpMethod.Get, $"admin/keys/{id}", null),
            (HttpMethod.Put, $"admin/keys/{id}", """{"enabled":false}"""),
            (HttpMethod.Patch, $"admin/keys/{id}", $$"""{"value":"{{OtherSecret}}"}"""),
            (HttpMethod.Get, "admin/health", null),
            (HttpMethod.Get, "admin/health?kind=key", null),
        })
        {
            using var response = await admin.SendAsync(method, path, json);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {text}");
            bodies.Add(text);
        }

        foreach (var text in bodies)
        {
            Assert.DoesNotContain(Secret, text);
            Assert.DoesNotContain(OtherSecret, text);
            Assert.DoesNotContain("0123456789", text);
            Assert.DoesNotContain("9876543210", text);
        }

        Assert.DoesNotContain(host.Logs.GetSnapshot(), r => r.Message.Contains("0123456789") || r.Message.Contains("9876543210"));
        Assert.Contains("sk-…cdef", bodies[0]);
        Assert.Contains("sk-…dcba", bodies[5]);
        Assert.Contains("sk-…dcba", bodies[4]);
    }

    [Fact]
    public async Task Update_WithoutValue_KeepsTheSecret()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateKeyAsync(platformId, Secret);

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/keys/{id}", $$"""{"platformId":{{platformId}},"enabled":false}""", HttpStatusCode.OK);

        Assert.False((bool)body["enabled"]!);
        Assert.Equal("sk-…cdef", (string?)body["maskedValue"]);
        Assert.Equal(new ApiKey { Id = id, PlatformId = platformId, Value = Secret, Enabled = false }, Assert.Single(await host.Repository().ListApiKeysAsync()));
    }

    [Fact]
    public async Task Update_ReadObjectSentBack_KeepsTheSecret()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateKeyAsync(platformId, Secret);
        var read = await admin.SendAsync(HttpMethod.Get, $"admin/keys/{id}", null, HttpStatusCode.OK);
        read["enabled"] = false;

        await admin.SendAsync(HttpMethod.Put, $"admin/keys/{id}", read.ToJsonString(), HttpStatusCode.OK);

        Assert.Equal(Secret, Assert.Single(await host.Repository().ListApiKeysAsync()).Value);
    }

    [Fact]
    public async Task Update_WithValue_ReplacesTheSecretAndShowsItMasked()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateKeyAsync(platformId, Secret);

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/keys/{id}", $$"""{"value":"{{OtherSecret}}"}""", HttpStatusCode.OK);

        Assert.Equal("sk-…dcba", (string?)body["maskedValue"]);
        Assert.Equal(OtherSecret, Assert.Single(await host.Repository().ListApiKeysAsync()).Value);
    }

    [Fact]
    public async Task List_ConfigKey_ShowsSourceConfigAndMaskedValue()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/keys", null, HttpStatusCode.OK);

        var key = Assert.Single(body["data"]!.AsArray())!;
        Assert.Equal("config", (string?)key["source"]);
        Assert.Equal("…", (string?)key["maskedValue"]); // "k" is too short to show any of it
        Assert.Null(key["name"]);
    }

    [Fact]
    public async Task Create_MissingValue_Returns400()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();

        await admin.SendErrorAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":{{platformId}}}""", HttpStatusCode.BadRequest, "missing_value", "value");
    }

    [Fact]
    public async Task Create_ValueWithWhiteSpace_Returns400WithoutEchoingTheValue()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":{{platformId}},"value":"sk-secret 0123456789"}""",
            HttpStatusCode.BadRequest, "invalid_value", "value");

        Assert.DoesNotContain("0123456789", message);
        Assert.Empty(await host.Repository().ListApiKeysAsync());
    }

    [Fact]
    public async Task Create_MaskedValueSentBack_Returns400()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":{{platformId}},"value":"sk-…cdef"}""",
            HttpStatusCode.BadRequest, "invalid_value", "value");
        Assert.Contains("masked", message);
    }

    [Fact]
    public async Task Create_SameValueTwiceOnAPlatform_Returns409WithoutEchoingTheValue()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        await admin.CreateKeyAsync(platformId, Secret);

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":{{platformId}},"value":"{{Secret}}"}""",
            HttpStatusCode.Conflict, "conflict", "value");

        Assert.DoesNotContain("0123456789", message);
        Assert.Single(await host.Repository().ListApiKeysAsync());
    }

    [Fact]
    public async Task Create_UnknownPlatform_Returns400NamingPlatformId()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":3,"value":"{{Secret}}"}""", HttpStatusCode.BadRequest, "invalid_value", "platformId");
    }

    [Fact]
    public async Task Create_ThenChat_NextRequestUsesTheNewKey()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        await admin.CreateModelAsync(platformId, "y");
        var request = new Contracts.ChatCompletionRequest { Model = "y", Messages = [new Contracts.ChatMessage("user", "hello")] };
        var keyless = await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(request));
        Assert.Equal(PortalErrorCode.NoAvailableChannel, keyless.Code);

        var keyId = await admin.CreateKeyAsync(platformId, Secret);
        await host.Gateway.ChatCompletionAsync(request);

        var stat = Assert.Single(await host.Gateway.QueryStatsAsync(new StatsQuery()));
        Assert.Equal(keyId, stat.ApiKeyId);
    }

    [Fact]
    public async Task Get_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, "admin/keys/4", null, HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Update_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Put, "admin/keys/4", """{"enabled":false}""", HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Update_ValueTakenByAnotherKey_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        await admin.CreateKeyAsync(platformId, Secret);
        var other = await admin.CreateKeyAsync(platformId, OtherSecret);

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/keys/{other}", $$"""{"value":"{{Secret}}"}""", HttpStatusCode.Conflict, "conflict", "value");
    }

    [Fact]
    public async Task Delete_AdminKey_Returns200AndRemovesIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var platformId = await admin.CreatePlatformAsync();
        var id = await admin.CreateKeyAsync(platformId, Secret);

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/keys/{id}", null, HttpStatusCode.OK);

        Assert.Equal("key", (string?)body["object"]);
        Assert.Empty(await host.Repository().ListApiKeysAsync());
    }

    [Fact]
    public async Task Delete_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Delete, "admin/keys/4", null, HttpStatusCode.NotFound, "not_found", "id");
    }
}
