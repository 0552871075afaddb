using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Portal.Testing;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary>The official OpenAI .NET SDK on <c>/v1/chat/completions</c>, served by a fake Anthropic platform through conversion.</summary>
public sealed class OpenAISdkOnAnthropicTests
{
    private const string WeatherParameters = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_NoMaxTokens_UpstreamGetsMessagesWithDefault4096_SdkGetsTextAndUsage(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = TextAnswer(stream);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        var client = SdkClient(host, token: ClientToken);
        ChatMessage[] messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Say hello")];

        var (text, _, finishReason, usage) = await CompleteAsync(client, messages, new ChatCompletionOptions(), stream);

        Assert.Equal("Hello, portal!", text);
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        Assert.NotNull(usage);
        Assert.Equal(9, usage.InputTokenCount);
        Assert.Equal(4, usage.OutputTokenCount);
        Assert.Equal(13, usage.TotalTokenCount);

        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/messages", sent.Path);
        Assert.Equal(PlatformKey, Header(sent, "x-api-key"));
        Assert.Equal(AnthropicVersion, Header(sent, "anthropic-version"));
        Assert.Null(Header(sent, "authorization"));
        var body = sent.BodyJson;
        Assert.Equal(UpstreamModel, body.GetProperty("model").GetString());
        Assert.Equal(4096, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(stream, body.TryGetProperty("stream", out var flag) && flag.GetBoolean());
        Assert.Contains("Be brief.", body.GetProperty("system").GetRawText(), StringComparison.Ordinal);
        var message = Assert.Single(body.GetProperty("messages").EnumerateArray());
        Assert.Equal("user", message.GetProperty("role").GetString());
        Assert.Contains("Say hello", message.GetProperty("content").GetRawText(), StringComparison.Ordinal);

        var stat = Assert.Single(await StatsAsync(host));
        Assert.True(stat.Success, stat.ErrorMessage);
        Assert.Equal("openai-chat", stat.Protocol);
        Assert.Equal("anthropic", stat.TargetFormat);
        Assert.Equal(9, stat.PromptTokens);
        Assert.Equal(4, stat.CompletionTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_ClientSetsMaxTokens_UpstreamGetsTheClientsValue(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = TextAnswer(stream);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        var client = SdkClient(host, token: ClientToken);

        var (text, _, _, _) = await CompleteAsync(client, [new UserChatMessage("Say hello")], new ChatCompletionOptions { MaxOutputTokenCount = 77 }, stream);

        Assert.Equal("Hello, portal!", text);
        Assert.Equal(77, Assert.Single(upstream.Requests).BodyJson.GetProperty("max_tokens").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_PlatformSetsDefaultMaxTokensAndApiVersion_UpstreamGetsThePlatformsValues(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = TextAnswer(stream);
        var platform = AnthropicPlatform("claude", upstream.BaseUrl);
        platform["defaultMaxTokens"] = 1234;
        platform["apiVersion"] = "2024-10-22";
        await using var host = await StartAsync(platform);
        var client = SdkClient(host, token: ClientToken);

        var (text, _, _, _) = await CompleteAsync(client, [new UserChatMessage("Say hello")], new ChatCompletionOptions(), stream);

        Assert.Equal("Hello, portal!", text);
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal(1234, sent.BodyJson.GetProperty("max_tokens").GetInt32());
        Assert.Equal("2024-10-22", Header(sent, "anthropic-version"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_AnthropicPlatformCallsATool_SdkSeesFunctionNameArgumentsAndUsage(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = ToolAnswer(stream);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        var client = SdkClient(host, token: ClientToken);
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString(WeatherParameters)) },
        };

        var (_, call, finishReason, usage) = await CompleteAsync(client, [new UserChatMessage("Weather in Zürich?")], options, stream);

        Assert.NotNull(call);
        Assert.Equal("toolu_01A09q90qw90lq917835lq9", call.Value.Id);
        Assert.Equal("get_weather", call.Value.Name);
        Assert.True(JsonElement.DeepEquals(Json(WeatherArguments), Json(call.Value.Arguments)), "Arguments: " + call.Value.Arguments);
        Assert.Equal(ChatFinishReason.ToolCalls, finishReason);
        Assert.NotNull(usage);
        Assert.Equal(9, usage.InputTokenCount);
        Assert.Equal(4, usage.OutputTokenCount);

        var body = Assert.Single(upstream.Requests).BodyJson;
        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("get_weather", tool.GetProperty("name").GetString());
        Assert.Equal("Weather of a city", tool.GetProperty("description").GetString());
        Assert.True(JsonElement.DeepEquals(Json(WeatherParameters), tool.GetProperty("input_schema")), "input_schema: " + tool);
        Assert.Equal(4096, body.GetProperty("max_tokens").GetInt32());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CompleteChat_ToolResultRoundTrip_UpstreamGetsToolUseAndToolResultBlocks(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = TextAnswer(stream, "It is 15 °C in Zürich.");
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        var client = SdkClient(host, token: ClientToken);
        var options = new ChatCompletionOptions
        {
            Tools = { ChatTool.CreateFunctionTool("get_weather", "Weather of a city", BinaryData.FromString(WeatherParameters)) },
        };
        ChatMessage[] messages =
        [
            new UserChatMessage("Weather in Zürich?"),
            new AssistantChatMessage([ChatToolCall.CreateFunctionToolCall("toolu_01A09q90qw90lq917835lq9", "get_weather", BinaryData.FromString(WeatherArguments))]),
            new ToolChatMessage("toolu_01A09q90qw90lq917835lq9", "15 °C"),
        ];

        var (text, _, _, _) = await CompleteAsync(client, messages, options, stream);

        Assert.Equal("It is 15 °C in Zürich.", text);
        var sent = Assert.Single(upstream.Requests).BodyJson.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(new[] { "user", "assistant", "user" }, sent.Select(m => m.GetProperty("role").GetString()));
        var toolUse = Assert.Single(sent[1].GetProperty("content").EnumerateArray(), b => b.GetProperty("type").GetString() == "tool_use");
        Assert.Equal("toolu_01A09q90qw90lq917835lq9", toolUse.GetProperty("id").GetString());
        Assert.Equal("get_weather", toolUse.GetProperty("name").GetString());
        Assert.True(JsonElement.DeepEquals(Json(WeatherArguments), toolUse.GetProperty("input")), "input: " + toolUse);
        var toolResult = Assert.Single(sent[2].GetProperty("content").EnumerateArray(), b => b.GetProperty("type").GetString() == "tool_result");
        Assert.Equal("toolu_01A09q90qw90lq917835lq9", toolResult.GetProperty("tool_use_id").GetString());
        Assert.Contains("15 °C", toolResult.GetProperty("content").ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> BrokenStreams => [.. AnthropicKit.BrokenStreams];

    [Theory]
    [MemberData(nameof(BrokenStreams))]
    public async Task ChatCompletions_AnthropicStreamBreaksMidway_ClientGetsTheTextThenAnErrorAndNoDone_StatIsAFailure(string how)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = BrokenStream(how);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = RawClient(host, ClientToken);

        var result = await ChatAsync(client, ChatBody(Alias, stream: true));

        Assert.True(result.Status == HttpStatusCode.OK, $"{(int)result.Status}: {result.Body}");
        Assert.Null(result.Error);
        Assert.False(result.Done, "A broken stream ended with [DONE]: " + string.Join(" | ", result.Events));
        Assert.Equal("Half an answer", DeltaText(result.Events));
        AssertOpenAIError(result.Events[^1]);
        var stat = Assert.Single(await StatsAsync(host));
        Assert.False(stat.Success);
        Assert.True(stat.IsStream);
        Assert.Equal("openai-chat", stat.Protocol);
        Assert.Equal("anthropic", stat.TargetFormat);
    }

    /// <summary>Sends the chat, streaming or not, and gathers the text, the first tool call, the finish reason and usage.</summary>
    private static async Task<(string Text, (string Id, string Name, string Arguments)? Call, ChatFinishReason? FinishReason, ChatTokenUsage? Usage)> CompleteAsync(
        ChatClient client, ChatMessage[] messages, ChatCompletionOptions options, bool stream)
    {
        if (!stream)
        {
            ChatCompletion completion = await client.CompleteChatAsync(messages, options);
            var text = string.Concat(completion.Content.Select(p => p.Text));
            var first = completion.ToolCalls.Count > 0 ? completion.ToolCalls[0] : null;
            return (text, first is null ? null : (first.Id, first.FunctionName, first.FunctionArguments.ToString()), completion.FinishReason, completion.Usage);
        }

        var content = new StringBuilder();
        var arguments = new StringBuilder();
        string? id = null, name = null;
        ChatFinishReason? finishReason = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate)
            {
                content.Append(part.Text);
            }

            foreach (var call in update.ToolCallUpdates)
            {
                Assert.Equal(0, call.Index);
                id ??= call.ToolCallId;
                name ??= call.FunctionName;
                if (call.FunctionArgumentsUpdate is { } piece)
                {
                    arguments.Append(piece.ToString());
                }
            }

            finishReason ??= update.FinishReason;
            usage ??= update.Usage;
        }

        return (content.ToString(), id is null ? null : (id, name!, arguments.ToString()), finishReason, usage);
    }
}
