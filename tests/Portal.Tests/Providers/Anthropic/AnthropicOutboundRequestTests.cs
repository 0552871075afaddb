using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Contracts;
using Portal.Providers.Anthropic;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>The contract request as an Anthropic Messages request body; expected bodies follow Anthropic's Messages API reference.</summary>
public sealed class AnthropicOutboundRequestTests
{
    private const string UpstreamModel = "claude-sonnet-4-5";

    [Fact]
    public void ToAnthropic_OneUserMessage_MatchesTheReferenceExample()
    {
        var body = Convert("""{"model":"gpt-4o","messages":[{"role":"user","content":"Hello, world"}]}""");

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,
             "messages":[{"role":"user","content":[{"type":"text","text":"Hello, world"}]}]}
            """, body);
    }

    [Theory]
    [InlineData(true, """{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],"stream":true}""")]
    [InlineData(false, """{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}""")]
    public void ToAnthropic_Stream_WritesStreamTrueOnlyWhenStreaming(bool stream, string expected)
    {
        // The client's own "stream" field does not decide: the adapter's argument does.
        var body = Convert("""{"model":"m","stream":true,"messages":[{"role":"user","content":"Hi"}]}""", stream);

        AssertJsonEqual(expected, body);
    }

    [Theory]
    [InlineData("\"max_completion_tokens\":300,\"max_tokens\":200,", 300)]
    [InlineData("\"max_tokens\":200,", 200)]
    [InlineData("", 4096)]
    public void ToAnthropic_MaxTokens_PrefersMaxCompletionTokensThenMaxTokensThenTheDefault(string limits, int expected)
    {
        var body = Convert($$"""{"model":"m",{{limits}}"messages":[{"role":"user","content":"Hi"}]}""", defaultMaxTokens: 4096);

        Assert.Equal(expected, body["max_tokens"]!.GetValue<int>());
    }

    [Fact]
    public void ToAnthropic_SystemAndDeveloperMessagesAnywhere_AreHoistedInOrderAsTextBlocks()
    {
        var body = Convert("""
            {"model":"m","messages":[
              {"role":"system","content":"You are a helpful assistant."},
              {"role":"user","content":"Hi"},
              {"role":"developer","content":[{"type":"text","text":"Answer in French."},{"type":"text","text":"Be brief."}]},
              {"role":"assistant","content":"Bonjour"}]}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,
             "system":[{"type":"text","text":"You are a helpful assistant."},{"type":"text","text":"Answer in French."},{"type":"text","text":"Be brief."}],
             "messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]},{"role":"assistant","content":[{"type":"text","text":"Bonjour"}]}]}
            """, body);
    }

    [Fact]
    public void ToAnthropic_OneSystemText_IsAString()
    {
        var body = Convert("""{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"developer","content":"Be brief."}]}""");

        Assert.Equal("Be brief.", body["system"]!.GetValue<string>());
    }

    [Fact]
    public void ToAnthropic_NoSystemMessage_WritesNoSystem()
    {
        var body = Convert("""{"model":"m","messages":[{"role":"system","content":""},{"role":"user","content":"Hi"}]}""");

        Assert.False(body.AsObject().ContainsKey("system"));
    }

    [Fact]
    public void ToAnthropic_Images_DataUrlIsBase64AndHttpUrlIsUrl()
    {
        var body = Convert("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"What is in these images?"},
              {"type":"image_url","image_url":{"url":"data:image/JPEG;base64,/9j/4AAQSkZJRg==","detail":"high"}},
              {"type":"image_url","image_url":{"url":"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}},
              {"type":"image_url","image_url":{"url":"http://example.com/cat.png"}}]}]}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[
              {"type":"text","text":"What is in these images?"},
              {"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/4AAQSkZJRg=="}},
              {"type":"image","source":{"type":"url","url":"https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"}},
              {"type":"image","source":{"type":"url","url":"http://example.com/cat.png"}}]}]}
            """, body);
    }

    [Theory]
    [InlineData("ftp://example.com/cat.png", "an image must be an http(s) URL or a base64 data URL")]
    [InlineData("cat.png", "an image must be an http(s) URL or a base64 data URL")]
    [InlineData("data:image/png,%89PNG", "must be base64-encoded")]
    [InlineData("data:;base64,iVBORw0KGgo=", "must name its media type")]
    public void ToAnthropic_ImageUrlAnthropicCannotTake_ThrowsInvalidRequest(string url, string message)
    {
        var e = Assert.Throws<PortalException>(() => Convert(
            $$$"""{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"{{{url}}}"}}]}]}"""));

        Assert.Equal(PortalErrorCode.InvalidRequest, e.Code);
        Assert.Contains("messages[0].content[0].image_url.url", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToAnthropic_PdfFileBecomesADocument_AudioAndUnexpressibleFilesAreDropped()
    {
        var body = Convert("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"file","file":{"filename":"paper.pdf","file_data":"data:application/pdf;base64,JVBERi0xLjQ="}},
              {"type":"file","file":{"filename":"raw.pdf","file_data":"JVBERi0xLjU="}},
              {"type":"file","file":{"file_id":"file-abc123"}},
              {"type":"file","file":{"filename":"notes.txt","file_data":"data:text/plain;base64,aGk="}},
              {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
              {"type":"text","text":"Summarize."}]}]}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjQ="}},
              {"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0xLjU="}},
              {"type":"text","text":"Summarize."}]}]}
            """, body);
    }

    [Fact]
    public void ToAnthropic_ToolRoundTrip_ToolResultsAndTheNextUserMessageShareOneUserTurn()
    {
        var body = Convert("""
            {"model":"m","messages":[
              {"role":"user","content":"What's the weather in San Francisco and in Paris?"},
              {"role":"assistant","content":"I'll check both.","reasoning_content":"The user wants two cities.","tool_calls":[
                {"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\": \"San Francisco, CA\"}"}},
                {"id":"toolu_01B","type":"function","function":{"name":"get_time","arguments":""}}]},
              {"role":"tool","tool_call_id":"toolu_01A09q90qw90lq917835lq9","content":"15 degrees"},
              {"role":"tool","tool_call_id":"toolu_01B","content":[{"type":"text","text":"09:00"}]},
              {"role":"user","content":"Thanks! And tomorrow?"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Get the current weather in a given location",
               "parameters":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}}},
               {"type":"function","function":{"name":"get_time"}}]}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[
              {"role":"user","content":[{"type":"text","text":"What's the weather in San Francisco and in Paris?"}]},
              {"role":"assistant","content":[
                {"type":"text","text":"I'll check both."},
                {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA"}},
                {"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}]},
              {"role":"user","content":[
                {"type":"tool_result","tool_use_id":"toolu_01A09q90qw90lq917835lq9","content":"15 degrees"},
                {"type":"tool_result","tool_use_id":"toolu_01B","content":"09:00"},
                {"type":"text","text":"Thanks! And tomorrow?"}]}],
             "tools":[
               {"name":"get_weather","description":"Get the current weather in a given location",
                "input_schema":{"type":"object","properties":{"location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"}},"required":["location"]}},
               {"name":"get_time","input_schema":{"type":"object","properties":{}}}]}
            """, body);
    }

    [Fact]
    public void ToAnthropic_ConsecutiveMessagesOfOneRole_JoinOneTurn_AndMessagesWithoutBlocksAddNone()
    {
        var body = Convert("""
            {"model":"m","messages":[
              {"role":"user","content":"First."},
              {"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]},
              {"role":"user","content":"Second."},
              {"role":"assistant","content":"One."},
              {"role":"assistant","content":null,"refusal":"I can't help with that."},
              {"role":"assistant","content":[{"type":"text","text":"Two."},{"type":"refusal","refusal":"No."}]}]}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[
              {"role":"user","content":[{"type":"text","text":"First."},{"type":"text","text":"Second."}]},
              {"role":"assistant","content":[{"type":"text","text":"One."},{"type":"text","text":"I can't help with that."},
                {"type":"text","text":"Two."},{"type":"text","text":"No."}]}]}
            """, body);
    }

    [Theory]
    [InlineData(1.7, 1.0)]
    [InlineData(2.0, 1.0)]
    [InlineData(1.0, 1.0)]
    [InlineData(0.3, 0.3)]
    [InlineData(0.0, 0.0)]
    public void ToAnthropic_Temperature_IsClampedToAnthropicsRange(double temperature, double expected)
    {
        var body = Convert($$"""{"model":"m","temperature":{{temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(expected, body["temperature"]!.GetValue<double>());
    }

    [Fact]
    public void ToAnthropic_SamplingStopAndUser_AreTranslated()
    {
        var body = Convert("""
            {"model":"m","top_p":0.9,"top_k":40,"stop":"\n\nHuman:","user":"user-1234","messages":[{"role":"user","content":"Hi"}]}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}],
             "top_p":0.9,"top_k":40,"stop_sequences":["\n\nHuman:"],"metadata":{"user_id":"user-1234"}}
            """, body);
    }

    [Fact]
    public void ToAnthropic_StopArrayAndSafetyIdentifier_AreTranslated()
    {
        var body = Convert("""
            {"model":"m","stop":["END","STOP"],"safety_identifier":"hashed-42","messages":[{"role":"user","content":"Hi"}]}
            """);

        Assert.Equal("""["END","STOP"]""", body["stop_sequences"]!.ToJsonString());
        Assert.Equal("hashed-42", body["metadata"]!["user_id"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("\"40\"")]
    [InlineData("0.5")]
    [InlineData("null")]
    public void ToAnthropic_TopKThatIsNotAnInteger_IsNotWritten(string topK)
    {
        var body = Convert($$"""{"model":"m","top_k":{{topK}},"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.False(body.AsObject().ContainsKey("top_k"));
    }

    [Theory]
    [InlineData("\"auto\"", null, """{"type":"auto"}""")]
    [InlineData("\"none\"", null, """{"type":"none"}""")]
    [InlineData("\"required\"", null, """{"type":"any"}""")]
    [InlineData("""{"type":"function","function":{"name":"get_weather"}}""", null, """{"type":"tool","name":"get_weather"}""")]
    [InlineData("""{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[]}}""", null, """{"type":"auto"}""")]
    [InlineData(null, "false", """{"type":"auto","disable_parallel_tool_use":true}""")]
    [InlineData("\"required\"", "false", """{"type":"any","disable_parallel_tool_use":true}""")]
    [InlineData("""{"type":"function","function":{"name":"get_weather"}}""", "false", """{"type":"tool","name":"get_weather","disable_parallel_tool_use":true}""")]
    [InlineData("\"none\"", "false", """{"type":"none"}""")]
    [InlineData("\"auto\"", "true", """{"type":"auto"}""")]
    public void ToAnthropic_ToolChoiceAndParallelToolCalls_BecomeAnthropicToolChoice(string? toolChoice, string? parallel, string expected)
    {
        var body = Convert(WithTool(toolChoice, parallel));

        Assert.Equal(expected, body["tool_choice"]!.ToJsonString());
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(null, "true")]
    public void ToAnthropic_ToolsWithoutChoiceOrParallelLimit_WriteNoToolChoice(string? toolChoice, string? parallel)
    {
        var body = Convert(WithTool(toolChoice, parallel));

        Assert.NotNull(body["tools"]);
        Assert.False(body.AsObject().ContainsKey("tool_choice"));
    }

    [Fact]
    public void ToAnthropic_NoFunctionTools_WritesNeitherToolsNorToolChoice()
    {
        var body = Convert("""
            {"model":"m","tool_choice":"required","parallel_tool_calls":false,
             "tools":[{"type":"custom","custom":{"name":"grammar"}}],"messages":[{"role":"user","content":"Hi"}]}
            """);

        Assert.False(body.AsObject().ContainsKey("tools"));
        Assert.False(body.AsObject().ContainsKey("tool_choice"));
    }

    [Fact]
    public void ToAnthropic_FieldsAnthropicCannotExpress_AreLeftOut()
    {
        var body = Convert("""
            {"model":"m","messages":[{"role":"user","content":"Hi","name":"alice"}],
             "n":2,"presence_penalty":0.5,"frequency_penalty":0.5,"logit_bias":{"50256":-100},"logprobs":true,"top_logprobs":3,
             "seed":7,"response_format":{"type":"json_object"},"reasoning_effort":"high","verbosity":"low",
             "stream_options":{"include_usage":true},"modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"},
             "prediction":{"type":"content","content":"x"},"store":true,"metadata":{"k":"v"},"service_tier":"flex",
             "web_search_options":{},"prompt_cache_key":"key","prompt_cache_retention":"24h",
             "functions":[{"name":"f"}],"function_call":"auto","some_future_field":{"a":1}}
            """);

        AssertJsonEqual("""
            {"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}
            """, body);
    }

    [Fact]
    public void ToAnthropic_NonAsciiText_IsWrittenAsUtf8()
    {
        var request = new ChatCompletionRequest { Messages = [new ChatMessage("user", "Grüße, 世界")] };

        var bytes = AnthropicOutbound.ToAnthropic(request, UpstreamModel, stream: false, defaultMaxTokens: 10);

        Assert.Contains("\"text\":\"Grüße, 世界\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("42")]
    [InlineData("{\"a\":1} trailing")]
    public void ToAnthropic_ToolCallArgumentsNotAJsonObject_ThrowsInvalidRequest(string arguments)
    {
        var request = new ChatCompletionRequest
        {
            Messages =
            [
                new ChatMessage("user", "Hi"),
                new ChatMessage("assistant", null)
                {
                    ToolCalls = [new ToolCall { Id = "call_1", Type = "function", Function = new FunctionCall { Name = "f", Arguments = arguments } }],
                },
            ],
        };

        var e = Assert.Throws<PortalException>(() => AnthropicOutbound.ToAnthropic(request, UpstreamModel, stream: false, defaultMaxTokens: 10));

        Assert.Equal(PortalErrorCode.InvalidRequest, e.Code);
        Assert.StartsWith("messages[1].tool_calls[0].function.arguments:", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"role":"function","name":"f","content":"x"}""", "messages[1]: the role 'function' is not one of system, developer, user, assistant or tool.")]
    [InlineData("""{"role":"tool","content":"x"}""", "messages[1]: a tool message must have a tool_call_id.")]
    [InlineData("""{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}""", "messages[1].tool_calls[0]: a tool call must have an id and a function name.")]
    [InlineData("""{"role":"assistant","tool_calls":[{"id":"call_1","type":"function"}]}""", "messages[1].tool_calls[0]: a tool call must have a function.")]
    public void ToAnthropic_MalformedMessage_ThrowsInvalidRequest(string message, string expected)
    {
        var e = Assert.Throws<PortalException>(() => Convert($$$"""{"model":"m","messages":[{"role":"user","content":"Hi"},{{{message}}}]}"""));

        Assert.Equal(PortalErrorCode.InvalidRequest, e.Code);
        Assert.Equal(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"tool_choice":"sometimes","tools":[{"type":"function","function":{"name":"f"}}]}""", "tool_choice: the mode 'sometimes' is not one of none, auto or required.")]
    [InlineData("""{"tool_choice":{"type":"function","function":{"name":""}},"tools":[{"type":"function","function":{"name":"f"}}]}""", "tool_choice: a function choice must name the function.")]
    [InlineData("""{"tools":[{"type":"function"}]}""", "tools[0]: a function tool must have a function with a name.")]
    [InlineData("""{"tools":[{"type":"function","function":{"name":"f","parameters":"object"}}]}""", "tools[0].function.parameters: must be a JSON schema object.")]
    public void ToAnthropic_MalformedTools_ThrowsInvalidRequest(string fields, string expected)
    {
        var request = JsonSerializer.Deserialize(fields, PortalJsonContext.Default.ChatCompletionRequest)!;
        request.Messages = [new ChatMessage("user", "Hi")];

        var e = Assert.Throws<PortalException>(() => AnthropicOutbound.ToAnthropic(request, UpstreamModel, stream: false, defaultMaxTokens: 10));

        Assert.Equal(PortalErrorCode.InvalidRequest, e.Code);
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void ToAnthropic_CustomToolCall_IsDropped()
    {
        var body = Convert("""
            {"model":"m","messages":[{"role":"user","content":"Hi"},
              {"role":"assistant","content":"Sure.","tool_calls":[{"id":"call_1","type":"custom","custom":{"name":"grammar","input":"x"}}]}]}
            """);

        Assert.Equal("""[{"type":"text","text":"Sure."}]""", body["messages"]![1]!["content"]!.ToJsonString());
    }

    private static string WithTool(string? toolChoice, string? parallel)
    {
        var choice = toolChoice is null ? "" : $"\"tool_choice\":{toolChoice},";
        var parallelCalls = parallel is null ? "" : $"\"parallel_tool_calls\":{parallel},";
        return "{\"model\":\"m\"," + choice + parallelCalls + """
            "messages":[{"role":"user","content":"Hi"}],
             "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}}}}]}
            """;
    }

    private static JsonNode Convert(string openAiJson, bool stream = false, int defaultMaxTokens = 1024)
    {
        var request = JsonSerializer.Deserialize(openAiJson, PortalJsonContext.Default.ChatCompletionRequest)!;
        return JsonNode.Parse(AnthropicOutbound.ToAnthropic(request, UpstreamModel, stream, defaultMaxTokens))!;
    }

    private static void AssertJsonEqual(string expected, JsonNode actual)
    {
        if (!JsonNode.DeepEquals(JsonNode.Parse(expected), actual))
        {
            Assert.Fail($"JSON differs.\nExpected: {JsonNode.Parse(expected)!.ToJsonString()}\nActual:   {actual.ToJsonString()}");
        }
    }
}
