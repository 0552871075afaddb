using System.Buffers;
using System.Text;
using Portal.Providers.Anthropic;
using static Portal.Tests.Providers.Anthropic.AnthropicInboundTestKit;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>OpenAI chat completion chunks re-encoded as Anthropic Messages events, compared as exact framed text.</summary>
public sealed class AnthropicEventEncoderTests
{
    private const string Head = "\"id\":\"chatcmpl-123\",\"object\":\"chat.completion.chunk\",\"created\":1694268190,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_44709d6fcb\",";

    private static readonly string MessageStartZero = Frame("message_start",
        """{"type":"message_start","message":{"id":"msg_chatcmpl-123","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}""");

    /// <summary>A chunk of the chat completions streaming reference's example, whose choices (and usage) follow.</summary>
    private static string C(string rest) => "{" + Head + rest.TrimStart();

    private static readonly string MessageStop = Frame("message_stop", """{"type":"message_stop"}""");

    [Fact]
    public void Encode_TextOnlyStream_TextBlockThenStopReasonAndUsage()
    {
        // The chat completions streaming reference's example: a role chunk, content chunks, the finish chunk, the usage chunk.
        var encoder = new AnthropicEventEncoder("claude-sonnet-4-5");
        var text = Encode(encoder,
            C(""" "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}"""),
            C(""" "choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0}}}"""));

        Assert.Equal(
            MessageStartZero
            + Frame("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}""")
            + Frame("content_block_stop", """{"type":"content_block_stop","index":0}""")
            + Frame("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":12}}""")
            + MessageStop,
            text);
        AssertWellFormed(text);
    }

    [Fact]
    public void Encode_TextThenTwoParallelToolCallsWithSplitArguments_OneBlockPerCallInOrder()
    {
        var encoder = new AnthropicEventEncoder("claude-sonnet-4-5");
        var text = Encode(encoder,
            C(""" "choices":[{"index":0,"delta":{"role":"assistant","content":"Let me check."},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\": \"Paris"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":", France\"}"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_ABTcnB4JlUNzxEZfGQnZcqC5","type":"function","function":{"name":"get_time","arguments":"{\"tz\":"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":" \"CET\"}"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"""),
            C(""" "choices":[],"usage":{"prompt_tokens":120,"completion_tokens":45,"total_tokens":165,"prompt_tokens_details":{"cached_tokens":64}}}"""));

        Assert.Equal(
            MessageStartZero
            + Frame("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check."}}""")
            + Frame("content_block_stop", """{"type":"content_block_stop","index":0}""")
            + Frame("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","name":"get_weather","input":{}}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\": \"Paris"}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":", France\"}"}}""")
            + Frame("content_block_stop", """{"type":"content_block_stop","index":1}""")
            + Frame("content_block_start", """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_ABTcnB4JlUNzxEZfGQnZcqC5","name":"get_time","input":{}}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"tz\":"}}""")
            + Frame("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":" \"CET\"}"}}""")
            + Frame("content_block_stop", """{"type":"content_block_stop","index":2}""")
            + Frame("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":56,"cache_creation_input_tokens":0,"cache_read_input_tokens":64,"output_tokens":45}}""")
            + MessageStop,
            text);
        AssertWellFormed(text);
    }

    [Fact]
    public void Add_UsageChunkAfterTheFinishChunk_BothReachMessageDeltaAndTheUsageIsExposed()
    {
        var encoder = new AnthropicEventEncoder("claude-sonnet-4-5");
        var output = new ArrayBufferWriter<byte>();
        encoder.Add(Chunk(C(""" "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}""")), output);
        encoder.Add(Chunk(C(""" "choices":[{"index":0,"delta":{},"finish_reason":"length"}]}""")), output);

        Assert.False(encoder.HasUsage);
        Assert.Equal((0, 0, 0), (encoder.InputTokens, encoder.OutputTokens, encoder.CacheReadInputTokens));

        encoder.Add(Chunk(C(""" "choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920}}}""")), output);
        encoder.Complete(output);

        Assert.True(encoder.HasUsage);
        Assert.Equal((86, 300, 1920), (encoder.InputTokens, encoder.OutputTokens, encoder.CacheReadInputTokens));
        var events = AssertWellFormed(Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal(
            """{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":86,"cache_creation_input_tokens":0,"cache_read_input_tokens":1920,"output_tokens":300}}""",
            events[^2].Data.GetRawText());
    }

    [Fact]
    public void Add_FirstChunkCarriesUsage_MessageStartReportsItsInputTokens()
    {
        // Some OpenAI-compatible platforms send usage on every chunk.
        var text = Encode(new AnthropicEventEncoder("claude-sonnet-4-5"),
            C(""" "choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}],"usage":{"prompt_tokens":30,"completion_tokens":1,"total_tokens":31,"prompt_tokens_details":{"cached_tokens":8}}}"""),
            C(""" "choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":30,"completion_tokens":7,"total_tokens":37,"prompt_tokens_details":{"cached_tokens":8}}}"""));

        var events = AssertWellFormed(text);
        Assert.Equal(
            """{"input_tokens":22,"cache_creation_input_tokens":0,"cache_read_input_tokens":8,"output_tokens":0}""",
            events[0].Data.GetProperty("message").GetProperty("usage").GetRawText());
        Assert.Equal(
            """{"input_tokens":22,"cache_creation_input_tokens":0,"cache_read_input_tokens":8,"output_tokens":7}""",
            events[^2].Data.GetProperty("usage").GetRawText());
    }

    [Fact]
    public void Complete_StreamThatProducedNothing_WritesAWholeEmptyMessage()
    {
        var output = new ArrayBufferWriter<byte>();
        new AnthropicEventEncoder("claude-haiku-4-5", messageId: "msg_01EmptyStream").Complete(output);

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.Equal(
            Frame("message_start", """{"type":"message_start","message":{"id":"msg_01EmptyStream","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}""")
            + Frame("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}""")
            + MessageStop,
            text);
        AssertWellFormed(text);
    }

    [Fact]
    public void Complete_NoChunkAndNoMessageId_RandomMsgId()
    {
        var output = new ArrayBufferWriter<byte>();
        new AnthropicEventEncoder("m").Complete(output);

        var start = ParseEvents(Encoding.UTF8.GetString(output.WrittenSpan))[0].Data;
        Assert.Matches("^msg_[0-9a-f]{32}$", start.GetProperty("message").GetProperty("id").GetString());
    }

    [Fact]
    public void Add_MessageIdGiven_UsedInsteadOfTheChunkId()
    {
        var text = Encode(new AnthropicEventEncoder("m", messageId: "msg_gateway_1"),
            C(""" "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}"""));

        Assert.Equal("msg_gateway_1", ParseEvents(text)[0].Data.GetProperty("message").GetProperty("id").GetString());
    }

    [Fact]
    public void Add_TextAfterAToolCall_OpensANewTextBlock()
    {
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"content":"Done."},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"""));

        var events = AssertWellFormed(text);
        var starts = events.Where(e => e.Event == "content_block_start").Select(e => e.Data.GetProperty("content_block").GetProperty("type").GetString());
        Assert.Equal(["tool_use", "text"], starts);
        Assert.Equal(1, events.Single(e => e.Event == "content_block_delta" && e.Data.GetProperty("delta").GetProperty("type").GetString() == "text_delta").Data.GetProperty("index").GetInt32());

        // A turn with a tool call stops as tool_use even when the platform says "stop", or the client would not run the tool.
        Assert.Equal("tool_use", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Theory]
    [InlineData("\"stop\"", "end_turn")]
    [InlineData("\"length\"", "max_tokens")]
    [InlineData("\"tool_calls\"", "tool_use")]
    [InlineData("\"function_call\"", "tool_use")]
    [InlineData("\"content_filter\"", "refusal")]
    [InlineData("null", "end_turn")]
    public void Complete_FinishReason_MapsToTheStopReason(string finishReason, string stopReason)
    {
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":""" + finishReason + "}]}"),
            C(""" "choices":[{"index":0,"delta":{},"finish_reason":null}]}"""));

        Assert.Equal(stopReason, AssertWellFormed(text)[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Fact]
    public void Add_SeveralChoices_OnlyChoiceZeroConverted()
    {
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":1,"delta":{"content":"other"},"finish_reason":"length"},{"index":0,"delta":{"content":"main"},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{},"finish_reason":"stop"},{"index":1,"delta":{"content":"more"},"finish_reason":null}]}"""));

        var events = AssertWellFormed(text);
        var delta = Assert.Single(events, e => e.Event == "content_block_delta");
        Assert.Equal("main", delta.Data.GetProperty("delta").GetProperty("text").GetString());
        Assert.Equal("end_turn", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
    }

    [Fact]
    public void Add_ReasoningContent_DroppedAndRefusalWrittenAsText()
    {
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"The user wants"},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"reasoning_content":" a greeting."},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"content":"Hello."},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"refusal":" No more."},"finish_reason":"stop"}]}"""));

        var events = AssertWellFormed(text);
        Assert.Equal("text", Assert.Single(events, e => e.Event == "content_block_start").Data.GetProperty("content_block").GetProperty("type").GetString());
        Assert.Equal(["Hello.", " No more."], events.Where(e => e.Event == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        Assert.DoesNotContain("thinking", text, StringComparison.Ordinal);
        Assert.DoesNotContain("The user wants", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_ArgumentsOfAToolCallWhoseBlockIsClosed_Dropped()
    {
        // A platform interleaving parallel calls: the late piece of call 0 cannot reopen its block.
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":null}]}"""),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":"tool_calls"}]}"""));

        var events = AssertWellFormed(text);
        Assert.Equal(2, events.Count(e => e.Event == "content_block_start"));
        Assert.Equal(
            [(0, "{\"a\":"), (1, "{}")],
            events.Where(e => e.Event == "content_block_delta").Select(e => (e.Data.GetProperty("index").GetInt32(), e.Data.GetProperty("delta").GetProperty("partial_json").GetString())));
    }

    [Fact]
    public void Add_ToolCallsWithoutIndex_NewIdStartsABlockAndNoIdContinuesIt()
    {
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\""}},{"function":{"arguments":":1}"}},{"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"""));

        var events = AssertWellFormed(text);
        Assert.Equal(["call_a", "call_b"], events.Where(e => e.Event == "content_block_start").Select(e => e.Data.GetProperty("content_block").GetProperty("id").GetString()));
        Assert.Equal(
            [(0, "{\"x\""), (0, ":1}"), (1, "{}")],
            events.Where(e => e.Event == "content_block_delta").Select(e => (e.Data.GetProperty("index").GetInt32(), e.Data.GetProperty("delta").GetProperty("partial_json").GetString())));
    }

    [Fact]
    public void Add_ToolCallWithoutId_RandomToolUseId()
    {
        var text = Encode(new AnthropicEventEncoder("m"),
            C(""" "choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"""));

        var start = Assert.Single(AssertWellFormed(text), e => e.Event == "content_block_start");
        Assert.Matches("^toolu_[0-9a-f]{32}$", start.Data.GetProperty("content_block").GetProperty("id").GetString());
    }

    [Fact]
    public void Complete_Twice_Throws()
    {
        var encoder = new AnthropicEventEncoder("m");
        var output = new ArrayBufferWriter<byte>();
        encoder.Complete(output);
        var written = output.WrittenCount;

        Assert.Throws<InvalidOperationException>(() => encoder.Complete(output));
        Assert.Throws<InvalidOperationException>(() => encoder.Add(Chunk(C(""" "choices":[{"index":0,"delta":{"content":"late"},"finish_reason":null}]}""")), output));
        Assert.Equal(written, output.WrittenCount);
    }

    [Fact]
    public void WriteError_WritesOneErrorEvent()
    {
        // The streaming reference's example error event.
        var output = new ArrayBufferWriter<byte>();

        AnthropicEventEncoder.WriteError(output, "overloaded_error", "Overloaded");

        Assert.Equal(
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void WriteError_MessageWithQuotesAndNewlines_EscapedInsideOneDataLine()
    {
        var output = new ArrayBufferWriter<byte>();

        AnthropicEventEncoder.WriteError(output, "api_error", "Upstream said \"no\"\nand closed.");

        var (name, data) = Assert.Single(ParseEvents(Encoding.UTF8.GetString(output.WrittenSpan)));
        Assert.Equal("error", name);
        Assert.Equal("Upstream said \"no\"\nand closed.", data.GetProperty("error").GetProperty("message").GetString());
    }
}
