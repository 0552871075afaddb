using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Portal.Server.Auth;
using Portal.Server.Admin;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Auth;

public sealed class AuthTests
{
    private const string ClientToken = "client-token-0123456789";
    private const string AdminToken = "admin-token-0123456789";

    private static Task<GatewayHost> StartSecuredAsync(bool admin = true) => GatewayHost.StartAsync(o =>
    {
        o.PortalJson = MockConfig();
        o.ClientTokens.Add("other-client-token-1");
        o.ClientTokens.Add(ClientToken);
        o.AdminToken = admin ? AdminToken : null;
        o.MapEndpoints = app =>
        {
            app.MapGet("/v1/admin-only", () => "secret").WithMetadata(AdminOnlyMetadata.Instance);
            app.MapMethods("/admin/probe", ["GET", "POST", "HEAD", "OPTIONS", "DELETE"], () => Results.Text("admin ok"));
        };
    });

    [Theory]
    [InlineData(ClientToken)]
    [InlineData(AdminToken)]
    public async Task Client_ValidToken_IsServed(string token)
    {
        await using var host = await StartSecuredAsync();
        using var response = await host.CreateClient(token).PostChatAsync(ChatJson("mock-1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer " + ClientToken + "x")]
    [InlineData("Basic " + ClientToken)]
    [InlineData("Bearer")]
    [InlineData("bearer")]
    public async Task Client_MissingOrBadToken_Returns401WithSameBody(string? authorization)
    {
        await using var host = await StartSecuredAsync();
        using var response = await host.Client.SendAsync(Request(HttpMethod.Post, "v1/chat/completions", authorization, Json(ChatJson("mock-1"))));

        var error = await AssertErrorAsync(response, 401, "authentication_error", "invalid_api_key");
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal("A valid token is required: send Authorization: Bearer <token> (or x-api-key: <token>).", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Client_SchemeInAnyCase_IsAccepted()
    {
        await using var host = await StartSecuredAsync();
        using var response = await host.Client.SendAsync(Request(HttpMethod.Get, "v1/models", "bEaReR " + ClientToken));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task UnknownRoute_NoToken_Returns401NotFound()
    {
        await using var host = await StartSecuredAsync();
        using var response = await host.Client.GetAsync("v1/secret-route");
        await AssertErrorAsync(response, 401, "authentication_error");
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("readyz")]
    [InlineData("metrics")]
    [InlineData("openapi/v1.json")]
    public async Task PublicEndpoint_NoToken_IsServed(string path)
    {
        await using var host = await StartSecuredAsync();
        using var response = await host.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string, string> AdminPathsAndMethods()
    {
        var data = new TheoryData<string, string>();
        foreach (var path in new[] { "/admin/probe", "/ADMIN/probe", "/Admin/probe/", "/admin/", "/admin", "/admin/../admin/probe", "/admin%2Fprobe", "/x/..%2Fadmin/probe", "//admin/probe", "/admin./probe", "/admin/no-such-route" })
        {
            foreach (var method in new[] { "GET", "POST", "HEAD", "OPTIONS", "DELETE" })
            {
                data.Add(path, method);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AdminPathsAndMethods))]
    public async Task Admin_ClientToken_Returns403(string path, string method)
    {
        await using var host = await StartSecuredAsync();
        using var response = await SendRawPathAsync(host, method, path, "Bearer " + ClientToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        if (method != "HEAD")
        {
            await AssertErrorAsync(response, 403, "permission_error", "admin_token_required");
        }
    }

    [Theory]
    [InlineData("/admin/probe", null)]
    [InlineData("/ADMIN/probe", "Bearer nope")]
    [InlineData("/admin/../admin/probe", null)]
    [InlineData("/admin%2Fprobe", "Bearer nope")]
    public async Task Admin_NoOrBadToken_Returns401(string path, string? authorization)
    {
        await using var host = await StartSecuredAsync();
        using var response = await SendRawPathAsync(host, "GET", path, authorization);
        await AssertErrorAsync(response, 401, "authentication_error", "invalid_api_key");
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task Admin_AdminToken_IsServed()
    {
        await using var host = await StartSecuredAsync();
        using var response = await host.CreateClient(AdminToken).GetAsync("admin/probe");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("admin ok", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AdminOnlyEndpoint_OutsideAdminPath_ClientToken_Returns403()
    {
        await using var host = await StartSecuredAsync();
        using var forbidden = await host.CreateClient(ClientToken).GetAsync("v1/admin-only");
        await AssertErrorAsync(forbidden, 403, "permission_error", "admin_token_required");

        using var allowed = await host.CreateClient(AdminToken).GetAsync("v1/admin-only");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(ClientToken)]
    public async Task Admin_NoAdminTokenConfigured_Returns403Disabled(string? token)
    {
        await using var host = await StartSecuredAsync(admin: false);
        using var response = await host.CreateClient(token).GetAsync("admin/probe");
        var error = await AssertErrorAsync(response, 403, "permission_error", "admin_api_disabled");
        Assert.Contains("Portal:Auth:AdminToken", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task NoTokensConfigured_ClientAndAdminApisAreOpenOnLoopback()
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = MockConfig();
            o.MapEndpoints = app => app.MapGet("/admin/probe", () => "admin ok");
        });

        using var chat = await host.Client.PostChatAsync(ChatJson("mock-1"));
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        using var admin = await host.Client.GetAsync("admin/probe");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 2012);
    }

    [Theory]
    [InlineData("Origin", "https://evil.example")]
    [InlineData("Origin", "null")]
    [InlineData("Host", "evil.example")]
    public async Task NoTokensConfigured_RequestFromAnotherOrigin_Returns403(string header, string value)
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        using var request = Request(HttpMethod.Post, "v1/chat/completions", content: Json(ChatJson("mock-1")));
        if (header == "Host")
        {
            request.Headers.Host = value;
        }
        else
        {
            request.Headers.TryAddWithoutValidation(header, value);
        }

        using var response = await host.Client.SendAsync(request);
        await AssertErrorAsync(response, 403, "permission_error", "non_local_request");
    }

    [Fact]
    public async Task NoTokensConfigured_LoopbackOrigin_IsServed()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        using var request = Request(HttpMethod.Get, "v1/models");
        request.Headers.TryAddWithoutValidation("Origin", "http://localhost:3000");
        using var response = await host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("urls", "http://0.0.0.0:0")]
    [InlineData("urls", "http://127.0.0.1:0;http://*:0")]
    [InlineData("urls", "http://+:0")]
    [InlineData("urls", "http://192.168.1.20:0")]
    [InlineData("urls", "http://gateway.example:0")]
    [InlineData("Kestrel:Endpoints:Public:Url", "http://[::]:0")]
    [InlineData("http_ports", "0")]
    public async Task Start_NoClientTokensAndNonLoopbackAddress_Refuses(string key, string value)
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => GatewayHost.StartAsync(o => o.Settings[key] = value));
        Assert.Contains("Portal:Auth:ClientTokens", ex.Message);
        Assert.Contains("Refusing to start", ex.Message);
    }

    [Fact]
    public void CheckConfigured_ClientTokensAndNonLoopbackAddress_DoesNotRefuse()
    {
        // Checked without binding: tests listen on 127.0.0.1 only.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://0.0.0.0:8080",
            ["Portal:Auth:ClientTokens:0"] = ClientToken,
        }).Build();
        var auth = new AuthOptions();
        auth.ClientTokens.Add(ClientToken);
        ListenGuard.CheckConfigured(configuration, new TokenAuthenticator(Options.Create(auth)));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://127.1.2.3:8080", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("http://localhost:8080", true)]
    [InlineData("https://LOCALHOST:8443", true)]
    [InlineData("http://unix:/run/portal.sock", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://10.1.2.3:8080", false)]
    [InlineData("http://example.com:8080", false)]
    [InlineData("not a url", false)]
    public void IsLoopback_Address_Classified(string address, bool loopback)
    {
        Assert.Equal(loopback, ListenAddresses.IsLoopback(address));
    }

    [Fact]
    public async Task Start_AdminTokenEqualsClientToken_FailsNamingSetting()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => GatewayHost.StartAsync(o =>
        {
            o.ClientTokens.Add(ClientToken);
            o.AdminToken = ClientToken;
        }));
        Assert.Contains("Portal:Auth:AdminToken", ex.Message);
        Assert.DoesNotContain(ClientToken, ex.Message);
    }

    [Fact]
    public async Task Tokens_NeverAppearInLogs()
    {
        await using (var host = await StartSecuredAsync())
        {
            using var ok = await host.CreateClient(ClientToken).PostChatAsync(ChatJson("mock-1"));
            using var bad = await host.CreateClient("wrong-token-abc").PostChatAsync(ChatJson("mock-1"));
            using var admin = await host.CreateClient(ClientToken).GetAsync("admin/probe");
            await host.StopAsync();
            var records = host.Logs.GetSnapshot();
            Assert.NotEmpty(records);
            foreach (var record in records)
            {
                var text = record.Message + " " + string.Join(" ", record.StructuredState?.Select(kv => kv.Value) ?? []);
                Assert.DoesNotContain(ClientToken, text, StringComparison.Ordinal);
                Assert.DoesNotContain(AdminToken, text, StringComparison.Ordinal);
                Assert.DoesNotContain("wrong-token-abc", text, StringComparison.Ordinal);
            }
        }
    }

    private static Task<HttpResponseMessage> SendRawPathAsync(GatewayHost host, string method, string path, string? authorization) =>
        RawHttp.SendAsync(host, method, path, authorization is null ? [] : [$"Authorization: {authorization}"]);
}
