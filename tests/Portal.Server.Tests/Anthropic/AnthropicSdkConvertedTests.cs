using System.Text.Json;
using Anthropic;
using Anthropic.Helpers;
using Anthropic.Models.Messages;
using Portal.Testing;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary>The official Anthropic .NET SDK against the real server, converted for a fake OpenAI-format platform and back.</summary>
public sealed class AnthropicSdkConvertedTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_OpenAIPlatformAnswersText_SdkGetsAnAnthropicMessageWithUsage(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.Stream("Hello", ", ", "portal", "!")
            : FakeResponse.ChatCompletion("Hello, portal!", promptTokens: 5, completionTokens: 7);
        await using var host = await StartAsync(OpenAIPlatform("gpt", upstream.BaseUrl, keys: [OpenAIKey]));
        using var client = Sdk(host, bearer: true);
        var parameters = new MessageCreateParams
        {
            Model = Alias,
            MaxTokens = 300,
            System = "Be brief.",
            Messages = [new UserMessageParam { Content = "Say hello" }],
        };

        var (message, events) = await CreateAsync(client, parameters, stream);

        Assert.Equal("Hello, portal!", string.Concat(message.Content.Select(c => c.TryPickText(out var t) ? t.Text : "")));
        Assert.Equal(StopReason.EndTurn, (StopReason)message.StopReason!);
        Assert.Equal(7, message.Usage.OutputTokens);
        Assert.Equal(5, InputTokensReported(message, events));
        if (stream)
        {
            AssertEventSequence(events);
        }

        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/chat/completions", sent.Path);
        Assert.Equal("Bearer " + OpenAIKey, Header(sent, "authorization"));
        Assert.Null(Header(sent, "x-api-key"));
        Assert.Null(Header(sent, "anthropic-version"));
        var body = sent.BodyJson;
        Assert.Equal(UpstreamModel, body.GetProperty("model").GetString());
        Assert.Equal(stream, body.TryGetProperty("stream", out var flag) && flag.GetBoolean());
        var messages = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Contains("Be brief.", messages[0].GetProperty("content").GetRawText(), StringComparison.Ordinal);
        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        Assert.Contains("Say hello", messages[1].GetProperty("content").GetRawText(), StringComparison.Ordinal);
        Assert.Equal(300, (body.TryGetProperty("max_tokens", out var max) ? max : body.GetProperty("max_completion_tokens")).GetInt32());

        var stat = Assert.Single(await StatsAsync(host));
        Assert.True(stat.Success, stat.ErrorMessage);
        Assert.Equal("anthropic-messages", stat.Protocol);
        Assert.Equal("openai", stat.TargetFormat);
        Assert.Equal(5, stat.PromptTokens);
        Assert.Equal(7, stat.CompletionTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_OpenAIPlatformCallsATool_SdkGetsToolUseWithInputAndUsage_ThinkingDroppedNotRefused(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.SseRaw(ToolCallStreamEvents("call_abc123", "get_weather", """{"city":""", "\"Zürich\",", "\"unit\":\"celsius\"}"))
            : FakeResponse.Json(200, ToolCallCompletion("call_abc123", "get_weather", WeatherArguments));
        await using var host = await StartAsync(OpenAIPlatform("gpt", upstream.BaseUrl, keys: [OpenAIKey]));
        using var client = Sdk(host);
        var parameters = new MessageCreateParams
        {
            Model = Alias,
            MaxTokens = 2048,
            Messages = [new UserMessageParam { Content = "Weather in Zürich?" }],
            Tools =
            [
                new Tool
                {
                    Name = "get_weather",
                    Description = "Current weather of a city",
                    InputSchema = new InputSchema { Properties = Properties("""{"city":{"type":"string","description":"The city"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}}"""), Required = ["city"] },
                },
            ],
            Thinking = new ThinkingConfigEnabled(1024),
        };

        var (message, events) = await CreateAsync(client, parameters, stream);

        var toolUse = Assert.Single(message.Content.Select(c => c.TryPickToolUse(out var t) ? t : null).OfType<ToolUseBlock>());
        Assert.Equal("call_abc123", toolUse.ID);
        Assert.Equal("get_weather", toolUse.Name);
        Assert.Equal("Zürich", toolUse.Input["city"].GetString());
        Assert.Equal("celsius", toolUse.Input["unit"].GetString());
        Assert.Equal(StopReason.ToolUse, (StopReason)message.StopReason!);
        Assert.Equal(4, message.Usage.OutputTokens);
        Assert.Equal(9, InputTokensReported(message, events));
        if (stream)
        {
            AssertEventSequence(events);

            // The arguments arrive as input_json_delta pieces that join to the upstream's arguments.
            var pieces = events.Select(e => e.TryPickContentBlockDelta(out var d) && d.Delta.TryPickInputJson(out var j) ? j.PartialJson : null).OfType<string>().ToList();
            Assert.NotEmpty(pieces);
            Assert.Equal(WeatherArguments, string.Concat(pieces));
        }

        var body = Assert.Single(upstream.Requests).BodyJson;
        var tool = Assert.Single(body.GetProperty("tools").EnumerateArray());
        Assert.Equal("function", tool.GetProperty("type").GetString());
        Assert.Equal("get_weather", tool.GetProperty("function").GetProperty("name").GetString());
        AssertJsonEqual(WeatherSchema, tool.GetProperty("function").GetProperty("parameters").GetRawText());

        // Thinking has no OpenAI Chat equivalent: dropped, and the request still served.
        Assert.False(body.TryGetProperty("thinking", out _), "thinking reached an OpenAI-format platform: " + body);

        var stat = Assert.Single(await StatsAsync(host));
        Assert.True(stat.Success, stat.ErrorMessage);
        Assert.Equal("openai", stat.TargetFormat);
        Assert.Equal(9, stat.PromptTokens);
        Assert.Equal(4, stat.CompletionTokens);
    }

    /// <summary>Sends the request, streaming or not; a stream's events are kept, and aggregated into the message the SDK would build.</summary>
    internal static async Task<(Message Message, List<RawMessageStreamEvent> Events)> CreateAsync(AnthropicClient client, MessageCreateParams parameters, bool stream)
    {
        var events = new List<RawMessageStreamEvent>();
        if (!stream)
        {
            return (await client.Messages.Create(parameters), events);
        }

        var aggregator = new MessageContentAggregator();
        await foreach (var e in client.Messages.CreateStreaming(parameters).CollectAsync(aggregator))
        {
            events.Add(e);
        }

        return (aggregator.Message(), events);
    }

    /// <summary>
    /// The input tokens the client was told of: a message's usage, or in a stream <c>message_start</c>'s when the platform
    /// reported them up front, else <c>message_delta</c>'s (an OpenAI platform reports usage at the end only).
    /// </summary>
    private static long? InputTokensReported(Message message, List<RawMessageStreamEvent> events)
    {
        if (events.Count == 0)
        {
            return message.Usage.InputTokens;
        }

        var atEnd = events.Select(e => e.TryPickDelta(out var d) ? d.Usage.InputTokens : null).LastOrDefault(n => n is > 0);
        var atStart = events[0].TryPickStart(out var start) ? start.Message.Usage.InputTokens : 0;
        return atEnd ?? atStart;
    }

    /// <summary>A correct Anthropic event sequence: message_start, blocks started, delta'd and stopped in order, message_delta, message_stop.</summary>
    private static void AssertEventSequence(List<RawMessageStreamEvent> events)
    {
        var kinds = events.Select(Kind).ToList();
        var sequence = string.Join(" ", kinds);
        Assert.Equal("message_start", kinds[0]);
        Assert.Equal("message_stop", kinds[^1]);
        Assert.Equal("message_delta", kinds[^2]);
        Assert.Single(kinds, k => k == "message_start");
        Assert.Single(kinds, k => k == "message_delta");
        int? open = null;
        var next = 0L;
        foreach (var e in events)
        {
            if (e.TryPickContentBlockStart(out var started))
            {
                Assert.True(open is null, "A block started inside another: " + sequence);
                Assert.Equal(next, started.Index);
                open = (int)started.Index;
            }
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                Assert.Equal(open, (int)delta.Index);
            }
            else if (e.TryPickContentBlockStop(out var stopped))
            {
                Assert.Equal(open, (int)stopped.Index);
                open = null;
                next++;
            }
        }

        Assert.True(open is null, "A block was never stopped: " + sequence);
        Assert.True(next > 0, "No content block: " + sequence);
    }

    private static string Kind(RawMessageStreamEvent e) =>
        e.TryPickStart(out _) ? "message_start"
        : e.TryPickContentBlockStart(out _) ? "content_block_start"
        : e.TryPickContentBlockDelta(out _) ? "content_block_delta"
        : e.TryPickContentBlockStop(out _) ? "content_block_stop"
        : e.TryPickDelta(out _) ? "message_delta"
        : e.TryPickStop(out _) ? "message_stop"
        : "unknown";

    private static void AssertJsonEqual(string expected, string actual) =>
        Assert.True(JsonElement.DeepEquals(Json(expected), Json(actual)), $"Expected {expected}, got {actual}");
}
