using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>The official OpenAI .NET SDK against the real server, relaying to a fake OpenAI platform.</summary>
public sealed class OpenAISdkTests
{
    private const string WeatherParameters = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_TextAnswer_SdkSeesContentFinishReasonAndUsage(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.Stream("Hello", ", ", "portal", "!")
            : FakeResponse.ChatCompletion("Hello, portal!", promptTokens: 5, completionTokens: 7);
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        var client = SdkClient(host);
        ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Say hello")];

        string text;
        ChatFinishReason? finishReason;
        ChatTokenUsage? usage;
        if (stream)
        {
            var content = new StringBuilder();
            finishReason = null;
            usage = null;
            await foreach (var update in client.CompleteChatStreamingAsync(messages))
            {
                foreach (var part in update.ContentUpdate)
                {
                    content.Append(part.Text);
                }

                finishReason ??= update.FinishReason;
                usage ??= update.Usage;
            }

            text = content.ToString();
        }
        else
        {
            ChatCompletion completion = await client.CompleteChatAsync(messages);
            text = completion.Content[0].Text;
            finishReason = completion.FinishReason;
            usage = completion.Usage;
        }

        Assert.Equal("Hello, portal!", text);
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        Assert.NotNull(usage);
        Assert.Equal(5, usage.InputTokenCount);
        Assert.Equal(7, usage.OutputTokenCount);
        Assert.Equal(12, usage.TotalTokenCount);

        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal(UpstreamModel, sent.BodyJson.GetProperty("model").GetString());
        Assert.Equal(stream, sent.BodyJson.TryGetProperty("stream", out var streamFlag) && streamFlag.GetBoolean());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_ClientFields_ReachUpstreamUntouchedExceptModel(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream ? FakeResponse.Stream("ok") : FakeResponse.ChatCompletion("ok");
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        using var recorder = new RecordingHandler();
        using var transport = new HttpClient(recorder);
        var client = SdkClient(host, transport: transport);
        var options = new ChatCompletionOptions
        {
            Temperature = 0.25f,
            MaxOutputTokenCount = 64,
            FrequencyPenalty = 0.5f,
            EndUserId = "user-7",
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString(WeatherParameters)) },
        };
        options.StopSequences.Add("END");
        options.Metadata["team"] = "core";

        // Fields the SDK does not know: set through its JSON patch, the way a caller reaches a newer platform feature.
#pragma warning disable SCME0001 // JsonPatch is experimental in System.ClientModel; it is the SDK's only way to send unknown fields.
        options.Patch.Set("$.x_portal_extra"u8, "keep-me é 你好");
        options.Patch.Set("$.x_nested"u8, BinaryData.FromString("""{"a":[1,2.50,null],"b":{"c":true}}"""));
#pragma warning restore SCME0001
        ChatMessage[] messages = [new UserChatMessage("héllo wörld")];

        if (stream)
        {
            await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
            {
                Assert.NotNull(update);
            }
        }
        else
        {
            await client.CompleteChatAsync(messages, options);
        }

        var clientBody = Assert.Single(recorder.Bodies);
        using var clientJson = JsonDocument.Parse(clientBody);
        Assert.Equal("keep-me é 你好", clientJson.RootElement.GetProperty("x_portal_extra").GetString());
        var upstreamJson = Assert.Single(upstream.Requests).BodyJson;

        Assert.Equal(Alias, clientJson.RootElement.GetProperty("model").GetString());
        Assert.Equal(UpstreamModel, upstreamJson.GetProperty("model").GetString());
        foreach (var property in clientJson.RootElement.EnumerateObject())
        {
            if (property.NameEquals("model") || (stream && property.NameEquals("stream_options")))
            {
                continue;
            }

            Assert.True(upstreamJson.TryGetProperty(property.Name, out var relayed), $"'{property.Name}' did not reach the upstream: {Encoding.UTF8.GetString(clientBody)}");
            Assert.Equal(property.Value.GetRawText(), relayed.GetRawText());
        }

        var added = upstreamJson.EnumerateObject().Select(p => p.Name).Except(clientJson.RootElement.EnumerateObject().Select(p => p.Name)).ToList();
        Assert.True(added.Count == 0 || (stream && added.SequenceEqual(["stream_options"])), "The gateway added fields: " + string.Join(", ", added));
        if (stream)
        {
            // Portal asks a stream for usage (for its stats); the SDK asks too.
            Assert.True(upstreamJson.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_UpstreamToolCall_SdkSeesFunctionNameAndArguments(bool stream)
    {
        const string Arguments = """{"city":"Zürich","unit":"celsius"}""";
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.SseRaw(ToolCallStreamEvents("call_abc123", "get_weather", """{"city":""", "\"Zürich\",", "\"unit\":\"celsius\"}"))
            : FakeResponse.Json(200, ToolCallCompletion("call_abc123", "get_weather", Arguments));
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        var client = SdkClient(host);
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString(WeatherParameters)) },
        };
        ChatMessage[] messages = [new UserChatMessage("Weather in Zürich?")];

        string? id;
        string? name;
        string arguments;
        ChatFinishReason? finishReason;
        ChatTokenUsage? usage;
        if (stream)
        {
            id = null;
            name = null;
            finishReason = null;
            usage = null;
            var argumentText = new StringBuilder();
            await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
            {
                foreach (var call in update.ToolCallUpdates)
                {
                    Assert.Equal(0, call.Index);
                    id ??= call.ToolCallId;
                    name ??= call.FunctionName;
                    if (call.FunctionArgumentsUpdate is { } piece)
                    {
                        argumentText.Append(piece.ToString());
                    }
                }

                finishReason ??= update.FinishReason;
                usage ??= update.Usage;
            }

            arguments = argumentText.ToString();
        }
        else
        {
            ChatCompletion completion = await client.CompleteChatAsync(messages, options);
            var call = Assert.Single(completion.ToolCalls);
            id = call.Id;
            name = call.FunctionName;
            arguments = call.FunctionArguments.ToString();
            finishReason = completion.FinishReason;
            usage = completion.Usage;
        }

        Assert.Equal("call_abc123", id);
        Assert.Equal("get_weather", name);
        Assert.Equal(Arguments, arguments);
        Assert.Equal(ChatFinishReason.ToolCalls, finishReason);
        Assert.NotNull(usage);
        Assert.Equal(9, usage.InputTokenCount);
        Assert.Equal(4, usage.OutputTokenCount);

        var sent = Assert.Single(upstream.Requests).BodyJson;
        var tool = Assert.Single(sent.GetProperty("tools").EnumerateArray());
        Assert.Equal("get_weather", tool.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(WeatherParameters, tool.GetProperty("function").GetProperty("parameters").GetRawText());
    }

    [Theory]
    [InlineData("bad-token", 401, false)]
    [InlineData("bad-token", 401, true)]
    [InlineData("unknown-model", 404, false)]
    [InlineData("unknown-model", 404, true)]
    [InlineData("rate-limited", 429, false)]
    [InlineData("rate-limited", 429, true)]
    [InlineData("upstream-500", 502, false)]
    [InlineData("upstream-500", 502, true)]
    [InlineData("timeout", 504, false)]
    [InlineData("timeout", 504, true)]
    public async Task CompleteChat_ServerRefuses_SdkThrowsWithStatusAndOpenAIErrorBody(string scenario, int status, bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = scenario switch
        {
            "rate-limited" => FakeResponse.RateLimited(TimeSpan.FromSeconds(30)),
            "upstream-500" => FakeResponse.Error(500, "upstream exploded", "server_error"),
            "timeout" => FakeResponse.Hang(),
            _ => FakeResponse.ChatCompletion("unused"),
        };
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl));
            // Long enough for the request to reach the hanging upstream on a loaded machine (at 300 ms it sometimes did
            // not, and the upstream counted no request). The others answer at once, but a loaded machine can take over
            // 300 ms to relay even that (an upstream 500 then became a 504): they get no short limit at all.
            o.Settings["Portal:Gateway:AttemptTimeout"] = scenario == "timeout" ? "2s" : "00:00:30";
            o.Settings["Portal:Gateway:MaxAttempts"] = "1";
            if (scenario == "bad-token")
            {
                o.ClientTokens.Add("client-token-0123456789");
            }
        });
        var client = SdkClient(host, model: scenario == "unknown-model" ? "no-such-model" : Alias, token: scenario == "bad-token" ? "wrong-token" : "no-token-needed");
        ChatMessage[] messages = [new UserChatMessage("Hello")];

        var exception = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(async () =>
        {
            if (stream)
            {
                await foreach (var update in client.CompleteChatStreamingAsync(messages))
                {
                    Assert.Fail("An update arrived for a refused request: " + update.ContentUpdate.FirstOrDefault()?.Text);
                }
            }
            else
            {
                await client.CompleteChatAsync(messages);
            }
        });

        Assert.Equal(status, exception.Status);
        var raw = exception.GetRawResponse();
        Assert.NotNull(raw);
        var message = AssertOpenAIError(raw.Content.ToString());
        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
        if (scenario == "rate-limited")
        {
            Assert.True(raw.Headers.TryGetValue("Retry-After", out var retryAfter), "A 429 without Retry-After.");
            Assert.True(int.TryParse(retryAfter, out var seconds) && seconds > 0, "Retry-After: " + retryAfter);
        }

        Assert.Equal(scenario is "bad-token" or "unknown-model" ? 0 : 1, upstream.RequestCount);
    }

    [Fact]
    public async Task ListModels_ConfiguredAlias_SdkListsIt()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        var models = new OpenAI.Models.OpenAIModelClient(
            new System.ClientModel.ApiKeyCredential("no-token-needed"),
            new OpenAI.OpenAIClientOptions { Endpoint = new Uri(host.BaseUrl + "/v1") });

        var list = await models.GetModelsAsync();

        Assert.Contains(list.Value, m => m.Id == Alias);
        Assert.Equal(0, upstream.RequestCount);
    }
}
