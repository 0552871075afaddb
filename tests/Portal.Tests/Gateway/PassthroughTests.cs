using System.Text;
using System.Text.Json;
using Portal.Contracts;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>What the gateway sends upstream and hands back: unknown fields untouched, only the model and stream flag rewritten.</summary>
public sealed class PassthroughTests
{
    private const string Alias = "gpt";
    private const string UpstreamName = "gpt-upstream";
    private const string Key = "sk-passthrough-0123456789abcdef";

    private const string XCustom = """{"nested":[1,2.50,"é"],"deep":{"flag":true,"none":null,"big":12345678901234567890,"exp":1e-7,"text":"line\nbreak \"q\" <tag> & 你好"}}""";
    private const string FutureParam = """{"mode":"auto","levels":[0.10,0.20]}""";
    private const string Metadata = """{"trace":"é-1","team":"core"}""";
    private const string MessageExtra = """{"cache":"ephemeral","ttl":[300,"s"]}""";
    private const string ToolExtra = """{"defer_loading":true}""";
    private const string FunctionExtra = """["x",{"y":1.0}]""";
    private const string Parameters = """{"type":"object","properties":{"city":{"type":"string","description":"Ville, e.g. Zürich"}},"required":["city"]}""";
    private const string UserText = "héllo wörld 你好 🚀";

    private static readonly string RequestJson =
        "{\"model\":\"" + Alias + "\","
        + "\"messages\":[{\"role\":\"user\",\"content\":\"" + UserText + "\",\"x_message_extra\":" + MessageExtra + "}],"
        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":" + Parameters + ",\"x_function_extra\":" + FunctionExtra + "},\"x_tool_extra\":" + ToolExtra + "}],"
        + "\"metadata\":" + Metadata + ","
        + "\"x_custom\":" + XCustom + ","
        + "\"some_future_openai_param\":" + FutureParam + "}";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UnknownRequestFields_ReachUpstreamByteForByte(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);
        var request = JsonSerializer.Deserialize(RequestJson, PortalJsonContext.Default.ChatCompletionRequest)!;

        await SendAsync(gateway, request, stream);

        var sent = Assert.Single(upstream.Requests).BodyJson;
        Assert.Equal(XCustom, sent.GetProperty("x_custom").GetRawText());
        Assert.Equal(FutureParam, sent.GetProperty("some_future_openai_param").GetRawText());
        Assert.Equal(Metadata, sent.GetProperty("metadata").GetRawText());
        var message = sent.GetProperty("messages")[0];
        Assert.Equal(MessageExtra, message.GetProperty("x_message_extra").GetRawText());
        var tool = sent.GetProperty("tools")[0];
        Assert.Equal(ToolExtra, tool.GetProperty("x_tool_extra").GetRawText());
        Assert.Equal(FunctionExtra, tool.GetProperty("function").GetProperty("x_function_extra").GetRawText());
        Assert.Equal(Parameters, tool.GetProperty("function").GetProperty("parameters").GetRawText());
    }

    [Theory]
    [InlineData("héllo wörld 你好", false)]
    [InlineData("héllo wörld 你好", true)]
    public async Task NonAsciiText_IsSentAsUtf8NotEscaped(string text, bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);

        await SendAsync(gateway, RepositorySeed.Chat(Alias, text), stream);

        var sent = Assert.Single(upstream.Requests);
        Assert.True(sent.Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes("\"" + text + "\"")) >= 0, "The body does not hold the text as raw UTF-8: " + sent.BodyText);
        Assert.DoesNotContain("\\u", sent.BodyText, StringComparison.Ordinal);
        Assert.StartsWith("application/json", sent.Headers["Content-Type"], StringComparison.Ordinal);
    }

    // Characters beyond the Basic Multilingual Plane may be sent as escaped surrogate pairs; the value must be equal.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EmojiText_ArrivesWithTheSameValue(bool stream)
    {
        const string text = "rocket 🚀 launch";
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);

        await SendAsync(gateway, RepositorySeed.Chat(Alias, text), stream);

        var sent = Assert.Single(upstream.Requests).BodyJson;
        Assert.Equal(text, sent.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(false, true)]
    [InlineData(true, null)]
    [InlineData(true, false)]
    public async Task ModelAndStreamFlag_AreRewrittenForUpstream(bool stream, bool? clientStreamField)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);
        var request = RepositorySeed.Chat(Alias);
        request.Stream = clientStreamField;

        await SendAsync(gateway, request, stream);

        var sent = Assert.Single(upstream.Requests).BodyJson;
        Assert.Equal(UpstreamName, sent.GetProperty("model").GetString());
        var streamFlag = sent.TryGetProperty("stream", out var value) && value.ValueKind == JsonValueKind.True;
        Assert.Equal(stream, streamFlag);
        Assert.Equal(Alias, request.Model); // The caller's request object is not modified.
        Assert.Equal(clientStreamField, request.Stream);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("", true)]
    [InlineData("/v1", false)]
    [InlineData("/v1", true)]
    [InlineData("/v1/", false)]
    [InlineData("/v1/", true)]
    public async Task BaseUrlForms_PostToChatCompletionsWithChannelKey(string suffix, bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl + suffix, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);

        var text = await SendAsync(gateway, RepositorySeed.Chat(Alias), stream);

        Assert.Equal("ok", text);
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("POST", sent.Method);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer " + Key, sent.Headers["Authorization"]);
    }

    [Fact]
    public async Task UnknownResponseFields_NonStreaming_SurviveInAdditionalProperties()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200,
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"gpt-upstream\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\",\"x_message\":{\"a\":[1,2.50]}},\"finish_reason\":\"stop\",\"x_choice\":\"é\"}],"
            + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3},"
            + "\"x_top\":{\"nested\":[1,2.50,\"é\"]}}");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);

        var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias));

        Assert.Equal("hi", response.Choices[0].Message!.Content!.Text);
        Assert.Equal("{\"nested\":[1,2.50,\"é\"]}", Extra(response.AdditionalProperties, "x_top"));
        Assert.Equal("\"é\"", Extra(response.Choices[0].AdditionalProperties, "x_choice"));
        Assert.Equal("{\"a\":[1,2.50]}", Extra(response.Choices[0].Message!.AdditionalProperties, "x_message"));
    }

    [Fact]
    public async Task UnknownResponseFields_Streaming_SurviveInAdditionalProperties()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"x_top\":{\"nested\":[1,2.50,\"é\"]},"
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\",\"x_delta\":[true]},\"finish_reason\":null,\"x_choice\":7}]}\n\n",
            SseChunk(null, "stop"),
            SseDone());
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, Key);
        await using var gateway = CreateGateway(repository);

        var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)).ToListAsync();

        var first = chunks[0];
        Assert.Equal("hi", first.Choices[0].Delta!.Content);
        Assert.Equal("{\"nested\":[1,2.50,\"é\"]}", Extra(first.AdditionalProperties, "x_top"));
        Assert.Equal("7", Extra(first.Choices[0].AdditionalProperties, "x_choice"));
        Assert.Equal("[true]", Extra(first.Choices[0].Delta!.AdditionalProperties, "x_delta"));
    }

    private static string Extra(Dictionary<string, JsonElement>? properties, string name)
    {
        Assert.NotNull(properties);
        Assert.True(properties.TryGetValue(name, out var value), $"'{name}' is missing from AdditionalProperties.");
        return value.GetRawText();
    }
}
