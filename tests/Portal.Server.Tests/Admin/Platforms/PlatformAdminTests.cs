using System.Net;

namespace Portal.Server.Tests.Admin.Platforms;

public sealed class PlatformAdminTests
{
    [Fact]
    public async Task Create_ValidPlatform_Returns201WithStoredFieldsAndLocation()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        using var response = await admin.SendAsync(HttpMethod.Post, "admin/platforms",
            """{"name":"openai","format":"OpenAI","baseUrl":"https://api.openai.com/v1","rateLimit":{"rpm":60},"enabled":false}""");
        var body = await response.ReadAsync(HttpStatusCode.Created);

        var id = (long)body["id"]!;
        Assert.True(id > 0);
        Assert.Equal($"/admin/platforms/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal("openai", (string?)body["name"]);
        Assert.Equal("openai", (string?)body["format"]); // canonical spelling
        Assert.Equal("https://api.openai.com/v1", (string?)body["baseUrl"]);
        Assert.Equal(60, (int?)body["rateLimit"]!["rpm"]);
        Assert.Null(body["rateLimit"]!["tpm"]);
        Assert.False((bool)body["enabled"]!);
        Assert.Equal("admin", (string?)body["source"]);
        Assert.Null(body["warning"]);
        Assert.True(body.AsObject().ContainsKey("apiVersion") && body["apiVersion"] is null); // the format's default
        Assert.True(body.AsObject().ContainsKey("defaultMaxTokens") && body["defaultMaxTokens"] is null);

        var stored = Assert.Single(await host.Repository().ListPlatformsAsync());
        Assert.Equal(new Platform { Id = id, Name = "openai", Format = "openai", BaseUrl = "https://api.openai.com/v1", RateLimit = new RateLimit { Rpm = 60 }, Enabled = false }, stored);
    }

    [Fact]
    public async Task Create_WithApiVersionAndDefaultMaxTokens_StoresAndShowsThem()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Post, "admin/platforms",
            """{"name":"p","format":"openai","baseUrl":"https://p.example","apiVersion":"2023-06-01","defaultMaxTokens":8192}""", HttpStatusCode.Created);
        var id = (long)body["id"]!;
        var read = await admin.SendAsync(HttpMethod.Get, $"admin/platforms/{id}", null, HttpStatusCode.OK);

        Assert.Equal(("2023-06-01", 8192), ((string?)body["apiVersion"], (int?)body["defaultMaxTokens"]));
        Assert.Equal(("2023-06-01", 8192), ((string?)read["apiVersion"], (int?)read["defaultMaxTokens"]));
        var stored = Assert.Single(await host.Repository().ListPlatformsAsync());
        Assert.Equal(("2023-06-01", (int?)8192), (stored.ApiVersion, stored.DefaultMaxTokens));
    }

    [Fact]
    public async Task Create_EmptyApiVersion_StoresNone()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Post, "admin/platforms",
            """{"name":"p","format":"mock","baseUrl":"mock://local","apiVersion":"","defaultMaxTokens":null}""", HttpStatusCode.Created);

        Assert.Null(body["apiVersion"]);
        Assert.Null(Assert.Single(await host.Repository().ListPlatformsAsync()).ApiVersion);
    }

    [Fact]
    public async Task List_ConfigAndAdminRows_ShowsEachWithItsSource()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var adminId = await admin.CreatePlatformAsync("extra");

        var body = await admin.SendAsync(HttpMethod.Get, "admin/platforms", null, HttpStatusCode.OK);

        Assert.Equal("list", (string?)body["object"]);
        var data = body["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        Assert.Equal(("m", "config"), ((string)data[0]!["name"]!, (string)data[0]!["source"]!));
        Assert.Equal(("extra", "admin"), ((string)data[1]!["name"]!, (string)data[1]!["source"]!));
        Assert.Equal(adminId, (long)data[1]!["id"]!);
    }

    [Fact]
    public async Task Get_ExistingPlatform_ReturnsIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;
        var id = await host.PlatformIdAsync("m");

        var body = await admin.SendAsync(HttpMethod.Get, $"admin/platforms/{id}", null, HttpStatusCode.OK);

        Assert.Equal(id, (long)body["id"]!);
        Assert.Equal("mock", (string?)body["format"]);
        Assert.Equal("config", (string?)body["source"]);
        Assert.Null(body["rateLimit"]);
    }

    [Fact]
    public async Task Get_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Get, "admin/platforms/999", null, HttpStatusCode.NotFound, "not_found", "id");
        Assert.Contains("999", message);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-3")]
    public async Task Get_IdNotAPositiveInteger_Returns400NamingId(string id)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, $"admin/platforms/{id}", null, HttpStatusCode.BadRequest, "invalid_value", "id");
    }

    [Fact]
    public async Task List_UnknownQueryParameter_Returns400NamingIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, "admin/platforms?nmae=x", null, HttpStatusCode.BadRequest, "unknown_parameter", "nmae");
    }

    [Theory]
    [InlineData("""{"format":"mock","baseUrl":"mock://local"}""", "name", "missing_value")]
    [InlineData("""{"name":"","format":"mock","baseUrl":"mock://local"}""", "name", "invalid_value")]
    [InlineData("""{"name":" padded","format":"mock","baseUrl":"mock://local"}""", "name", "invalid_value")]
    [InlineData("""{"name":"p","baseUrl":"mock://local"}""", "format", "missing_value")]
    [InlineData("""{"name":"p","format":"gemini-ish","baseUrl":"https://x"}""", "format", "invalid_value")]
    [InlineData("""{"name":"p","format":"openai"}""", "baseUrl", "missing_value")]
    [InlineData("""{"name":"p","format":"openai","baseUrl":"/v1"}""", "baseUrl", "invalid_value")]
    [InlineData("""{"name":"p","format":"openai","baseUrl":"mock://local"}""", "baseUrl", "invalid_value")]
    [InlineData("""{"name":"p","format":"openai","baseUrl":"ftp://host"}""", "baseUrl", "invalid_value")]
    [InlineData("""{"name":"p","format":"mock","baseUrl":"mock://local","rateLimit":{"rpm":0}}""", "rateLimit.rpm", "invalid_value")]
    [InlineData("""{"name":"p","format":"mock","baseUrl":"mock://local","rateLimit":{"tpm":-5}}""", "rateLimit.tpm", "invalid_value")]
    [InlineData("""{"name":"p","format":"mock","baseUrl":"mock://local","enabled":"yes"}""", "enabled", "invalid_value")]
    [InlineData("""{"name":"p","format":"mock","baseUrl":"mock://local","rateLimit":{"rpm":"ten"}}""", "rateLimit.rpm", "invalid_value")]
    [InlineData("""{"name":42,"format":"mock","baseUrl":"mock://local"}""", "name", "invalid_value")]
    [InlineData("""{"name":"p","format":"mock","baseURL":"mock://local"}""", "baseURL", "unknown_parameter")]
    [InlineData("""{"name":"p","format":"mock","baseUrl":"mock://local","rateLimit":{"rps":1}}""", "rateLimit.rps", "unknown_parameter")]
    [InlineData("""{"name":"p","format":"mock","baseUrl":"mock://local","apiversion":"2023-06-01"}""", "apiversion", "unknown_parameter")]
    public async Task Create_InvalidField_Returns400NamingTheField(string json, string param, string code)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", json, HttpStatusCode.BadRequest, code, param);

        Assert.Contains(param, message);
        Assert.Empty(await host.Repository().ListPlatformsAsync());
    }

    /// <summary>Each rule of apiVersion and defaultMaxTokens, with the message the client gets; the platform is not created.</summary>
    [Theory]
    [InlineData("""
        "apiVersion":"1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890x"
        """, "apiVersion", "'apiVersion' is longer than 100 characters.")]
    [InlineData("""
        "apiVersion":"2023-06-01\r\nx-injected: 1"
        """, "apiVersion", "'apiVersion' contains a control character (U+000D).")]
    [InlineData("""
        "apiVersion":"2023\u000006-01"
        """, "apiVersion", "'apiVersion' contains a control character (U+0000).")]
    [InlineData("""
        "apiVersion":" 2023-06-01"
        """, "apiVersion", "'apiVersion' starts or ends with white space.")]
    [InlineData("""
        "apiVersion":20230601
        """, "apiVersion", "'apiVersion' has a value of the wrong type")]
    [InlineData("""
        "defaultMaxTokens":0
        """, "defaultMaxTokens", "'defaultMaxTokens' must be at least 1 (or null for the default, 4096); it is 0.")]
    [InlineData("""
        "defaultMaxTokens":-5
        """, "defaultMaxTokens", "'defaultMaxTokens' must be at least 1 (or null for the default, 4096); it is -5.")]
    [InlineData("""
        "defaultMaxTokens":1.5
        """, "defaultMaxTokens", "'defaultMaxTokens' has a value of the wrong type")]
    [InlineData("""
        "defaultMaxTokens":"4096"
        """, "defaultMaxTokens", "'defaultMaxTokens' has a value of the wrong type")]
    [InlineData("""
        "defaultMaxTokens":3000000000
        """, "defaultMaxTokens", "'defaultMaxTokens' has a value of the wrong type")]
    public async Task Create_InvalidApiVersionOrDefaultMaxTokens_Returns400WithTheRule(string field, string param, string expected)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", $$"""{"name":"p","format":"mock","baseUrl":"mock://local",{{field}}}""",
            HttpStatusCode.BadRequest, "invalid_value", param);

        Assert.StartsWith(expected, message, StringComparison.Ordinal);
        Assert.Empty(await host.Repository().ListPlatformsAsync());
    }

    [Fact]
    public async Task Create_ApiVersionOf100Characters_IsAccepted()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var version = new string('1', 100);

        var body = await admin.SendAsync(HttpMethod.Post, "admin/platforms",
            $$"""{"name":"p","format":"mock","baseUrl":"mock://local","apiVersion":"{{version}}","defaultMaxTokens":1}""", HttpStatusCode.Created);

        Assert.Equal((version, 1), ((string?)body["apiVersion"], (int?)body["defaultMaxTokens"]));
    }

    [Fact]
    public async Task Create_MisspelledProperty_SuggestsTheRightName()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", """{"name":"p","format":"mock","baseURL":"mock://local"}""",
            HttpStatusCode.BadRequest, "unknown_parameter", "baseURL");

        Assert.Contains("did you mean 'baseUrl'", message);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("null")]
    public async Task Create_BodyNotAJsonObject_Returns400InvalidJson(string json)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", json, HttpStatusCode.BadRequest, "invalid_json", "body");
    }

    [Theory]
    [InlineData("{\"\\ud800\":1}")]
    [InlineData("{\"name\":\"\\ud800\",\"format\":\"mock\",\"baseUrl\":\"mock://local\"}")]
    [InlineData("{\"rateLimit\":{\"\\udc00x\":1}}")]
    [InlineData("{\"name\":\"a\\ude00\\ud83d\",\"format\":\"mock\",\"baseUrl\":\"mock://local\"}")]
    public async Task Create_LoneSurrogateInNameOrValue_Returns400InvalidJson(string json)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", json, HttpStatusCode.BadRequest, "invalid_json", "body");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Create_InvalidUtf8InNameOrValue_Returns400InvalidJson(bool inPropertyName)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var json = inPropertyName ? "{\"na__\":\"p\"}" : "{\"name\":\"p__\",\"format\":\"mock\",\"baseUrl\":\"mock://local\"}";
        var bytes = System.Text.Encoding.UTF8.GetBytes(json);
        var at = Array.IndexOf(bytes, (byte)'_');
        bytes[at] = 0xFF; // never valid in UTF-8
        bytes[at + 1] = 0xFE;
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await admin.PostAsync("admin/platforms", content);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "invalid_json", "body");
    }

    [Fact]
    public async Task Create_HugeUnknownPropertyName_EchoedCut()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var name = new string('x', 60_000); // under the admin API's 64 KB body limit

        using var response = await admin.SendAsync(HttpMethod.Post, "admin/platforms", "{\"" + name + "\":1}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(text.Length < 2_000, $"The error body is {text.Length} characters long.");
        Assert.Contains(new string('x', 256) + "…", text, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 257), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_EmptyBody_Returns400MissingValue()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", "", HttpStatusCode.BadRequest, "missing_value", "body");
    }

    [Fact]
    public async Task Create_DuplicateName_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", """{"name":"m","format":"mock","baseUrl":"mock://local"}""",
            HttpStatusCode.Conflict, "conflict", "name");

        Assert.Contains("'m'", message);
        Assert.Single(await host.Repository().ListPlatformsAsync());
    }

    [Fact]
    public async Task Update_PartialBody_ChangesOnlyTheGivenFields()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync("p1", "openai", "https://one.example");
        await admin.SendAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"rateLimit":{"rpm":5,"tpm":1000}}""", HttpStatusCode.OK);

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"baseUrl":"https://two.example","enabled":false}""", HttpStatusCode.OK);

        Assert.Equal("p1", (string?)body["name"]);
        Assert.Equal("https://two.example", (string?)body["baseUrl"]);
        Assert.False((bool)body["enabled"]!);
        Assert.Equal(5, (int?)body["rateLimit"]!["rpm"]);
        Assert.Null(body["warning"]);
        var stored = Assert.Single(await host.Repository().ListPlatformsAsync());
        Assert.Equal(new Platform { Id = id, Name = "p1", Format = "openai", BaseUrl = "https://two.example", RateLimit = new RateLimit { Rpm = 5, Tpm = 1000 }, Enabled = false }, stored);
    }

    [Fact]
    public async Task Patch_NullRateLimit_RemovesTheLimit()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        await admin.SendAsync(HttpMethod.Patch, $"admin/platforms/{id}", """{"rateLimit":{"rpm":5}}""", HttpStatusCode.OK);

        var body = await admin.SendAsync(HttpMethod.Patch, $"admin/platforms/{id}", """{"rateLimit":null}""", HttpStatusCode.OK);

        Assert.Null(body["rateLimit"]);
        Assert.Equal(new RateLimit(), Assert.Single(await host.Repository().ListPlatformsAsync()).RateLimit);
    }

    [Fact]
    public async Task Patch_ApiVersionAndDefaultMaxTokens_ChangedKeptWhenLeftOutAndRemovedByNull()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();

        var set = await admin.SendAsync(HttpMethod.Patch, $"admin/platforms/{id}", """{"apiVersion":"2023-06-01","defaultMaxTokens":2048}""", HttpStatusCode.OK);
        var kept = await admin.SendAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"enabled":false}""", HttpStatusCode.OK);
        var stored = Assert.Single(await host.Repository().ListPlatformsAsync());

        Assert.Equal(("2023-06-01", 2048), ((string?)set["apiVersion"], (int?)set["defaultMaxTokens"]));
        Assert.Equal(("2023-06-01", 2048), ((string?)kept["apiVersion"], (int?)kept["defaultMaxTokens"]));
        Assert.Equal(("2023-06-01", (int?)2048, false), (stored.ApiVersion, stored.DefaultMaxTokens, stored.Enabled));

        var removed = await admin.SendAsync(HttpMethod.Patch, $"admin/platforms/{id}", """{"apiVersion":null,"defaultMaxTokens":null}""", HttpStatusCode.OK);

        Assert.Null(removed["apiVersion"]);
        Assert.Null(removed["defaultMaxTokens"]);
        stored = Assert.Single(await host.Repository().ListPlatformsAsync());
        Assert.Equal(((string?)null, (int?)null), (stored.ApiVersion, stored.DefaultMaxTokens));
    }

    [Fact]
    public async Task Update_InvalidDefaultMaxTokens_Returns400AndChangesNothing()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        await admin.SendAsync(HttpMethod.Patch, $"admin/platforms/{id}", """{"defaultMaxTokens":2048}""", HttpStatusCode.OK);
        var before = Assert.Single(await host.Repository().ListPlatformsAsync());

        await admin.SendErrorAsync(HttpMethod.Patch, $"admin/platforms/{id}", """{"apiVersion":"2023-06-01","defaultMaxTokens":0}""", HttpStatusCode.BadRequest, "invalid_value", "defaultMaxTokens");

        Assert.Equal(before, Assert.Single(await host.Repository().ListPlatformsAsync()));
    }

    [Fact]
    public async Task Update_InvalidApiVersion_Returns400AndChangesNothing()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        var before = Assert.Single(await host.Repository().ListPlatformsAsync());

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"apiVersion":"2023-06-01\n","defaultMaxTokens":100}""", HttpStatusCode.BadRequest, "invalid_value", "apiVersion");

        Assert.Equal(before, Assert.Single(await host.Repository().ListPlatformsAsync()));
    }

    [Fact]
    public async Task Update_ObjectReadBack_IgnoresReadOnlyFieldsAndAppliesTheChange()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        var read = await admin.SendAsync(HttpMethod.Get, $"admin/platforms/{id}", null, HttpStatusCode.OK);
        read["name"] = "renamed";

        var body = await admin.SendAsync(HttpMethod.Put, $"admin/platforms/{id}", read.ToJsonString(), HttpStatusCode.OK);

        Assert.Equal("renamed", (string?)body["name"]);
        Assert.Equal("admin", (string?)body["source"]);
    }

    [Fact]
    public async Task Update_FormatChangeInvalidForCurrentUrl_Returns400NamingBaseUrl()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync("p1", "mock", "mock://local");

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"format":"openai"}""", HttpStatusCode.BadRequest, "invalid_value", "baseUrl");
    }

    [Fact]
    public async Task Update_InvalidField_Returns400AndChangesNothing()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        var before = Assert.Single(await host.Repository().ListPlatformsAsync());

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/platforms/{id}", """{"name":"ok","rateLimit":{"rpm":0}}""", HttpStatusCode.BadRequest, "invalid_value", "rateLimit.rpm");

        Assert.Equal(before, Assert.Single(await host.Repository().ListPlatformsAsync()));
    }

    [Fact]
    public async Task Update_NameTakenByAnotherPlatform_Returns409()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        await admin.CreatePlatformAsync("a");
        var b = await admin.CreatePlatformAsync("b");

        await admin.SendErrorAsync(HttpMethod.Put, $"admin/platforms/{b}", """{"name":"a"}""", HttpStatusCode.Conflict, "conflict", "name");
    }

    [Fact]
    public async Task Update_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Put, "admin/platforms/42", """{"name":"x"}""", HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Delete_EmptyPlatform_Returns200AndRemovesIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/platforms/{id}", null, HttpStatusCode.OK);

        Assert.Equal(id, (long)body["id"]!);
        Assert.Equal("platform", (string?)body["object"]);
        Assert.True((bool)body["deleted"]!);
        Assert.Null(body["warning"]);
        Assert.Empty(await host.Repository().ListPlatformsAsync());
        await admin.SendErrorAsync(HttpMethod.Get, $"admin/platforms/{id}", null, HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Delete_PlatformWithModelsAndKeys_Returns409PlatformInUse()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        await admin.CreateModelAsync(id, "x");
        await admin.CreateKeyAsync(id, "sk-test-0123456789abcdef");

        var message = await admin.SendErrorAsync(HttpMethod.Delete, $"admin/platforms/{id}", null, HttpStatusCode.Conflict, "platform_in_use", "cascade");

        Assert.Contains("1 model(s) and 1 key(s)", message);
        Assert.Single(await host.Repository().ListPlatformsAsync());
    }

    [Fact]
    public async Task Delete_WithCascade_DeletesThePlatformWithItsModelsAndKeys()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();
        await admin.CreateModelAsync(id, "x");
        await admin.CreateModelAsync(id, "y");
        await admin.CreateKeyAsync(id, "sk-test-0123456789abcdef");

        var body = await admin.SendAsync(HttpMethod.Delete, $"admin/platforms/{id}?cascade=true", null, HttpStatusCode.OK);

        Assert.Equal(2, (int?)body["deletedModels"]);
        Assert.Equal(1, (int?)body["deletedKeys"]);
        Assert.Empty(await host.Repository().ListPlatformsAsync());
        Assert.Empty(await host.Repository().ListModelsAsync());
        Assert.Empty(await host.Repository().ListApiKeysAsync());
    }

    [Fact]
    public async Task Delete_UnknownId_Returns404()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Delete, "admin/platforms/7", null, HttpStatusCode.NotFound, "not_found", "id");
    }

    [Fact]
    public async Task Delete_CascadeNotABoolean_Returns400NamingCascade()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;
        var id = await admin.CreatePlatformAsync();

        await admin.SendErrorAsync(HttpMethod.Delete, $"admin/platforms/{id}?cascade=yes", null, HttpStatusCode.BadRequest, "invalid_value", "cascade");
        Assert.Single(await host.Repository().ListPlatformsAsync());
    }
}
