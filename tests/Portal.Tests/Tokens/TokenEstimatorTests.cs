using System.Text;
using System.Text.Json;
using Portal.Contracts;
using Portal.Tokens;

namespace Portal.Tests.Tokens;

/// <summary>
/// <see cref="TokenEstimator"/>: text counts pinned to o200k_base, and what each part of an Anthropic or OpenAI request
/// adds to the estimate. Differences are asserted exactly, so a part that stops being counted (or is counted twice) fails.
/// </summary>
public sealed class TokenEstimatorTests
{
    private const string Hello = "Hello, world!"; // 4 tokens.
    private const string UserHello = """{"role":"user","content":"Hello, world!"}""";
    private const string Schema = """{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""";

    // ---- Text ----

    [Theory]
    [InlineData("Hello, world!", 4)] // Hello | , | ␣world | !
    [InlineData("The quick brown fox jumps over the lazy dog.", 10)]
    [InlineData("こんにちは世界", 2)]
    [InlineData("get_weather", 2)]
    [InlineData("1234567890", 4)] // Digits split in runs of at most three.
    [InlineData(" ", 1)]
    [InlineData("", 0)]
    public void CountText_KnownText_MatchesO200kBase(string text, int expected)
    {
        Assert.Equal(expected, TokenEstimator.CountText(text));
        Assert.Equal(expected, TokenEstimator.CountText(text.AsSpan()));
    }

    [Fact]
    public void CountText_Null_IsZero()
    {
        Assert.Equal(0, TokenEstimator.CountText((string?)null));
    }

    // ---- Anthropic: messages and system ----

    [Fact]
    public void EstimateAnthropic_OneUserMessage_IsTextRoleAndFraming()
    {
        // Reply priming 3 + message framing 3 + "user" 1 + "Hello, world!" 4.
        Assert.Equal(11, Anthropic(Request(UserHello)));
    }

    [Fact]
    public void EstimateAnthropic_TextBlocks_CountLikeAString()
    {
        var blocks = Anthropic(Request("""{"role":"user","content":[{"type":"text","text":"Hello,"},{"text":" world!","type":"text"}]}"""));

        Assert.Equal(TokenCosts.ReplyPriming + TokenCosts.PerMessage + 1 + TokenEstimator.CountText("Hello,") + TokenEstimator.CountText(" world!"), blocks);
    }

    [Fact]
    public void EstimateAnthropic_AddingAMessage_AddsItsTextRoleAndFraming()
    {
        const string Reply = "The quick brown fox jumps over the lazy dog.";
        var one = Anthropic(Request(UserHello));

        var two = Anthropic(Request(UserHello + $$""",{"role":"assistant","content":"{{Reply}}"}"""));

        Assert.Equal(one + TokenCosts.PerMessage + TokenEstimator.CountText("assistant") + TokenEstimator.CountText(Reply), two);
    }

    [Theory]
    [InlineData("\"You are terse.\"")]
    [InlineData("[{\"type\":\"text\",\"text\":\"You are terse.\",\"cache_control\":{\"type\":\"ephemeral\"}}]")]
    public void EstimateAnthropic_System_AddsItsTextAndFraming(string system)
    {
        var without = Anthropic(Request(UserHello));

        var with = Anthropic(Request(UserHello, $",\"system\":{system}"));

        Assert.Equal(without + TokenCosts.PerMessage + TokenEstimator.CountText("You are terse."), with);
    }

    [Fact]
    public void EstimateAnthropic_UnknownMembersAndEscapes_AreSkippedAndDecoded()
    {
        // "Hello, world!" written with escapes counts as the text it stands for; metadata and stop sequences do not count.
        var escaped = Anthropic(Request("""{"role":"user","content":"Hello\u002C world\u0021","x":[{"text":"no"}]}""",
            ""","metadata":{"user_id":"a long identifier that must not count"},"stop_sequences":["stop here"]"""));

        Assert.Equal(11, escaped);
    }

    // ---- Anthropic: tools ----

    [Fact]
    public void EstimateAnthropic_FirstTool_AddsToolPromptAndDefinition()
    {
        var without = Anthropic(Request(UserHello));

        var with = Anthropic(Request(UserHello, $$""","tools":[{"name":"get_weather","description":"Gets the weather.","input_schema":{{Schema}}}]"""));

        var definition = TokenCosts.PerTool + TokenEstimator.CountText("get_weather") + TokenEstimator.CountText("Gets the weather.") + TokenEstimator.CountText(Schema);
        Assert.Equal(without + TokenCosts.AnthropicToolPromptAuto + definition, with);
    }

    [Fact]
    public void EstimateAnthropic_SecondTool_AddsOnlyItsDefinition()
    {
        var tool1 = $$"""{"name":"get_weather","description":"Gets the weather.","input_schema":{{Schema}}}""";
        var tool2 = $$"""{"name":"get_time","description":"Gets the local time in a city.","input_schema":{{Schema}}}""";
        var one = Anthropic(Request(UserHello, $",\"tools\":[{tool1}]"));

        var two = Anthropic(Request(UserHello, $",\"tools\":[{tool1},{tool2}]"));

        Assert.Equal(one + TokenCosts.PerTool + TokenEstimator.CountText("get_time") + TokenEstimator.CountText("Gets the local time in a city.") + TokenEstimator.CountText(Schema), two);
    }

    [Theory]
    [InlineData("", TokenCosts.AnthropicToolPromptAuto)]
    [InlineData(",\"tool_choice\":{\"type\":\"auto\"}", TokenCosts.AnthropicToolPromptAuto)]
    [InlineData(",\"tool_choice\":{\"type\":\"none\"}", TokenCosts.AnthropicToolPromptAuto)]
    [InlineData(",\"tool_choice\":{\"type\":\"any\"}", TokenCosts.AnthropicToolPromptForced)]
    [InlineData(",\"tool_choice\":{\"name\":\"t\",\"type\":\"tool\"}", TokenCosts.AnthropicToolPromptForced)]
    public void EstimateAnthropic_ToolChoice_PicksTheToolPrompt(string toolChoice, int prompt)
    {
        var without = Anthropic(Request(UserHello));

        // tool_choice before tools: the order of members does not matter.
        var with = Anthropic(Request(UserHello, toolChoice + ""","tools":[{"name":"t","input_schema":{}}]"""));

        Assert.Equal(without + prompt + TokenCosts.PerTool + TokenEstimator.CountText("t") + TokenEstimator.CountText("{}"), with);
    }

    [Fact]
    public void EstimateAnthropic_IndentedSchema_CountsAsCompact()
    {
        const string Indented = """
            {
              "type": "object",
              "properties": { "city": { "type": "string" } },
              "required": [ "city" ]
            }
            """;

        var compact = Anthropic(Request(UserHello, $$""","tools":[{"name":"t","input_schema":{{Schema}}}]"""));
        var spaced = Anthropic(Request(UserHello, $$""","tools":[{"name":"t","input_schema":{{Indented}}}]"""));

        Assert.Equal(compact, spaced);
    }

    [Fact]
    public void EstimateAnthropic_ToolUseBlock_AddsIdNameInputAndFraming()
    {
        const string Input = """{"city":"Paris"}""";
        var without = Anthropic(Request(UserHello + ""","""  + """{"role":"assistant","content":[]}"""));

        var with = Anthropic(Request(UserHello + "," + $$"""{"role":"assistant","content":[{"type":"tool_use","id":"toolu_01A","name":"get_weather","input":{{Input}}}]}"""));

        Assert.Equal(without + TokenCosts.PerToolCall + TokenEstimator.CountText("toolu_01A") + TokenEstimator.CountText("get_weather") + TokenEstimator.CountText(Input), with);
    }

    [Theory]
    [InlineData("\"It is 18 degrees and sunny.\"")]
    [InlineData("[{\"type\":\"text\",\"text\":\"It is 18 degrees and sunny.\"}]")]
    public void EstimateAnthropic_ToolResultBlock_AddsIdContentAndFraming(string content)
    {
        var without = Anthropic(Request("""{"role":"user","content":[]}"""));

        var with = Anthropic(Request($$"""{"role":"user","content":[{"content":{{content}},"type":"tool_result","tool_use_id":"toolu_01A"}]}"""));

        Assert.Equal(without + TokenCosts.PerToolCall + TokenEstimator.CountText("toolu_01A") + TokenEstimator.CountText("It is 18 degrees and sunny."), with);
    }

    [Fact]
    public void EstimateAnthropic_ThinkingBlock_AddsItsText()
    {
        const string Thought = "The user wants the weather; call the tool.";
        var without = Anthropic(Request(UserHello + ",{\"role\":\"assistant\",\"content\":[]}"));

        var with = Anthropic(Request(UserHello + $$""",{"role":"assistant","content":[{"type":"thinking","thinking":"{{Thought}}","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}]}"""));

        Assert.Equal(without + TokenEstimator.CountText(Thought), with);
    }

    [Fact]
    public void EstimateAnthropic_RedactedThinking_AddsNothing()
    {
        var without = Anthropic(Request(UserHello + ",{\"role\":\"assistant\",\"content\":[]}"));

        var with = Anthropic(Request(UserHello + """,{"role":"assistant","content":[{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"}]}"""));

        Assert.Equal(without, with);
    }

    [Fact]
    public void EstimateAnthropic_TextDocument_AddsTitleContextAndData()
    {
        var without = Anthropic(Request("""{"role":"user","content":[]}"""));

        var with = Anthropic(Request("""{"role":"user","content":[{"type":"document","title":"Notes","context":"From the meeting.","source":{"data":"The grass is green.","media_type":"text/plain","type":"text"}}]}"""));

        Assert.Equal(without + TokenEstimator.CountText("Notes") + TokenEstimator.CountText("From the meeting.") + TokenEstimator.CountText("The grass is green."), with);
    }

    [Fact]
    public void EstimateAnthropic_ContentDocument_AddsItsBlocks()
    {
        var without = Anthropic(Request("""{"role":"user","content":[]}"""));

        var with = Anthropic(Request("""{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"text","text":"First chunk."},{"type":"text","text":"Second chunk."}]}}]}"""));

        Assert.Equal(without + TokenEstimator.CountText("First chunk.") + TokenEstimator.CountText("Second chunk."), with);
    }

    [Theory]
    [InlineData("{\"type\":\"base64\",\"media_type\":\"application/pdf\",\"data\":\"JVBERi0xLjQK\"}")]
    [InlineData("{\"type\":\"url\",\"url\":\"https://example.com/a.pdf\"}")]
    [InlineData("{\"type\":\"file\",\"file_id\":\"file_011\"}")]
    public void EstimateAnthropic_PdfDocument_AddsTheFixedCost(string source)
    {
        var without = Anthropic(Request("""{"role":"user","content":[]}"""));

        var with = Anthropic(Request($$"""{"role":"user","content":[{"type":"document","source":{{source}}}]}"""));

        Assert.Equal(without + TokenCosts.AnthropicPdfDocument, with);
    }

    // ---- Anthropic: images ----

    public static TheoryData<string, string, int> AnthropicImages => new()
    {
        // 100 × 100 / 750 = 13.3, rounded up.
        { "png 100x100", Base64Source("image/png", TestImages.Png(100, 100)), 14 },
        { "jpeg 640x480", Base64Source("image/jpeg", TestImages.Jpeg(640, 480)), 410 },
        { "webp 200x200", Base64Source("image/webp", TestImages.WebPLossless(200, 200)), 54 },
        { "png 4000x3000, scaled down", Base64Source("image/png", TestImages.Png(4000, 3000)), TokenCosts.AnthropicMaxImageTokens },
        { "unreadable base64", """{"type":"base64","media_type":"image/png","data":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}""", TokenCosts.AnthropicUnknownImage },
        { "url", """{"type":"url","url":"https://example.com/cat.png"}""", TokenCosts.AnthropicUnknownImage },
        { "file", """{"type":"file","file_id":"file_011"}""", TokenCosts.AnthropicUnknownImage },
    };

    [Theory]
    [MemberData(nameof(AnthropicImages))]
    public void EstimateAnthropic_Image_AddsItsCost(string name, string source, int cost)
    {
        var without = Anthropic(Request(UserHello));

        var with = Anthropic(Request($$"""{"role":"user","content":[{"type":"image","source":{{source}}},{"type":"text","text":"Hello, world!"}]}"""));

        Assert.True(without + cost == with, $"{name}: expected {without} + {cost}, got {with}.");
    }

    [Fact]
    public void EstimateAnthropic_ImageInToolResult_AddsItsCost()
    {
        var without = Anthropic(Request("""{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[]}]}"""));

        var with = Anthropic(Request($$$"""{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{{{Base64Source("image/png", TestImages.Png(100, 100))}}}}]}]}"""));

        Assert.Equal(without + 14, with);
    }

    // ---- Anthropic: invalid bodies ----

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("{\"messages\":[}")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"]}]}")] // Broken inside a block.
    [InlineData("{} {}")]
    [InlineData("{} x")]
    [InlineData("[]")]
    [InlineData("\"text\"")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}]}")] // A lone surrogate.
    public void EstimateAnthropic_NotAJsonObject_ThrowsInvalidRequest(string body)
    {
        var ex = Assert.Throws<PortalException>(() => Anthropic(body));

        Assert.Equal(PortalErrorCode.InvalidRequest, ex.Code);
    }

    [Fact]
    public void EstimateAnthropic_InvalidUtf8_ThrowsInvalidRequest()
    {
        byte[] body = [.. "{\"messages\":[{\"role\":\"user\",\"content\":\""u8, 0xC3, 0x28, .. "\"}]}"u8];

        var ex = Assert.Throws<PortalException>(() => TokenEstimator.EstimateAnthropicRequest(body));

        Assert.Equal(PortalErrorCode.InvalidRequest, ex.Code);
    }

    [Fact]
    public void EstimateAnthropic_ParallelCalls_AgreeWithASequentialCall()
    {
        var body = Encoding.UTF8.GetBytes(Request(
            UserHello + $$$""",{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"get_weather","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"Sunny."},{"type":"image","source":{{{Base64Source("image/png", TestImages.Png(300, 200))}}}}]}""",
            $$""","system":"You are terse.","tools":[{"name":"get_weather","description":"Gets the weather.","input_schema":{{Schema}}}]"""));
        var expected = TokenEstimator.EstimateAnthropicRequest(body);
        var results = new int[64];

        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = TokenEstimator.EstimateAnthropicRequest(body));

        Assert.All(results, r => Assert.Equal(expected, r));
        Assert.True(expected > TokenCosts.AnthropicToolPromptAuto + 80); // Sanity: the parts above were counted.
    }

    // ---- OpenAI chat ----

    [Fact]
    public void EstimateChat_OneUserMessage_IsTextRoleAndFraming()
    {
        // Reply priming 3 + message framing 3 + "user" 1 + "Hello, world!" 4: the cookbook's count for gpt-4o.
        Assert.Equal(11, TokenEstimator.EstimateChatRequest(Chat(new ChatMessage("user", Hello))));
    }

    [Fact]
    public void EstimateChat_AddingAMessageWithAName_AddsTextRoleNameAndFraming()
    {
        var one = TokenEstimator.EstimateChatRequest(Chat(new ChatMessage("user", Hello)));

        var two = TokenEstimator.EstimateChatRequest(Chat(new ChatMessage("user", Hello), new ChatMessage("system", "Be terse.") { Name = "policy" }));

        Assert.Equal(one + TokenCosts.PerMessage + TokenEstimator.CountText("system") + TokenEstimator.CountText("Be terse.")
            + TokenCosts.PerName + TokenEstimator.CountText("policy"), two);
    }

    [Fact]
    public void EstimateChat_Tools_AddListClosingOnceAndEachDefinition()
    {
        var without = Chat(new ChatMessage("user", Hello));
        var one = Chat(new ChatMessage("user", Hello));
        one.Tools = [Tool("get_weather", "Gets the weather.")];
        var two = Chat(new ChatMessage("user", Hello));
        two.Tools = [Tool("get_weather", "Gets the weather."), Tool("get_time", "Gets the local time in a city.")];

        var baseCount = TokenEstimator.EstimateChatRequest(without);
        var oneCount = TokenEstimator.EstimateChatRequest(one);
        var twoCount = TokenEstimator.EstimateChatRequest(two);

        var schema = TokenEstimator.CountText(Schema);
        Assert.Equal(baseCount + TokenCosts.OpenAIToolsEnd + TokenCosts.PerTool + TokenEstimator.CountText("get_weather") + TokenEstimator.CountText("Gets the weather.") + schema, oneCount);
        Assert.Equal(oneCount + TokenCosts.PerTool + TokenEstimator.CountText("get_time") + TokenEstimator.CountText("Gets the local time in a city.") + schema, twoCount);
    }

    [Fact]
    public void EstimateChat_ToolCallsAndToolMessage_AddIdsNamesArgumentsAndResult()
    {
        var assistant = new ChatMessage("assistant", null)
        {
            ToolCalls = [new ToolCall { Id = "call_1", Type = "function", Function = new FunctionCall { Name = "get_weather", Arguments = """{"city":"Paris"}""" } }],
        };
        var tool = new ChatMessage("tool", "Sunny.") { ToolCallId = "call_1" };
        var without = TokenEstimator.EstimateChatRequest(Chat(new ChatMessage("user", Hello)));

        var with = TokenEstimator.EstimateChatRequest(Chat(new ChatMessage("user", Hello), assistant, tool));

        var call = TokenCosts.PerToolCall + TokenEstimator.CountText("call_1") + TokenEstimator.CountText("get_weather") + TokenEstimator.CountText("""{"city":"Paris"}""");
        var result = TokenCosts.PerMessage + TokenEstimator.CountText("tool") + TokenEstimator.CountText("Sunny.") + TokenEstimator.CountText("call_1");
        Assert.Equal(without + TokenCosts.PerMessage + TokenEstimator.CountText("assistant") + call + result, with);
    }

    [Fact]
    public void EstimateChat_TextAndRefusalParts_AddTheirText()
    {
        var parts = new ChatMessage { Role = "user", Content = new MessageContent([ContentPart.FromText("Hello,"), ContentPart.FromText(" world!"), new ContentPart { Type = ContentPart.RefusalType, Refusal = "No." }]) };

        var count = TokenEstimator.EstimateChatRequest(Chat(parts));

        Assert.Equal(TokenCosts.ReplyPriming + TokenCosts.PerMessage + 1 + TokenEstimator.CountText("Hello,") + TokenEstimator.CountText(" world!") + TokenEstimator.CountText("No."), count);
    }

    public static TheoryData<string, string, string?, int> ChatImages => new()
    {
        { "png 100x100 as data URL", "data:image/png;base64," + TestImages.Base64(TestImages.Png(100, 100)), null, 255 },
        { "png 2048x4096 as data URL", "data:image/png;base64," + TestImages.Base64(TestImages.Png(2048, 4096)), "high", 1105 },
        { "png 2048x4096 at low detail", "data:image/png;base64," + TestImages.Base64(TestImages.Png(2048, 4096)), "low", 85 },
        { "jpeg 640x480 as data URL", "data:image/jpeg;base64," + TestImages.Base64(TestImages.Jpeg(640, 480)), "auto", 425 },
        { "http URL", "https://example.com/cat.png", null, TokenCosts.OpenAIUnknownImage },
        { "http URL at low detail", "https://example.com/cat.png", "low", 85 },
        { "data URL that is not base64", "data:image/png,%89PNG", null, TokenCosts.OpenAIUnknownImage },
        { "unreadable data URL", "data:image/png;base64,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", null, TokenCosts.OpenAIUnknownImage },
    };

    [Theory]
    [MemberData(nameof(ChatImages))]
    public void EstimateChat_ImagePart_AddsItsCost(string name, string url, string? detail, int cost)
    {
        var without = TokenEstimator.EstimateChatRequest(Chat(new ChatMessage { Role = "user", Content = new MessageContent([ContentPart.FromText(Hello)]) }));

        var with = TokenEstimator.EstimateChatRequest(Chat(new ChatMessage { Role = "user", Content = new MessageContent([ContentPart.FromImageUrl(url, detail), ContentPart.FromText(Hello)]) }));

        Assert.True(without + cost == with, $"{name}: expected {without} + {cost}, got {with}.");
    }

    [Fact]
    public void EstimateChat_JsonSchemaResponseFormat_AddsNameAndSchema()
    {
        var without = Chat(new ChatMessage("user", Hello));
        var with = Chat(new ChatMessage("user", Hello));
        with.ResponseFormat = new ResponseFormat { Type = "json_schema", JsonSchema = new JsonSchemaFormat { Name = "weather", Schema = JsonDocument.Parse(Schema).RootElement } };

        Assert.Equal(TokenEstimator.EstimateChatRequest(without) + TokenEstimator.CountText("weather") + TokenEstimator.CountText(Schema), TokenEstimator.EstimateChatRequest(with));
    }

    [Fact]
    public void EstimateChat_DeserializedRequest_MatchesTheBuiltOne()
    {
        // The contract as the gateway gets it from a client's JSON (JsonElement parameters, string content).
        var json = $$$"""{"model":"gpt-4o","messages":[{"role":"user","content":"Hello, world!"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Gets the weather.","parameters":{{{Schema}}}}}]}""";
        var parsed = JsonSerializer.Deserialize(json, PortalJsonContext.Default.ChatCompletionRequest)!;
        var built = Chat(new ChatMessage("user", Hello));
        built.Tools = [Tool("get_weather", "Gets the weather.")];

        Assert.Equal(TokenEstimator.EstimateChatRequest(built), TokenEstimator.EstimateChatRequest(parsed));
    }

    private static int Anthropic(string body) => TokenEstimator.EstimateAnthropicRequest(Encoding.UTF8.GetBytes(body));

    private static string Request(string messages, string members = "") =>
        $$"""{"model":"claude-sonnet-4-5","max_tokens":1024{{members}},"messages":[{{messages}}]}""";

    private static string Base64Source(string mediaType, byte[] image) =>
        $$"""{"type":"base64","media_type":"{{mediaType}}","data":"{{TestImages.Base64(image)}}"}""";

    private static ChatCompletionRequest Chat(params ChatMessage[] messages) => new() { Model = "gpt-4o", Messages = [.. messages] };

    private static ChatTool Tool(string name, string description) => new()
    {
        Function = new FunctionDefinition { Name = name, Description = description, Parameters = JsonDocument.Parse(Schema).RootElement },
    };
}
