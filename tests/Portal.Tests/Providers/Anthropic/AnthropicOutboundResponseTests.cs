using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Contracts.Internal;
using Portal.Providers;
using Portal.Providers.Anthropic;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>An Anthropic Message as a contract response; the inputs are the examples of Anthropic's Messages API reference.</summary>
public sealed class AnthropicOutboundResponseTests
{
    private const long Created = 1_700_000_000;

    [Fact]
    public void FromAnthropic_TextMessage_MatchesTheReferenceExample()
    {
        var response = Convert("""
            {"content":[{"text":"Hi! My name is Claude.","type":"text"}],
             "id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","model":"claude-3-7-sonnet-20250219","role":"assistant",
             "stop_reason":"end_turn","stop_sequence":null,"type":"message","usage":{"input_tokens":2095,"output_tokens":503}}
            """);

        AssertJsonEqual("""
            {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","object":"chat.completion","created":1700000000,"model":"claude-3-7-sonnet-20250219",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hi! My name is Claude."},"finish_reason":"stop","logprobs":null}],
             "usage":{"prompt_tokens":2095,"completion_tokens":503,"total_tokens":2598,"prompt_tokens_details":{"cached_tokens":0}}}
            """, response);
    }

    [Fact]
    public void FromAnthropic_ToolUse_BecomesFunctionToolCallsWithCompactArguments()
    {
        var response = Convert("""
            {"id":"msg_01Aq9w938a90dw8q","model":"claude-opus-4-6","stop_reason":"tool_use","role":"assistant","type":"message",
             "content":[
               {"type":"text","text":"I'll check the current weather in San Francisco for you."},
               {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{ "location" : "San Francisco, CA", "unit": "celsius" }},
               {"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}],
             "usage":{"input_tokens":472,"output_tokens":91}}
            """);

        AssertJsonEqual("""
            {"id":"msg_01Aq9w938a90dw8q","object":"chat.completion","created":1700000000,"model":"claude-opus-4-6",
             "choices":[{"index":0,"message":{"role":"assistant","content":"I'll check the current weather in San Francisco for you.","tool_calls":[
               {"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}"}},
               {"id":"toolu_01B","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
               "finish_reason":"tool_calls","logprobs":null}],
             "usage":{"prompt_tokens":472,"completion_tokens":91,"total_tokens":563,"prompt_tokens_details":{"cached_tokens":0}}}
            """, response);
    }

    [Fact]
    public void FromAnthropic_ToolUseOnly_HasNullContent()
    {
        var response = AnthropicOutbound.FromAnthropic("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude","stop_reason":"tool_use",
             "content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{"q":"ü"}}],"usage":{"input_tokens":1,"output_tokens":1}}
            """u8, Created);

        var message = response.Choices[0].Message;
        Assert.Null(message.Content);
        Assert.Equal("{\"q\":\"ü\"}", message.ToolCalls![0].Function!.Arguments);
    }

    [Fact]
    public void FromAnthropic_Thinking_BecomesReasoningContentAndRedactedThinkingIsSkipped()
    {
        var response = Convert("""
            {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5","stop_reason":"end_turn",
             "content":[
               {"type":"thinking","thinking":"Let me analyze this step by step...","signature":"WaUjzkypQ2mUEVM36O2TxuC06KN8xyfbJwyem2dw3URve/op91XWHOEBLLqIOMfFG/UvLEczmEsUjavL"},
               {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
               {"type":"text","text":"Based on my analysis..."}],
             "usage":{"input_tokens":10,"output_tokens":20}}
            """);

        AssertJsonEqual("""
            {"id":"msg_01","object":"chat.completion","created":1700000000,"model":"claude-sonnet-4-5",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Based on my analysis...","reasoning_content":"Let me analyze this step by step..."},
               "finish_reason":"stop","logprobs":null}],
             "usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":0}}}
            """, response);
    }

    [Theory]
    [InlineData("\"end_turn\"", "stop")]
    [InlineData("\"stop_sequence\"", "stop")]
    [InlineData("\"pause_turn\"", "stop")]
    [InlineData("\"max_tokens\"", "length")]
    [InlineData("\"model_context_window_exceeded\"", "length")]
    [InlineData("\"tool_use\"", "tool_calls")]
    [InlineData("\"refusal\"", "content_filter")]
    [InlineData("\"a_reason_added_later\"", "stop")]
    [InlineData("null", null)]
    public void FromAnthropic_StopReason_MapsToFinishReason(string stopReason, string? expected)
    {
        var response = AnthropicOutbound.FromAnthropic(Encoding.UTF8.GetBytes($$$"""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"x"}],
             "stop_reason":{{{stopReason}}},"usage":{"input_tokens":1,"output_tokens":1}}
            """), Created);

        Assert.Equal(expected, response.Choices[0].FinishReason);
    }

    [Fact]
    public void FromAnthropic_CacheTokens_CountAsPromptTokensAndCacheReadsAsCached()
    {
        var response = AnthropicOutbound.FromAnthropic("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"x"}],"stop_reason":"end_turn",
             "usage":{"input_tokens":21,"cache_creation_input_tokens":188086,"cache_read_input_tokens":1500,"output_tokens":393}}
            """u8, Created, out var usage);

        Assert.Equal(new AnthropicOutboundUsage(InputTokens: 21, OutputTokens: 393, CacheReadInputTokens: 1500, CacheCreationInputTokens: 188086), usage);
        Assert.Equal(
            """{"prompt_tokens":189607,"completion_tokens":393,"total_tokens":190000,"prompt_tokens_details":{"cached_tokens":1500},"cache_creation_input_tokens":188086}""",
            JsonSerializer.Serialize(response.Usage!, WireJson.Context.Usage));
    }

    [Fact]
    public void FromAnthropic_NoUsage_ReportsZeros()
    {
        var response = AnthropicOutbound.FromAnthropic("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":"end_turn"}
            """u8, Created, out var usage);

        Assert.Equal(default, usage);
        Assert.Equal(0, response.Usage!.TotalTokens);
        Assert.Null(response.Choices[0].Message.Content);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"message\"")]
    [InlineData("""{"type":"message","content":[]} {}""")]
    [InlineData("""{"type":"completion","content":[]}""")]
    [InlineData("""{"id":"msg_1","role":"assistant","content":[]}""")]
    [InlineData("""{"type":"message","id":"msg_1"}""")]
    [InlineData("""{"type":"message","content":"Hi"}""")]
    [InlineData("""{"type":"message","content":["Hi"]}""")]
    [InlineData("""{"type":"message","content":[{"type":"tool_use","id":"toolu_1","name":"f"}]}""")]
    [InlineData("""{"type":"message","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":"{}"}]}""")]
    public void FromAnthropic_NotAMessage_ThrowsProtocolError(string body)
    {
        var e = Assert.Throws<UpstreamException>(() => AnthropicOutbound.FromAnthropic(Encoding.UTF8.GetBytes(body), Created));

        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
        Assert.Null(e.StatusCode);
    }

    [Fact]
    public void FromAnthropic_ErrorObject_ThrowsHttpErrorWithTheStatusOfItsType()
    {
        var e = Assert.Throws<UpstreamException>(() => AnthropicOutbound.FromAnthropic("""
            {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}
            """u8, Created));

        Assert.Equal(UpstreamErrorKind.Http, e.Kind);
        Assert.Equal(529, e.StatusCode);
        Assert.Equal("overloaded_error", e.ErrorCode);
        Assert.Equal("Overloaded", e.Message);
    }

    private static JsonNode Convert(string anthropicJson)
    {
        var response = AnthropicOutbound.FromAnthropic(Encoding.UTF8.GetBytes(anthropicJson), Created);
        return JsonNode.Parse(JsonSerializer.Serialize(response, WireJson.Context.ChatCompletionResponse))!;
    }

    private static void AssertJsonEqual(string expected, JsonNode actual)
    {
        if (!JsonNode.DeepEquals(JsonNode.Parse(expected), actual))
        {
            Assert.Fail($"JSON differs.\nExpected: {JsonNode.Parse(expected)!.ToJsonString()}\nActual:   {actual.ToJsonString()}");
        }
    }
}
