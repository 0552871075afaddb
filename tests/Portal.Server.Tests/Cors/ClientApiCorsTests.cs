using System.Net;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Cors;

public sealed class ClientApiCorsTests
{
    private const string ClientToken = "client-token-cors-0123456789";
    private const string AdminToken = "admin-token-cors-0123456789";
    private const string Allowed = "https://app.example.com";
    private const string Unlisted = "https://evil.example";

    // What the OpenAI JS SDK asks for before a chat completion.
    private const string SdkHeaders = "authorization,content-type,x-stainless-lang,x-stainless-os,x-stainless-retry-count";

    private static Task<GatewayHost> StartAsync(string[] origins, bool clientTokens = true) => GatewayHost.StartAsync(o =>
    {
        o.PortalJson = MockConfig();
        if (clientTokens)
        {
            o.ClientTokens.Add(ClientToken);
            o.AdminToken = AdminToken;
        }

        for (var i = 0; i < origins.Length; i++)
        {
            o.Settings[$"Portal:Cors:AllowedOrigins:{i}"] = origins[i];
        }
    });

    [Theory]
    [InlineData("v1/chat/completions", "POST")]
    [InlineData("v1/models", "GET")]
    [InlineData("v1/models/mock-1", "GET")]
    [InlineData("V1/chat/completions", "POST")]
    public async Task Preflight_AllowedOrigin_Returns204WithAllowHeadersAndNeedsNoToken(string path, string method)
    {
        await using var host = await StartAsync(origins: [Allowed, "http://localhost:5173"]);

        using var response = await host.Client.SendAsync(Preflight(path, Allowed, method));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
        Assert.Contains(method, Header(response, "Access-Control-Allow-Methods")!.Split(','));
        var allowedHeaders = Header(response, "Access-Control-Allow-Headers")!.Split(',').Select(h => h.Trim().ToLowerInvariant()).ToList();
        Assert.All(SdkHeaders.Split(','), h => Assert.Contains(h, allowedHeaders));
        Assert.Equal("600", Header(response, "Access-Control-Max-Age"));
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Preflight_OtherMethod_IsNotAmongTheAllowedMethods()
    {
        await using var host = await StartAsync(origins: [Allowed]);

        using var response = await host.Client.SendAsync(Preflight("v1/models", Allowed, "DELETE"));

        Assert.Equal(["GET", "POST"], Header(response, "Access-Control-Allow-Methods")!.Split(','));
    }

    [Fact]
    public async Task Preflight_AnyOriginListed_AllowsEveryOrigin()
    {
        await using var host = await StartAsync(origins: ["*"]);

        using var preflight = await host.Client.SendAsync(Preflight("v1/chat/completions", Unlisted, "POST"));
        using var request = await host.CreateClient(ClientToken).SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Get, "v1/models"), Unlisted));

        Assert.Equal(HttpStatusCode.NoContent, preflight.StatusCode);
        Assert.Equal("*", Header(preflight, "Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, request.StatusCode);
        Assert.Equal("*", Header(request, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Preflight_OriginListedInOtherCaseWithDefaultPort_MatchesTheBrowsersOrigin()
    {
        await using var host = await StartAsync(origins: ["HTTPS://App.Example.com:443"]);

        using var response = await host.Client.SendAsync(Preflight("v1/chat/completions", Allowed, "POST"));

        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Request_AllowedOrigin_GetsAllowOriginAndExposesRetryAfterAndRequestId(bool stream)
    {
        await using var host = await StartAsync(origins: [Allowed]);
        var client = host.CreateClient(ClientToken);

        using var chat = await client.SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("mock-1", stream)) }, Allowed));
        using var models = await client.SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Get, "v1/models"), Allowed));

        foreach (var response in new[] { chat, models })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
            var exposed = Header(response, "Access-Control-Expose-Headers")!.Split(',').Select(h => h.Trim()).ToList();
            Assert.Contains("Retry-After", exposed);
            Assert.Contains("X-Request-Id", exposed);
            Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
        }
    }

    [Fact]
    public async Task Request_AllowedOriginWithoutToken_Returns401ThePageCanRead()
    {
        await using var host = await StartAsync(origins: [Allowed]);

        using var response = await host.Client.SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("mock-1")) }, Allowed));

        await AssertErrorAsync(response, 401, "authentication_error", "invalid_api_key");
        Assert.Equal(Allowed, Header(response, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Preflight_UnlistedOrigin_GetsNoAllowOrigin()
    {
        await using var host = await StartAsync(origins: [Allowed]);

        using var response = await host.Client.SendAsync(Preflight("v1/chat/completions", Unlisted, "POST"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        AssertNoCorsHeaders(response);
    }

    [Theory]
    [InlineData(ClientToken, HttpStatusCode.OK)]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    public async Task Request_UnlistedOrigin_GetsNoAllowOriginAndFollowsAuthRules(string? token, HttpStatusCode expected)
    {
        await using var host = await StartAsync(origins: [Allowed]);

        using var response = await host.CreateClient(token).SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Get, "v1/models"), Unlisted));

        Assert.Equal(expected, response.StatusCode);
        AssertNoCorsHeaders(response);
    }

    public static TheoryData<string, string?> NonClientPaths() => new()
    {
        { "/admin/platforms", null },
        { "/admin/platforms", AdminToken },
        { "/ADMIN/platforms", AdminToken },
        { "/v1/..%2Fadmin/platforms", AdminToken },
        { "/admin/no-such-route", AdminToken },
        { "/healthz", null },
        { "/readyz", null },
        { "/metrics", null },
        { "/openapi/v1.json", null },
        { "/v2/models", ClientToken },
    };

    [Theory]
    [MemberData(nameof(NonClientPaths))]
    public async Task AdminAndPublicPaths_AllowedOrigin_NeverGetCorsHeaders(string path, string? token)
    {
        await using var host = await StartAsync(origins: [Allowed, "*"]);
        string[] authorization = token is null ? [] : [$"Authorization: Bearer {token}"];

        using var preflight = await RawHttp.SendAsync(host, "OPTIONS", path,
            [$"Origin: {Allowed}", "Access-Control-Request-Method: GET", "Access-Control-Request-Headers: authorization"]);
        using var request = await RawHttp.SendAsync(host, "GET", path, [$"Origin: {Allowed}", .. authorization]);

        AssertNoCorsHeaders(preflight);
        AssertNoCorsHeaders(request);
        Assert.NotEqual(HttpStatusCode.NoContent, preflight.StatusCode);
        if (token == AdminToken && path.StartsWith("/admin/platforms", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Equal(HttpStatusCode.OK, request.StatusCode);
        }
    }

    [Fact]
    public async Task NoClientTokens_ListedOrigin_StillRefusedAndWarnedAtStart()
    {
        await using var host = await StartAsync(clientTokens: false, origins: [Allowed]);

        using var preflight = await host.Client.SendAsync(Preflight("v1/chat/completions", Allowed, "POST"));
        using var request = await host.Client.SendAsync(WithOrigin(new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("mock-1")) }, Allowed));

        await AssertErrorAsync(preflight, 403, "permission_error", "non_local_request");
        await AssertErrorAsync(request, 403, "permission_error", "non_local_request");
        AssertNoCorsHeaders(preflight);
        AssertNoCorsHeaders(request);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 2018 && r.Message.Contains("Portal:Cors:AllowedOrigins", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientTokens_ListedOrigins_LoggedAtStart()
    {
        await using var host = await StartAsync(origins: [Allowed, "http://localhost:5173"]);

        var record = Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == 2017);
        Assert.Contains($"{Allowed}, http://localhost:5173", record.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://app.example.com/")]
    [InlineData("https://app.example.com/chat")]
    [InlineData("https://app.example.com?x=1")]
    [InlineData("https://app.example.com#top")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("null")]
    [InlineData("https://*.example.com")]
    [InlineData("https://user@app.example.com")]
    [InlineData("https://app.example.com ")]
    [InlineData(" ")]
    public async Task Start_InvalidOrigin_FailsNamingTheSetting(string origin)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(origins: [Allowed, origin]));

        Assert.Contains("Portal:Cors:AllowedOrigins:1: ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AllowedOrigins:0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_UnknownCorsSetting_Fails()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => GatewayHost.StartAsync(o => o.Settings["Portal:Cors:AllowedOrigin:0"] = Allowed));

        Assert.Contains("AllowedOrigin", ex.Message, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Preflight(string path, string origin, string method)
    {
        var request = WithOrigin(new HttpRequestMessage(HttpMethod.Options, path), origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", SdkHeaders);
        return request;
    }

    private static HttpRequestMessage WithOrigin(HttpRequestMessage request, string origin)
    {
        request.Headers.TryAddWithoutValidation("Origin", origin);
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static void AssertNoCorsHeaders(HttpResponseMessage response)
    {
        var cors = response.Headers.Select(h => h.Key).Where(h => h.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(cors.Count == 0, $"Unexpected CORS headers on {(int)response.StatusCode}: {string.Join(", ", cors)}");
    }
}
