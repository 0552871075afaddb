using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Portal.Server.Tests.Infrastructure;
using Portal.Storage;

namespace Portal.Server.Tests.Admin;

/// <summary>Starts the real server with an admin token and sends admin requests.</summary>
internal static class AdminTestKit
{
    public const string AdminToken = "admin-secret";

    /// <summary>A config file with one mock platform "m" (model "x", key "k"): rows with source <c>config</c>.</summary>
    public const string MockConfig = """{"platforms":[{"name":"m","format":"mock","baseUrl":"mock://local","models":["x"],"keys":["k"]}]}""";

    public const string EmptyConfig = """{ "platforms": [] }""";

    /// <summary>Starts a server with <paramref name="portalJson"/> and returns it with a client holding the admin token.</summary>
    public static async Task<(GatewayHost Host, HttpClient Admin)> StartAsync(string portalJson = EmptyConfig)
    {
        var host = await GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminToken;
            o.PortalJson = portalJson;
        });
        return (host, host.CreateClient(AdminToken));
    }

    public static EfPortalRepository Repository(this GatewayHost host) => host.Services.GetRequiredService<EfPortalRepository>();

    public static Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path, string? json = null)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return client.SendAsync(request);
    }

    /// <summary>Asserts the status and returns the body (the body is in the failure message).</summary>
    public static async Task<JsonNode> ReadAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!;
    }

    /// <summary>Sends and returns the body of a response with the expected status.</summary>
    public static async Task<JsonNode> SendAsync(this HttpClient client, HttpMethod method, string path, string? json, HttpStatusCode expected)
    {
        using var response = await client.SendAsync(method, path, json);
        return await response.ReadAsync(expected);
    }

    /// <summary>Asserts an OpenAI-shaped error: <c>{"error":{"message","type","param","code"}}</c>; returns the message.</summary>
    public static async Task<string> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code, string? param)
    {
        var body = await response.ReadAsync(status);
        var error = body["error"]!;
        var message = (string)error["message"]!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.Equal(
            status switch
            {
                HttpStatusCode.NotFound => "not_found_error",
                HttpStatusCode.ServiceUnavailable => "service_unavailable_error",
                _ => "invalid_request_error",
            },
            (string?)error["type"]);
        Assert.Equal(code, (string?)error["code"]);
        Assert.Equal(param, (string?)error["param"]);
        return message;
    }

    /// <summary>Sends and asserts an error; returns its message.</summary>
    public static async Task<string> SendErrorAsync(this HttpClient client, HttpMethod method, string path, string? json, HttpStatusCode status, string code, string? param)
    {
        using var response = await client.SendAsync(method, path, json);
        return await response.AssertErrorAsync(status, code, param);
    }

    public static async Task<long> CreatePlatformAsync(this HttpClient admin, string name = "p1", string format = "mock", string baseUrl = "mock://local")
    {
        var body = await admin.SendAsync(HttpMethod.Post, "admin/platforms", $$"""{"name":"{{name}}","format":"{{format}}","baseUrl":"{{baseUrl}}"}""", HttpStatusCode.Created);
        return (long)body["id"]!;
    }

    public static async Task<long> CreateModelAsync(this HttpClient admin, long platformId, string name, string? alias = null)
    {
        var aliasJson = alias is null ? "" : $$""","alias":"{{alias}}" """;
        var body = await admin.SendAsync(HttpMethod.Post, "admin/models", $$"""{"platformId":{{platformId}},"name":"{{name}}"{{aliasJson}}}""", HttpStatusCode.Created);
        return (long)body["id"]!;
    }

    public static async Task<long> CreateKeyAsync(this HttpClient admin, long platformId, string value)
    {
        var body = await admin.SendAsync(HttpMethod.Post, "admin/keys", $$"""{"platformId":{{platformId}},"value":"{{value}}"}""", HttpStatusCode.Created);
        return (long)body["id"]!;
    }

    /// <summary>The id of the config-file platform named <paramref name="name"/>.</summary>
    public static async Task<long> PlatformIdAsync(this GatewayHost host, string name) =>
        (await host.Repository().ListPlatformsAsync()).Single(p => p.Name == name).Id;
}
