using System.Text;
using System.Text.Json;
using Portal.Providers.Anthropic;
using static Portal.Tests.Providers.Anthropic.AnthropicInboundTestKit;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>Non-streamed chat completions converted to Anthropic Messages, compared byte for byte.</summary>
public sealed class AnthropicInboundResponseTests
{
    [Fact]
    public void FromChatResponse_Text_WritesTheMessage()
    {
        // The chat completions reference's example answer.
        var response = Response("""
            {
              "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
              "object": "chat.completion",
              "created": 1741569952,
              "model": "gpt-4.1-2025-04-14",
              "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": "Hello! How can I assist you today?", "refusal": null, "annotations": [] },
                "logprobs": null,
                "finish_reason": "stop"
              }],
              "usage": {
                "prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29,
                "prompt_tokens_details": { "cached_tokens": 0, "audio_tokens": 0 },
                "completion_tokens_details": { "reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0 }
              },
              "service_tier": "default"
            }
            """);

        var json = Encoding.UTF8.GetString(AnthropicInbound.FromChatResponse(response, "claude-sonnet-4-5"));

        Assert.Equal(
            """{"id":"msg_chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Hello! How can I assist you today?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":19,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":10}}""",
            json);
    }

    [Fact]
    public void FromChatResponse_ToolCalls_TextThenOneToolUseBlockPerCall()
    {
        var response = Response("""
            {
              "id": "chatcmpl-abc123",
              "object": "chat.completion",
              "created": 1699896916,
              "model": "gpt-4o-mini",
              "choices": [{
                "index": 0,
                "message": {
                  "role": "assistant",
                  "content": "I'll check the weather.",
                  "tool_calls": [
                    { "id": "call_abc123", "type": "function", "function": { "name": "get_current_weather", "arguments": "{\n\"location\": \"Boston, MA\"\n}" } },
                    { "id": "call_def456", "type": "function", "function": { "name": "get_time", "arguments": "" } }
                  ]
                },
                "logprobs": null,
                "finish_reason": "tool_calls"
              }],
              "usage": { "prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99 }
            }
            """);

        var json = Encoding.UTF8.GetString(AnthropicInbound.FromChatResponse(response, "claude-opus-4-1"));

        Assert.Equal(
            """{"id":"msg_chatcmpl-abc123","type":"message","role":"assistant","model":"claude-opus-4-1","content":[{"type":"text","text":"I'll check the weather."},{"type":"tool_use","id":"call_abc123","name":"get_current_weather","input":{"location":"Boston, MA"}},{"type":"tool_use","id":"call_def456","name":"get_time","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":82,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":17}}""",
            json);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"a\":")]
    [InlineData("   ")]
    [InlineData(null)]
    public void FromChatResponse_ArgumentsNotAJsonObject_EmptyInput(string? arguments)
    {
        var response = Response("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f"}}]},"finish_reason":"tool_calls"}]}""");
        response.Choices[0].Message.ToolCalls![0].Function!.Arguments = arguments;

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        var block = Assert.Single(message.GetProperty("content").EnumerateArray());
        Assert.Equal("tool_use", block.GetProperty("type").GetString());
        Assert.Equal("{}", block.GetProperty("input").GetRawText());
    }

    [Fact]
    public void FromChatResponse_CachedTokens_SplitOutOfTheInputTokens()
    {
        var response = Response("""
            {"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920}}}
            """);

        var usage = Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("usage");

        Assert.Equal("""{"input_tokens":86,"cache_creation_input_tokens":0,"cache_read_input_tokens":1920,"output_tokens":300}""", usage.GetRawText());
    }

    [Fact]
    public void FromChatResponse_CachedTokensAbovePromptTokens_InputTokensNeverNegative()
    {
        var response = Response("""
            {"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":11,"prompt_tokens_details":{"cached_tokens":64}}}
            """);

        var usage = Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("usage");

        Assert.Equal(0, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(64, usage.GetProperty("cache_read_input_tokens").GetInt32());
    }

    [Fact]
    public void FromChatResponse_NoUsage_ZeroUsage()
    {
        var response = Response("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}]}""");

        var usage = Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("usage");

        Assert.Equal("""{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}""", usage.GetRawText());
    }

    [Theory]
    [InlineData("\"stop\"", false, "end_turn")]
    [InlineData("\"length\"", false, "max_tokens")]
    [InlineData("\"tool_calls\"", true, "tool_use")]
    [InlineData("\"function_call\"", false, "tool_use")]
    [InlineData("\"content_filter\"", false, "refusal")]
    [InlineData("null", false, "end_turn")]
    [InlineData("\"eos\"", false, "end_turn")]
    [InlineData("\"stop\"", true, "tool_use")]
    [InlineData("\"length\"", true, "max_tokens")]
    public void FromChatResponse_FinishReason_MapsToTheStopReason(string finishReason, bool withToolCall, string stopReason)
    {
        var toolCalls = withToolCall ? ""","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]""" : "";
        var response = Response($$"""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"{{toolCalls}}},"finish_reason":{{finishReason}}}]}""");

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Equal(stopReason, message.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
    }

    [Fact]
    public void FromChatResponse_RefusalAndReasoning_RefusalAsTextReasoningDropped()
    {
        var response = Response("""
            {"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that.","reasoning_content":"The user asks for something unsafe."},"finish_reason":"content_filter"}]}
            """);

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Equal("""[{"type":"text","text":"I can't help with that."}]""", message.GetProperty("content").GetRawText());
        Assert.Equal("refusal", message.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public void FromChatResponse_EmptyContent_NoTextBlock()
    {
        var response = Response("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":""},"finish_reason":"stop"}]}""");

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Equal("[]", message.GetProperty("content").GetRawText());
    }

    [Fact]
    public void FromChatResponse_ContentAsParts_TextPartsConcatenated()
    {
        var response = Response("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},"finish_reason":"stop"}]}""");

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Equal("""[{"type":"text","text":"Hello"}]""", message.GetProperty("content").GetRawText());
    }

    [Fact]
    public void FromChatResponse_NoChoices_EmptyMessageThatEndsTheTurn()
    {
        var response = Response("""{"id":"c","choices":[]}""");

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Equal("[]", message.GetProperty("content").GetRawText());
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
    }

    [Fact]
    public void FromChatResponse_SeveralChoices_OnlyTheFirstConverted()
    {
        var response = Response("""
            {"id":"c","choices":[
              {"index":0,"message":{"role":"assistant","content":"first"},"finish_reason":"stop"},
              {"index":1,"message":{"role":"assistant","content":"second"},"finish_reason":"length"}]}
            """);

        var message = Parse(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Equal("""[{"type":"text","text":"first"}]""", message.GetProperty("content").GetRawText());
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("msg_01XFDUDYJgAACzvnptvVoYEL", "msg_01XFDUDYJgAACzvnptvVoYEL")]
    [InlineData("chatcmpl-1", "msg_chatcmpl-1")]
    public void FromChatResponse_Id_PrefixedWithMsgUnlessItAlreadyIs(string upstream, string expected)
    {
        var response = Response($$"""{"id":"{{upstream}}","choices":[]}""");

        Assert.Equal(expected, Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("id").GetString());
    }

    [Fact]
    public void FromChatResponse_NoUpstreamId_RandomMsgId()
    {
        var response = Response("""{"id":"","choices":[]}""");

        var first = Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("id").GetString()!;
        var second = Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("id").GetString()!;

        Assert.Matches("^msg_[0-9a-f]{32}$", first);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void FromChatResponse_ToolCallWithoutId_RandomToolUseId()
    {
        var response = Response("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}""");

        var block = Parse(AnthropicInbound.FromChatResponse(response, "m")).GetProperty("content")[0];

        Assert.Matches("^toolu_[0-9a-f]{32}$", block.GetProperty("id").GetString());
    }

    [Fact]
    public void FromChatResponse_NonAsciiText_WrittenAsUtf8()
    {
        var response = Response("""{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":"Grüße, 世界 \"quoted\""},"finish_reason":"stop"}]}""");

        var json = Encoding.UTF8.GetString(AnthropicInbound.FromChatResponse(response, "m"));

        Assert.Contains("""{"type":"text","text":"Grüße, 世界 \"quoted\""}""", json, StringComparison.Ordinal);
    }

    private static JsonElement Parse(byte[] json) => JsonDocument.Parse(json).RootElement.Clone();
}
