using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Portal.Contracts;
using Portal.Providers;
using Portal.Server.Tests.Admin;
using Portal.Server.Tests.Infrastructure;

namespace Portal.Server.Tests.Hosting;

/// <summary>
/// A format an application registers in the container is one format everywhere: <c>portal.json</c> imports it, the
/// admin API accepts it (with its own base-URL rule), and requests reach it.
/// </summary>
public sealed class CustomFormatTests
{
    private const string EchoConfig = """
        { "platforms": [ { "name": "e", "format": "Echo", "baseUrl": "echo://one", "models": [ "echo-1" ], "keys": [ "sk-echo-0123456789" ] } ] }
        """;

    [Fact]
    public async Task FormatRegisteredInTheContainer_IsImportedFromPortalJson_AndServesRequests()
    {
        await using var host = await StartAsync(EchoConfig);

        var platform = Assert.Single(await host.Repository().Config.ListPlatformRowsAsync());
        Assert.Equal(EchoAdapter.Name, platform.Item.Format); // the adapter's spelling
        using var response = await host.Client.PostAsJsonAsync("v1/chat/completions", new { model = "echo-1", messages = new[] { new { role = "user", content = "hello" } } });
        var body = await response.ReadAsync(HttpStatusCode.OK);
        Assert.Equal("echo: hello", (string?)body["choices"]![0]!["message"]!["content"]);
    }

    [Fact]
    public async Task PortalJson_UsesTheRegisteredFormatsBaseUrlRule()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(EchoConfig.Replace("echo://one", "https://example.com", StringComparison.Ordinal)));

        Assert.Contains("$.platforms[0].baseUrl", ex.Message, StringComparison.Ordinal);
        Assert.Contains(EchoAdapter.UrlProblem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminApi_AcceptsTheRegisteredFormat_AndChecksItsBaseUrlRule()
    {
        await using var host = await StartAsync(AdminTestKit.EmptyConfig);
        var admin = host.CreateClient(AdminTestKit.AdminToken);

        var created = await admin.SendAsync(HttpMethod.Post, "admin/platforms", """{"name":"e2","format":"ECHO","baseUrl":"echo://two"}""", HttpStatusCode.Created);
        Assert.Equal(EchoAdapter.Name, (string?)created["format"]);

        var message = await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", """{"name":"e3","format":"echo","baseUrl":"https://example.com"}""",
            HttpStatusCode.BadRequest, "invalid_value", "baseUrl");
        Assert.Contains(EchoAdapter.UrlProblem, message, StringComparison.Ordinal);

        var unknown = await admin.SendErrorAsync(HttpMethod.Post, "admin/platforms", """{"name":"e4","format":"gemini-ish","baseUrl":"https://example.com"}""",
            HttpStatusCode.BadRequest, "invalid_value", "format");
        Assert.Contains("openai, anthropic, mock, echo", unknown, StringComparison.Ordinal);
    }

    private static Task<GatewayHost> StartAsync(string portalJson) => GatewayHost.StartAsync(o =>
    {
        o.AdminToken = AdminTestKit.AdminToken;
        o.PortalJson = portalJson;
        o.ConfigureServices = services => services.AddSingleton<IProviderAdapter, EchoAdapter>();
    });

    /// <summary>Answers with the last user message; its platforms have <c>echo://</c> base URLs.</summary>
    private sealed class EchoAdapter : IProviderAdapter
    {
        public const string Name = "echo";
        public const string UrlProblem = "must be an echo:// URL";

        public string Format => Name;

        public string? CheckBaseUrl(string baseUrl) => baseUrl.StartsWith("echo://", StringComparison.Ordinal) ? null : UrlProblem;

        public Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            Task.FromResult(new ChatCompletionResponse
            {
                Id = "echo-1",
                Model = channel.Model.Name,
                Choices = [new ChatChoice { Index = 0, Message = new ChatMessage { Role = "assistant", Content = "echo: " + request.Messages[^1].Content?.Text }, FinishReason = "stop" }],
            });

        public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
