using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic.Models.Models;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary><c>/v1/messages</c>, <c>/v1/messages/count_tokens</c> and <c>/v1/models</c> over raw HTTP: authentication, errors in Anthropic's shape, broken streams, token counts, the model list.</summary>
public sealed class MessagesEndpointTests
{
    [Theory]
    [InlineData("x-api-key")]
    [InlineData("bearer")]
    public async Task Messages_ClientTokenAsXApiKeyOrBearer_IsServed(string scheme)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = TextAnswer(stream: false);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host, scheme == "bearer" ? ClientToken : null);

        using var response = await PostAsync(client, "v1/messages", MessagesBody(), apiKey: scheme == "x-api-key" ? ClientToken : null);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("Hello, portal!", body, StringComparison.Ordinal);
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal(PlatformKey, Header(sent, "x-api-key"));
        Assert.Null(Header(sent, "authorization"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Messages_NoOrWrongToken_401InAnthropicShape(string? token)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host);

        using var response = await PostAsync(client, "v1/messages", MessagesBody(), apiKey: token, version: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        AssertAnthropicError(await response.Content.ReadAsStringAsync(), "authentication_error");
        Assert.Equal(0, upstream.RequestCount);
    }

    [Fact]
    public async Task Models_ClientTokenAsXApiKey_IsAccepted()
    {
        await using var host = await StartAsync(MockPlatform());
        using var client = RawClient(host);
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models");
        request.Headers.TryAddWithoutValidation("x-api-key", ClientToken);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"fast\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Messages_UnknownModel_404NotFoundErrorInAnthropicShape(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host);

        using var response = await PostAsync(client, "v1/messages", MessagesBody("claude-nope", stream));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var message = AssertAnthropicError(await response.Content.ReadAsStringAsync(), "not_found_error");
        Assert.Contains("claude-nope", message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.RequestCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Messages_MaxTokensMissing_400InvalidRequestErrorNamingIt(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host);

        using var response = await PostAsync(client, "v1/messages", MessagesBody(stream: stream, maxTokens: null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = AssertAnthropicError(await response.Content.ReadAsStringAsync(), "invalid_request_error");
        Assert.Contains("max_tokens", message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.RequestCount);
    }

    public static TheoryData<string> BrokenStreams => [.. AnthropicKit.BrokenStreams];

    [Theory]
    [MemberData(nameof(BrokenStreams))]
    public async Task Messages_UpstreamStreamBreaksMidway_ClientGetsTheEventsThenAnErrorEventNoMessageStop_StatIsAFailure(string how)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = BrokenStream(how);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host);

        using var response = await PostAsync(client, "v1/messages", MessagesBody(stream: true));
        var (events, error) = await ReadEventsAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(error);
        var names = string.Join(" ", events.Select(e => e.Type));
        Assert.Equal("message_start content_block_start content_block_delta content_block_delta error", names);
        Assert.Equal("Half an answer", string.Concat(events.Where(e => e.Type == "content_block_delta")
            .Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("delta").GetProperty("text").GetString())));
        var errorType = ErrorTypeOf(events[^1].Data);
        Assert.Contains(errorType, new[] { "api_error", "overloaded_error", "timeout_error" });
        AssertAnthropicError(events[^1].Data, errorType);
        Assert.DoesNotContain(events, e => e.Type == "message_stop");

        var stat = Assert.Single(await StatsAsync(host));
        Assert.False(stat.Success);
        Assert.True(stat.IsStream);
        Assert.False(string.IsNullOrWhiteSpace(stat.ErrorMessage));
        Assert.Equal("anthropic-messages", stat.Protocol);
        Assert.Equal("anthropic", stat.TargetFormat);
        Assert.NotNull(stat.FirstByteTime);
    }

    [Fact]
    public async Task CountTokens_AnthropicPlatform_ExactCountFromTheUpstream()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200, """{"input_tokens":42}""");
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host);
        var body = """{"model":"m","system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Count me"}]}""";

        using var response = await PostAsync(client, "v1/messages/count_tokens", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("exact", Assert.Single(response.Headers.GetValues("X-Portal-Token-Count")));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(42, json.RootElement.GetProperty("input_tokens").GetInt32());
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/messages/count_tokens", sent.Path);
        Assert.Equal(body.Replace("\"model\":\"m\"", "\"model\":\"up-model\"", StringComparison.Ordinal), sent.BodyText);
        Assert.Equal(PlatformKey, Header(sent, "x-api-key"));
        Assert.Equal(AnthropicVersion, Header(sent, "anthropic-version"));
    }

    [Fact]
    public async Task CountTokens_MockPlatform_PositiveEstimate()
    {
        await using var host = await StartAsync(MockPlatform());
        using var client = RawClient(host);
        var body = """{"model":"fast","system":"You are a helpful assistant.","messages":[{"role":"user","content":"Estimate how many tokens this sentence takes, please."}]}""";

        using var response = await PostAsync(client, "v1/messages/count_tokens", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("estimate", Assert.Single(response.Headers.GetValues("X-Portal-Token-Count")));
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.InRange(json.RootElement.GetProperty("input_tokens").GetInt32(), 5, 100);
    }

    [Fact]
    public async Task CountTokens_UnknownModel_404InAnthropicShape()
    {
        await using var host = await StartAsync(MockPlatform());
        using var client = RawClient(host);

        using var response = await PostAsync(client, "v1/messages/count_tokens", """{"model":"nope","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertAnthropicError(await response.Content.ReadAsStringAsync(), "not_found_error");
    }

    [Fact]
    public async Task Models_WithAnthropicVersion_AnthropicListShapeAndPaging()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(MockPlatform(), AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host, ClientToken);

        async Task<JsonElement> ListAsync(string query, bool anthropic = true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "v1/models" + query);
            if (anthropic)
            {
                request.Headers.TryAddWithoutValidation("anthropic-version", AnthropicVersion);
            }

            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /v1/models{query}: {(int)response.StatusCode} {text}");
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }

        // Every name and alias, sorted: fast, m, mock-1, up-model.
        var all = await ListAsync("");
        Assert.Equal(new[] { "fast", "m", "mock-1", "up-model" }, Ids(all));
        Assert.False(all.GetProperty("has_more").GetBoolean());
        Assert.Equal("fast", all.GetProperty("first_id").GetString());
        Assert.Equal("up-model", all.GetProperty("last_id").GetString());
        foreach (var model in all.GetProperty("data").EnumerateArray())
        {
            Assert.Equal("model", model.GetProperty("type").GetString());
            Assert.Equal(model.GetProperty("id").GetString(), model.GetProperty("display_name").GetString());
            Assert.True(DateTimeOffset.TryParse(model.GetProperty("created_at").GetString(), out _), "created_at: " + model);
        }

        var first = await ListAsync("?limit=2");
        Assert.Equal(new[] { "fast", "m" }, Ids(first));
        Assert.True(first.GetProperty("has_more").GetBoolean());
        Assert.Equal("fast", first.GetProperty("first_id").GetString());
        Assert.Equal("m", first.GetProperty("last_id").GetString());

        var second = await ListAsync("?limit=2&after_id=m");
        Assert.Equal(new[] { "mock-1", "up-model" }, Ids(second));
        Assert.False(second.GetProperty("has_more").GetBoolean());
        Assert.Equal("mock-1", second.GetProperty("first_id").GetString());
        Assert.Equal("up-model", second.GetProperty("last_id").GetString());

        // Without anthropic-version: OpenAI's list.
        var openAI = await ListAsync("", anthropic: false);
        Assert.Equal("list", openAI.GetProperty("object").GetString());
        Assert.False(openAI.TryGetProperty("has_more", out _));
        Assert.Equal(0, upstream.RequestCount);
    }

    [Fact]
    public async Task Models_AnthropicSdkPagesThroughTheList()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(MockPlatform(), AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = Sdk(host);

        var ids = new List<string>();
        var page = await client.Models.List(new ModelListParams { Limit = 3 });
        ids.AddRange(page.Items.Select(m => m.ID));
        Assert.True(page.HasNext());
        page = await page.Next();
        ids.AddRange(page.Items.Select(m => m.ID));

        Assert.False(page.HasNext());
        Assert.Equal(new[] { "fast", "m", "mock-1", "up-model" }, ids);
        var model = await client.Models.Retrieve("m");
        Assert.Equal("m", model.DisplayName);
    }

    private static string[] Ids(JsonElement list) => [.. list.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];

    private static string ErrorTypeOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("error").GetProperty("type").GetString()!;
    }
}
