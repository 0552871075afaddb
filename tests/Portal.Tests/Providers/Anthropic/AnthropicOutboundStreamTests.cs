using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Contracts.Internal;
using Portal.Providers;
using Portal.Providers.Anthropic;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>An Anthropic event stream as contract chunks; the streams are the examples of Anthropic's streaming reference.</summary>
public sealed class AnthropicOutboundStreamTests
{
    private const long Created = 1_700_000_000;

    [Fact]
    public void Read_ReferenceTextStream_GivesRoleTextFinishAndUsageChunks()
    {
        var (stream, chunks) = Decode("""
            event: message_start
            data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-opus-4-6", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "output_tokens": 1}}}

            event: content_block_start
            data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!"}}

            event: content_block_stop
            data: {"type": "content_block_stop", "index": 0}

            event: message_delta
            data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

            event: message_stop
            data: {"type": "message_stop"}
            """);

        var head = new ChunkHead("msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "claude-opus-4-6");
        AssertChunks(
            [
                head.Delta("""{"role":"assistant","content":""}"""),
                head.Delta("""{"content":"Hello"}"""),
                head.Delta("""{"content":"!"}"""),
                head.Delta("{}", "stop"),
                head.Usage("""{"prompt_tokens":25,"completion_tokens":15,"total_tokens":40,"prompt_tokens_details":{"cached_tokens":0}}"""),
            ],
            chunks);
        Assert.True(stream.Finished);
        Assert.Equal(new AnthropicOutboundUsage(25, 15, 0, 0), stream.Usage);
    }

    [Fact]
    public void Read_ReferenceToolUseStream_NumbersToolCallsFromZeroAndPassesSplitArgumentsThrough()
    {
        // Anthropic's tool use example, with a second tool block after it.
        var (stream, chunks) = Decode("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-opus-4-6","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: ping
            data: {"type": "ping"}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let's check the weather for San Francisco, CA:"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" Francisc"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"o,"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" CA\""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":", "}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"unit\": \"fah"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"renheit\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: content_block_start
            data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":2}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

            event: message_stop
            data: {"type":"message_stop"}
            """);

        var head = new ChunkHead("msg_014p7gG3wDgGV9EUtLvnow3U", "claude-opus-4-6");
        AssertChunks(
            [
                head.Delta("""{"role":"assistant","content":""}"""),
                head.Delta("""{"content":"Okay, let's check the weather for San Francisco, CA:"}"""),
                head.Delta("""{"tool_calls":[{"index":0,"id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
                head.Arguments(0, "{\"location\":"),
                head.Arguments(0, " \"San"),
                head.Arguments(0, " Francisc"),
                head.Arguments(0, "o,"),
                head.Arguments(0, " CA\""),
                head.Arguments(0, ", "),
                head.Arguments(0, "\"unit\": \"fah"),
                head.Arguments(0, "renheit\"}"),
                head.Delta("""{"tool_calls":[{"index":1,"id":"toolu_02","type":"function","function":{"name":"get_time","arguments":""}}]}"""),
                head.Arguments(1, "{}"),
                head.Delta("{}", "tool_calls"),
                head.Usage("""{"prompt_tokens":472,"completion_tokens":89,"total_tokens":561,"prompt_tokens_details":{"cached_tokens":0}}"""),
            ],
            chunks);
        Assert.True(stream.Finished);
    }

    [Fact]
    public void Read_ReferenceThinkingStream_GivesReasoningContentAndSkipsTheSignature()
    {
        // Anthropic's extended thinking example: neither message_start nor message_delta carries usage.
        var (stream, chunks) = Decode("""
            event: message_start
            data: {"type": "message_start", "message": {"id": "msg_01", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5", "stop_reason": null, "stop_sequence": null}}

            event: content_block_start
            data: {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147"}}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21"}}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds..."}}

            event: content_block_stop
            data: {"type": "content_block_stop", "index": 0}

            event: content_block_start
            data: {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}

            event: content_block_delta
            data: {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "The greatest common divisor of 1071 and 462 is **21**."}}

            event: content_block_stop
            data: {"type": "content_block_stop", "index": 1}

            event: message_delta
            data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}}

            event: message_stop
            data: {"type": "message_stop"}
            """);

        var head = new ChunkHead("msg_01", "claude-sonnet-4-5");
        AssertChunks(
            [
                head.Delta("""{"role":"assistant","content":""}"""),
                head.Delta("""{"reasoning_content":"I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147"}"""),
                head.Delta("""{"reasoning_content":"\n462 = 3 × 147 + 21\n147 = 7 × 21 + 0\n\nSo GCD(1071, 462) = 21"}"""),
                head.Delta("""{"content":"The greatest common divisor of 1071 and 462 is **21**."}"""),
                head.Delta("{}", "stop"),
                head.Usage("""{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0}}"""),
            ],
            chunks);
        Assert.True(stream.Finished);
    }

    [Fact]
    public void Read_CacheTokensAndCountsInMessageDelta_LaterCountsWinAndCacheCountsArePromptTokens()
    {
        var (stream, chunks) = Decode("""
            event: message_start
            data: {"type":"message_start","message":{"model":"claude-haiku-4-5-20251001","id":"msg_01K2JbSUMYhez5RHoK9ZCj9U","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":849,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":0},"output_tokens":10,"service_tier":"standard"}}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":850,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000,"output_tokens":47}}

            event: message_stop
            data: {"type":"message_stop"}
            """);

        Assert.Equal(new AnthropicOutboundUsage(InputTokens: 850, OutputTokens: 47, CacheReadInputTokens: 2000, CacheCreationInputTokens: 100), stream.Usage);
        Assert.Equal("length", chunks[1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(
            """{"prompt_tokens":2950,"completion_tokens":47,"total_tokens":2997,"prompt_tokens_details":{"cached_tokens":2000},"cache_creation_input_tokens":100}""",
            chunks[2]["usage"]!.ToJsonString());
    }

    [Theory]
    [InlineData("overloaded_error", "Overloaded", 529)]
    [InlineData("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", 429)]
    [InlineData("api_error", "Internal server error", 500)]
    [InlineData("invalid_request_error", "messages: roles must alternate", 400)]
    [InlineData("authentication_error", "invalid x-api-key", 401)]
    [InlineData("permission_error", "Your API key does not have permission to use the specified resource.", 403)]
    [InlineData("not_found_error", "model: claude-nonexistent", 404)]
    [InlineData("request_too_large", "Request exceeds the maximum allowed number of bytes.", 413)]
    [InlineData("billing_error", "Your credit balance is too low.", 402)]
    [InlineData("timeout_error", "Request timed out.", 504)]
    [InlineData("an_error_added_later", "Something new.", null)]
    public void Read_ErrorEvent_ThrowsHttpErrorWithTheStatusOfItsTypeAndItsMessage(string type, string message, int? status)
    {
        var stream = Started();

        var e = Assert.Throws<UpstreamException>(() => stream.Read("error", Encoding.UTF8.GetBytes(
            $$$"""{"type": "error", "error": {"type": "{{{type}}}", "message": "{{{message}}}"}}""")));

        Assert.Equal(UpstreamErrorKind.Http, e.Kind);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(type, e.ErrorCode);
        Assert.Equal(message, e.Message);
        Assert.False(stream.Finished);
    }

    [Fact]
    public void Read_ErrorEventBeforeMessageStart_Throws()
    {
        var stream = new AnthropicOutboundStream(Created);

        var e = Assert.Throws<UpstreamException>(() => stream.Read("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""u8));

        Assert.Equal(529, e.StatusCode);
    }

    [Fact]
    public void Read_ErrorEventWithoutMessage_DescribesItsType()
    {
        var e = Assert.Throws<UpstreamException>(() => Started().Read("error", """{"type":"error","error":{"type":"api_error"}}"""u8));

        Assert.Equal("Upstream sent an error of type api_error.", e.Message);
    }

    [Theory]
    [InlineData("future_event", """{"type":"future_event","payload":{"x":1}}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"EmwK"}}""")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"char_location"}}}""")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"future_delta","value":"x"}}""")]
    [InlineData("content_block_stop", """{"type":"content_block_stop","index":0}""")]
    [InlineData("ping", """{"type":"ping"}""")]
    [InlineData("message_delta", """{"type":"message_delta","delta":{"stop_reason":null},"usage":{"output_tokens":3}}""")]
    public void Read_EventWithoutAContractCounterpart_GivesNoChunkAndTheStreamGoesOn(string eventType, string data)
    {
        var stream = Started();

        Assert.Null(stream.Read(eventType, Encoding.UTF8.GetBytes(data)));

        var chunk = stream.Read("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"still here"}}"""u8);
        Assert.Equal("still here", chunk!.Choices[0].Delta.Content);
    }

    [Fact]
    public void Read_DataWithoutType_UsesTheSseEventName()
    {
        var stream = Started();

        Assert.Null(stream.Read("ping", "{}"u8));
        var last = stream.Read("message_stop", "{}"u8);

        Assert.NotNull(last);
        Assert.True(stream.Finished);
    }

    [Fact]
    public void Read_SecondStopReason_GivesNoSecondFinishChunk()
    {
        var stream = Started();

        Assert.NotNull(stream.Read("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}"""u8));
        Assert.Null(stream.Read("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":6}}"""u8));

        Assert.Equal(6, stream.Usage.OutputTokens);
    }

    [Fact]
    public void Read_EventsAfterMessageStop_AreIgnored()
    {
        var stream = Started();
        stream.Read("message_stop", """{"type":"message_stop"}"""u8);

        Assert.Null(stream.Read("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"late"}}"""u8));
        Assert.Null(stream.Read("error", "not even json"u8));
        Assert.True(stream.Finished);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"type\":\"content_block_delta\"")]
    [InlineData("[]")]
    [InlineData("{\"type\":\"ping\"} extra")]
    public void Read_MalformedJson_ThrowsProtocolError(string data)
    {
        var e = Assert.Throws<UpstreamException>(() => Started().Read("content_block_delta", Encoding.UTF8.GetBytes(data)));

        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
    }

    [Theory]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")]
    [InlineData("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn"}}""")]
    [InlineData("message_stop", """{"type":"message_stop"}""")]
    public void Read_EventBeforeMessageStart_ThrowsProtocolError(string eventType, string data)
    {
        var stream = new AnthropicOutboundStream(Created);

        var e = Assert.Throws<UpstreamException>(() => stream.Read(eventType, Encoding.UTF8.GetBytes(data)));

        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
        Assert.Equal($"Upstream sent {eventType} before message_start.", e.Message);
    }

    [Theory]
    [InlineData("message_start", """{"type":"message_start","message":{"id":"msg_2","model":"claude"}}""")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}""")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}}""")]
    [InlineData("content_block_delta", """{"type":"content_block_delta","index":0}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","name":"f","input":{}}}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}""")]
    [InlineData("content_block_start", """{"type":"content_block_start","index":1}""")]
    public void Read_EventOutOfShapeOrOrder_ThrowsProtocolError(string eventType, string data)
    {
        var stream = Started();

        var e = Assert.Throws<UpstreamException>(() => stream.Read(eventType, Encoding.UTF8.GetBytes(data)));

        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
    }

    [Fact]
    public void Read_MessageStartWithoutMessage_ThrowsProtocolError()
    {
        var e = Assert.Throws<UpstreamException>(() => new AnthropicOutboundStream(Created).Read("message_start", """{"type":"message_start"}"""u8));

        Assert.Equal(UpstreamErrorKind.Protocol, e.Kind);
    }

    /// <summary>The expected chunks of one stream: the same id, model and created time on each.</summary>
    private sealed record ChunkHead(string Id, string Model)
    {
        public string Delta(string delta, string? finishReason = null) => Chunk(
            [new JsonObject { ["index"] = 0, ["delta"] = JsonNode.Parse(delta), ["finish_reason"] = finishReason, ["logprobs"] = null }],
            usage: null);

        public string Arguments(int index, string json) => Delta(new JsonObject
        {
            ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = index, ["function"] = new JsonObject { ["arguments"] = json } }),
        }.ToJsonString());

        public string Usage(string usage) => Chunk([], JsonNode.Parse(usage));

        private string Chunk(JsonArray choices, JsonNode? usage)
        {
            var chunk = new JsonObject { ["id"] = Id, ["object"] = "chat.completion.chunk", ["created"] = Created, ["model"] = Model, ["choices"] = choices };
            if (usage is not null)
            {
                chunk["usage"] = usage;
            }

            return chunk.ToJsonString();
        }
    }

    private static AnthropicOutboundStream Started()
    {
        var stream = new AnthropicOutboundStream(Created);
        Assert.NotNull(stream.Read("message_start", """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","usage":{"input_tokens":1,"output_tokens":1}}}"""u8));
        return stream;
    }

    /// <summary>Feeds every event of an SSE transcript to a new decoder and returns the chunks, serialized as the gateway writes them.</summary>
    private static (AnthropicOutboundStream Stream, List<JsonNode> Chunks) Decode(string transcript)
    {
        var stream = new AnthropicOutboundStream(Created);
        var chunks = new List<JsonNode>();
        foreach (var block in transcript.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            string? eventType = null, data = null;
            foreach (var line in block.Split('\n'))
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    eventType = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line["data: ".Length..];
                }
            }

            if (stream.Read(eventType, Encoding.UTF8.GetBytes(data!)) is { } chunk)
            {
                chunks.Add(JsonNode.Parse(JsonSerializer.Serialize(chunk, WireJson.Context.ChatCompletionChunk))!);
            }
        }

        return (stream, chunks);
    }

    private static void AssertChunks(string[] expected, List<JsonNode> actual)
    {
        var actualText = string.Join("\n", actual.Select(chunk => chunk.ToJsonString()));
        Assert.True(
            expected.Length == actual.Count && expected.Zip(actual).All(pair => JsonNode.DeepEquals(JsonNode.Parse(pair.First), pair.Second)),
            $"Chunks differ.\nExpected:\n{string.Join("\n", expected.Select(e => JsonNode.Parse(e)!.ToJsonString()))}\nActual:\n{actualText}");
    }
}
