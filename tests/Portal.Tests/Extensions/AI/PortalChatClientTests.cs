using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Portal.Extensions.AI;
using Portal.Testing;

namespace Portal.Tests.Extensions.AI;

public sealed class PortalChatClientTests
{
    private const string ToolCallResponse = """
        {"id":"chatcmpl-tool","object":"chat.completion","created":1700000000,"model":"gpt-upstream",
         "choices":[{"index":0,"message":{"role":"assistant","content":null,
           "tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":2}"}}]},
           "finish_reason":"tool_calls","logprobs":null}],
         "usage":{"prompt_tokens":11,"completion_tokens":3,"total_tokens":14}}
        """;

    [Fact]
    public async Task GetResponse_TextAnswer_MapsTextUsageAndFinishReason()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.ChatCompletion("Hello there", model: "gpt-upstream", promptTokens: 5, completionTokens: 7, finishReason: "length");
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway, defaultModel: "gpt");

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi")]);

        Assert.Equal("Hello there", response.Text);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(5, response.Usage?.InputTokenCount);
        Assert.Equal(7, response.Usage?.OutputTokenCount);
        Assert.Equal(12, response.Usage?.TotalTokenCount);
        Assert.Equal("chatcmpl-fake", response.ResponseId);
        Assert.Equal("gpt-upstream", response.ModelId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), response.CreatedAt);
        var messages = upstream.Requests[0].BodyJson.GetProperty("messages");
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("Be brief.", messages[0].GetProperty("content").GetString());
        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        Assert.Equal("Hi", messages[1].GetProperty("content").GetString());
    }

    [Fact]
    public async Task GetStreamingResponse_Text_ConcatenatesAndEndsWithFinishReasonAndUsage()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("Hel", "lo", "!");
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway, defaultModel: "gpt");

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Hi")]))
        {
            updates.Add(update);
        }

        Assert.Equal("Hello!", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        var usage = Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
        Assert.Equal(5, usage.Details.InputTokenCount);
        Assert.Equal(7, usage.Details.OutputTokenCount);
        Assert.True(upstream.Requests[0].BodyJson.GetProperty("stream").GetBoolean());

        var combined = updates.ToChatResponse();
        Assert.Equal("Hello!", combined.Text);
        Assert.Equal(12, combined.Usage?.TotalTokenCount);
    }

    [Fact]
    public async Task GetStreamingResponse_ToolCallFragments_EmitsOneFunctionCallAtFinish()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(
            Chunk("""{"role":"assistant","tool_calls":[{"index":0,"id":"call_9","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}"""),
            Chunk("{}", "\"tool_calls\""),
            "data: [DONE]\n\n");
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway, defaultModel: "gpt");

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Weather?")]))
        {
            updates.Add(update);
        }

        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Same(call, updates[^1].Contents.OfType<FunctionCallContent>().Single());
        Assert.Equal(ChatFinishReason.ToolCalls, updates[^1].FinishReason);
        Assert.Equal("call_9", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("Oslo", ((JsonElement)call.Arguments!["city"]!).GetString());
    }

    [Fact]
    public async Task ToolCall_RoundTrip_ParsesArgumentsAndSendsToolResult()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(FakeResponse.Json(200, ToolCallResponse));
        upstream.Enqueue(FakeResponse.ChatCompletion("Sunny in Paris"));
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway, defaultModel: "gpt");
        var history = new List<ChatMessage> { new(ChatRole.User, "Weather in Paris?") };

        var first = await client.GetResponseAsync(history);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        var call = Assert.Single(first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_1", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.Null(call.Exception);
        Assert.Equal("Paris", ((JsonElement)call.Arguments!["city"]!).GetString());
        Assert.Equal(2, ((JsonElement)call.Arguments["days"]!).GetInt32());

        history.AddRange(first.Messages);
        history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent("call_1", "sunny, 21C")]));
        var second = await client.GetResponseAsync(history);

        Assert.Equal("Sunny in Paris", second.Text);
        var messages = upstream.Requests[1].BodyJson.GetProperty("messages");
        Assert.Equal(3, messages.GetArrayLength());
        var assistant = messages[1];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        var toolCall = assistant.GetProperty("tool_calls")[0];
        Assert.Equal("call_1", toolCall.GetProperty("id").GetString());
        Assert.Equal("function", toolCall.GetProperty("type").GetString());
        Assert.Equal("get_weather", toolCall.GetProperty("function").GetProperty("name").GetString());
        using var arguments = JsonDocument.Parse(toolCall.GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal("Paris", arguments.RootElement.GetProperty("city").GetString());
        var tool = messages[2];
        Assert.Equal("tool", tool.GetProperty("role").GetString());
        Assert.Equal("call_1", tool.GetProperty("tool_call_id").GetString());
        Assert.Equal("sunny, 21C", tool.GetProperty("content").GetString());
    }

    [Fact]
    public async Task GetResponse_Options_AppearInUpstreamRequest()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.ChatCompletion("{}");
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway);
        using var schema = JsonDocument.Parse("""{"type":"object","properties":{"answer":{"type":"string"}}}""");
        var options = new ChatOptions
        {
            ModelId = "gpt",
            Temperature = 0.25f,
            TopP = 0.5f,
            MaxOutputTokens = 64,
            StopSequences = ["END"],
            Seed = 42,
            Tools = [AIFunctionFactory.Create((string city) => "sunny", "get_weather", "Gets the weather.")],
            ToolMode = ChatToolMode.RequireSpecific("get_weather"),
            ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.RootElement, "answer_schema", "An answer."),
            AdditionalProperties = new AdditionalPropertiesDictionary { ["user"] = "u-1", ["custom_flag"] = true },
        };
        var image = new DataContent(new byte[] { 1, 2, 3 }, "image/png");

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, [new TextContent("What is this?"), image])], options);

        var body = upstream.Requests[0].BodyJson;
        Assert.Equal("gpt-upstream", body.GetProperty("model").GetString());
        Assert.Equal(0.25, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.5, body.GetProperty("top_p").GetDouble(), 3);
        Assert.Equal(64, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal("END", body.GetProperty("stop")[0].GetString());
        Assert.Equal(42, body.GetProperty("seed").GetInt64());
        var function = body.GetProperty("tools")[0];
        Assert.Equal("function", function.GetProperty("type").GetString());
        Assert.Equal("get_weather", function.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("Gets the weather.", function.GetProperty("function").GetProperty("description").GetString());
        Assert.Equal("string", function.GetProperty("function").GetProperty("parameters").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        var toolChoice = body.GetProperty("tool_choice");
        Assert.Equal("function", toolChoice.GetProperty("type").GetString());
        Assert.Equal("get_weather", toolChoice.GetProperty("function").GetProperty("name").GetString());
        var format = body.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("answer_schema", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("object", format.GetProperty("json_schema").GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal("u-1", body.GetProperty("user").GetString());
        Assert.True(body.GetProperty("custom_flag").GetBoolean());
        var parts = body.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal("text", parts[0].GetProperty("type").GetString());
        Assert.Equal("image_url", parts[1].GetProperty("type").GetString());
        Assert.StartsWith("data:image/png;base64,", parts[1].GetProperty("image_url").GetProperty("url").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("none", "none")]
    [InlineData("auto", "auto")]
    [InlineData("required", "required")]
    public async Task GetResponse_ToolMode_MapsToToolChoiceString(string mode, string expected)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.ChatCompletion("ok");
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway, "gpt");
        var options = new ChatOptions
        {
            Tools = [AIFunctionFactory.Create(() => 1, "one")],
            ToolMode = mode switch { "none" => ChatToolMode.None, "auto" => ChatToolMode.Auto, _ => ChatToolMode.RequireAny },
            ResponseFormat = ChatResponseFormat.Json,
        };

        await client.GetResponseAsync("Hi", options);

        var body = upstream.Requests[0].BodyJson;
        Assert.Equal(expected, body.GetProperty("tool_choice").GetString());
        Assert.Equal("json_object", body.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task GetResponse_NoModel_ThrowsInvalidOperationWithoutCallingUpstream()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync("Hi"));
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Hi"))
            {
            }
        });
        Assert.Equal(0, upstream.RequestCount);
    }

    [Fact]
    public async Task GetResponse_GatewayError_SurfacesAsPortalException()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(400, "bad request");
        await using var gateway = CreateGateway(upstream);
        using var client = new PortalChatClient(gateway, "gpt");

        await Assert.ThrowsAsync<PortalException>(() => client.GetResponseAsync("Hi"));
        await Assert.ThrowsAsync<PortalException>(() => client.GetResponseAsync("Hi", new ChatOptions { ModelId = "no-such-model" }));
    }

    [Fact]
    public async Task GetService_ReturnsClientGatewayAndMetadata_AndDisposeLeavesGatewayRunning()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.ChatCompletion("still here");
        await using var gateway = CreateGateway(upstream);
        var client = new PortalChatClient(gateway, "gpt");

        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Same(client, client.GetService<PortalChatClient>());
        Assert.Same(gateway, client.GetService<PortalGateway>());
        Assert.Null(client.GetService<PortalGateway>("key"));
        var metadata = client.GetService<ChatClientMetadata>();
        Assert.Equal("portal", metadata?.ProviderName);
        Assert.Equal("gpt", metadata?.DefaultModelId);

        client.Dispose();
        var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
        Assert.Equal("still here", response.Choices[0].Message.Content?.Text);
    }

    [Fact]
    public async Task AddPortalChatClient_ResolvesClientOverRegisteredGateway()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.ChatCompletion("from DI");
        await using var gateway = CreateGateway(upstream);
        var services = new ServiceCollection();
        services.AddSingleton(gateway);
        services.AddPortalChatClient("gpt").UseFunctionInvocation();
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        Assert.Same(gateway, client.GetService<PortalGateway>());
        Assert.Equal("from DI", (await client.GetResponseAsync("Hi")).Text);
    }

    private static PortalGateway CreateGateway(FakeUpstream upstream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", alias: "gpt");
        return PortalGateway.Create(new PortalOptions { Repository = repository });
    }

    private static string Chunk(string delta, string finishReason = "null") =>
        "data: {\"id\":\"chatcmpl-s\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-upstream\","
        + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finishReason + "}]}\n\n";
}
