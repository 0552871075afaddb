using static Portal.Tests.Providers.Anthropic.AnthropicInboundTestKit;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>Anthropic Messages requests converted to the chat contract, compared with the OpenAI JSON they become.</summary>
public sealed class AnthropicInboundRequestTests
{
    [Fact]
    public void ToChat_SystemRoleMessages_StayWhereTheyAre()
    {
        // Claude Code (2.1) sends reminders as messages with role "system" after the user's turn.
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [
                { "role": "user", "content": "Hi" },
                { "role": "system", "content": [{ "type": "text", "text": "Reminder one", "cache_control": { "type": "ephemeral" } }, { "type": "text", "text": "two" }] },
                { "role": "system", "content": "Plain" }
              ]
            }
            """);

        AssertSameJson("""
            {
              "model": "m",
              "messages": [
                { "role": "user", "content": "Hi" },
                { "role": "system", "content": "Reminder one\n\ntwo" },
                { "role": "system", "content": "Plain" }
              ],
              "max_completion_tokens": 8
            }
            """, ToWire(converted.Request));
    }

    [Fact]
    public void ToChat_MultiTurnWithSamplingFields_MapsEveryField()
    {
        // The Messages API reference's multi-turn example, with every sampling field set.
        var converted = Convert("""
            {
              "model": "claude-sonnet-4-5",
              "max_tokens": 1024,
              "system": "You are a helpful assistant.",
              "temperature": 0.7,
              "top_p": 0.9,
              "stop_sequences": ["\n\nHuman:", "END"],
              "metadata": { "user_id": "13803d75-b4b5-4c3e-b2a2-6f21399b021b" },
              "messages": [
                { "role": "user", "content": "Hello there." },
                { "role": "assistant", "content": "Hi, I'm Claude. How can I help you?" },
                { "role": "user", "content": "Can you explain LLMs in plain English?" }
              ]
            }
            """);

        AssertSameJson("""
            {
              "model": "claude-sonnet-4-5",
              "messages": [
                { "role": "system", "content": "You are a helpful assistant." },
                { "role": "user", "content": "Hello there." },
                { "role": "assistant", "content": "Hi, I'm Claude. How can I help you?" },
                { "role": "user", "content": "Can you explain LLMs in plain English?" }
              ],
              "temperature": 0.7,
              "top_p": 0.9,
              "stop": ["\n\nHuman:", "END"],
              "max_completion_tokens": 1024,
              "user": "13803d75-b4b5-4c3e-b2a2-6f21399b021b"
            }
            """, ToWire(converted.Request));
        Assert.Empty(converted.Dropped);
    }

    [Theory]
    [InlineData("true", """{"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true},"max_completion_tokens":16}""")]
    [InlineData("false", """{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":16}""")]
    [InlineData("null", """{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":16}""")]
    public void ToChat_Stream_AsksForUsageOnlyWhenStreaming(string stream, string expected)
    {
        var converted = Convert($$"""{"model":"m","max_tokens":16,"stream":{{stream}},"messages":[{"role":"user","content":"Hi"}]}""");

        AssertSameJson(expected, ToWire(converted.Request));
    }

    [Fact]
    public void ToChat_SystemBlocks_JoinedWithABlankLineAndCacheControlDropped()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "system": [
                { "type": "text", "text": "You are Claude Code." },
                { "type": "text", "text": "Be concise.", "cache_control": { "type": "ephemeral" } }
              ],
              "messages": [{ "role": "user", "content": "Hi" }]
            }
            """);

        var system = converted.Request.Messages[0];
        Assert.Equal("system", system.Role);
        Assert.True(system.Content!.IsText);
        Assert.Equal("You are Claude Code.\n\nBe concise.", system.Content.Text);
        Assert.Equal(["cache_control"], converted.Dropped);
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("[]")]
    [InlineData("null")]
    public void ToChat_EmptySystem_NoSystemMessage(string system)
    {
        var converted = Convert($$"""{"model":"m","max_tokens":8,"system":{{system}},"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal("user", Assert.Single(converted.Request.Messages).Role);
    }

    [Fact]
    public void ToChat_Base64AndUrlImages_BecomeImageUrlParts()
    {
        // The vision guide's examples: a base64 JPEG and an image by URL, then the question.
        var converted = Convert("""
            {
              "model": "claude-sonnet-4-5", "max_tokens": 1024,
              "messages": [{
                "role": "user",
                "content": [
                  { "type": "image", "source": { "type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQSkZJRg==" } },
                  { "type": "image", "source": { "type": "url", "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg" } },
                  { "type": "text", "text": "Compare these two images." }
                ]
              }]
            }
            """);

        AssertSameJson("""
            {
              "model": "claude-sonnet-4-5",
              "messages": [{
                "role": "user",
                "content": [
                  { "type": "image_url", "image_url": { "url": "data:image/jpeg;base64,/9j/4AAQSkZJRg==" } },
                  { "type": "image_url", "image_url": { "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg" } },
                  { "type": "text", "text": "Compare these two images." }
                ]
              }],
              "max_completion_tokens": 1024
            }
            """, ToWire(converted.Request));
        Assert.Empty(converted.Dropped);
    }

    [Fact]
    public void ToChat_Documents_PdfBecomesFileTextBecomesTextOthersDropped()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [{
                "role": "user",
                "content": [
                  { "type": "document", "source": { "type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ=" }, "title": "Q3 report", "citations": { "enabled": true } },
                  { "type": "document", "source": { "type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjU=" } },
                  { "type": "document", "source": { "type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjY=" }, "title": "scan.PDF" },
                  { "type": "document", "source": { "type": "text", "media_type": "text/plain", "data": "The grass is green." } },
                  { "type": "document", "source": { "type": "url", "url": "https://example.com/a.pdf" } },
                  { "type": "image", "source": { "type": "file", "file_id": "file_011CNha8iCJcU1wXNR6q4V8w" } },
                  { "type": "text", "text": "Summarize." }
                ]
              }]
            }
            """);

        AssertSameJson("""
            {
              "model": "m",
              "messages": [{
                "role": "user",
                "content": [
                  { "type": "file", "file": { "file_data": "data:application/pdf;base64,JVBERi0xLjQ=", "filename": "Q3 report.pdf" } },
                  { "type": "file", "file": { "file_data": "data:application/pdf;base64,JVBERi0xLjU=", "filename": "document.pdf" } },
                  { "type": "file", "file": { "file_data": "data:application/pdf;base64,JVBERi0xLjY=", "filename": "scan.PDF" } },
                  { "type": "text", "text": "The grass is green." },
                  { "type": "text", "text": "Summarize." }
                ]
              }],
              "max_completion_tokens": 8
            }
            """, ToWire(converted.Request));
        Assert.Equal(["citations", "document source: url", "image source: file"], converted.Dropped);
    }

    [Fact]
    public void ToChat_UserTurnOfTextBlocksOnly_BecomesOneStringJoinedWithABlankLine()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [{ "role": "user", "content": [
                { "type": "text", "text": "<system-reminder>Today is Monday.</system-reminder>" },
                { "type": "text", "text": "What day is it?" },
                { "type": "document", "source": { "type": "text", "media_type": "text/plain", "data": "A note." } }
              ] }]
            }
            """);

        var user = Assert.Single(converted.Request.Messages);
        Assert.True(user.Content!.IsText);
        Assert.Equal("<system-reminder>Today is Monday.</system-reminder>\n\nWhat day is it?\n\nA note.", user.Content.Text);
    }

    [Fact]
    public void ToChat_ToolRoundTrip_ToolMessagesFirstThenToolImagesThenTheTurnsText()
    {
        // The tool use guide's weather example, with a second call whose result is a screenshot, and the user's text
        // written before the results: OpenAI needs the tool messages right after the assistant's calls.
        var converted = Convert("""
            {
              "model": "claude-sonnet-4-5", "max_tokens": 1024,
              "tools": [
                {
                  "name": "get_weather",
                  "description": "Get the current weather in a given location",
                  "input_schema": {
                    "type": "object",
                    "properties": {
                      "location": { "type": "string", "description": "The city and state, e.g. San Francisco, CA" },
                      "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] }
                    },
                    "required": ["location"]
                  }
                },
                { "name": "take_screenshot", "input_schema": { "type": "object", "properties": {} } }
              ],
              "messages": [
                { "role": "user", "content": "What's the weather like in San Francisco? Show me the dashboard too." },
                {
                  "role": "assistant",
                  "content": [
                    { "type": "text", "text": "I'll check the weather and take a screenshot." },
                    { "type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": { "location": "San Francisco, CA", "unit": "celsius" } },
                    { "type": "tool_use", "id": "toolu_01B2xyz", "name": "take_screenshot", "input": {} }
                  ]
                },
                {
                  "role": "user",
                  "content": [
                    { "type": "text", "text": "Here you go." },
                    { "type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees" },
                    {
                      "type": "tool_result", "tool_use_id": "toolu_01B2xyz",
                      "content": [
                        { "type": "text", "text": "Screenshot of the dashboard" },
                        { "type": "image", "source": { "type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo=" } }
                      ]
                    }
                  ]
                }
              ]
            }
            """);

        AssertSameJson("""
            {
              "model": "claude-sonnet-4-5",
              "messages": [
                { "role": "user", "content": "What's the weather like in San Francisco? Show me the dashboard too." },
                {
                  "role": "assistant",
                  "content": "I'll check the weather and take a screenshot.",
                  "tool_calls": [
                    { "id": "toolu_01A09q90qw90lq917835lq9", "type": "function", "function": { "name": "get_weather", "arguments": "{\"location\":\"San Francisco, CA\",\"unit\":\"celsius\"}" } },
                    { "id": "toolu_01B2xyz", "type": "function", "function": { "name": "take_screenshot", "arguments": "{}" } }
                  ]
                },
                { "role": "tool", "tool_call_id": "toolu_01A09q90qw90lq917835lq9", "content": "15 degrees" },
                { "role": "tool", "tool_call_id": "toolu_01B2xyz", "content": "Screenshot of the dashboard" },
                {
                  "role": "user",
                  "content": [
                    { "type": "text", "text": "Content returned by tool call toolu_01B2xyz:" },
                    { "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=" } },
                    { "type": "text", "text": "Here you go." }
                  ]
                }
              ],
              "max_completion_tokens": 1024,
              "tools": [
                {
                  "type": "function",
                  "function": {
                    "name": "get_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": {
                      "type": "object",
                      "properties": {
                        "location": { "type": "string", "description": "The city and state, e.g. San Francisco, CA" },
                        "unit": { "type": "string", "enum": ["celsius", "fahrenheit"] }
                      },
                      "required": ["location"]
                    }
                  }
                },
                { "type": "function", "function": { "name": "take_screenshot", "parameters": { "type": "object", "properties": {} } } }
              ]
            }
            """, ToWire(converted.Request));
        Assert.Empty(converted.Dropped);
    }

    [Theory]
    [InlineData("\"content\": \"ConnectionError: the weather service API is not available (HTTP 500)\",", "Error: ConnectionError: the weather service API is not available (HTTP 500)")]
    [InlineData("\"content\": [{ \"type\": \"text\", \"text\": \"Timed out.\" }, { \"type\": \"text\", \"text\": \"Retry later.\" }],", "Error: Timed out.\n\nRetry later.")]
    [InlineData("", "Error")]
    public void ToChat_ToolResultWithIsError_TextPrefixedWithError(string content, string expected)
    {
        var converted = Convert($$"""
            {
              "model": "m", "max_tokens": 8,
              "messages": [
                { "role": "assistant", "content": [{ "type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": { "location": "Paris" } }] },
                { "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "toolu_1", {{content}} "is_error": true }] }
              ]
            }
            """);

        var tool = converted.Request.Messages[^1];
        Assert.Equal("tool", tool.Role);
        Assert.Equal("toolu_1", tool.ToolCallId);
        Assert.Equal(expected, tool.Content!.Text);
        Assert.Equal(2, converted.Request.Messages.Count);
    }

    [Fact]
    public void ToChat_ToolResultWithoutContent_EmptyToolMessage()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [{ "role": "user", "content": [{ "type": "tool_result", "tool_use_id": "toolu_1", "is_error": false }] }]
            }
            """);

        var tool = Assert.Single(converted.Request.Messages);
        Assert.Equal("tool", tool.Role);
        Assert.Equal("", tool.Content!.Text);
    }

    [Fact]
    public void ToChat_ThinkingBlocksInHistory_DroppedAndAThinkingOnlyTurnSkipped()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [
                { "role": "user", "content": "Is 97 prime?" },
                { "role": "assistant", "content": [
                  { "type": "thinking", "thinking": "Check divisors up to 9.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" },
                  { "type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a" },
                  { "type": "text", "text": "Yes, 97 is prime." }
                ] },
                { "role": "user", "content": "And 91?" },
                { "role": "assistant", "content": [{ "type": "thinking", "thinking": "7 times 13.", "signature": "Eq" }] }
              ]
            }
            """);

        AssertSameJson("""
            {
              "model": "m",
              "messages": [
                { "role": "user", "content": "Is 97 prime?" },
                { "role": "assistant", "content": "Yes, 97 is prime." },
                { "role": "user", "content": "And 91?" }
              ],
              "max_completion_tokens": 8
            }
            """, ToWire(converted.Request));
        Assert.Equal(["content: thinking", "content: redacted_thinking"], converted.Dropped);
    }

    [Fact]
    public void ToChat_UnknownBlockTypes_KeptAsTextWhenTheyCarryTextOtherwiseDropped()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [
                { "role": "user", "content": [
                  { "type": "future_block", "text": "kept" },
                  { "type": "search_result", "source": "https://example.com", "title": "T", "content": [{ "type": "text", "text": "x" }] },
                  { "type": "container_upload", "file_id": "file_1" }
                ] },
                { "role": "assistant", "content": [
                  { "type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": { "query": "q" } },
                  { "type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [] },
                  { "type": "text", "text": "Found it." }
                ] }
              ]
            }
            """);

        AssertSameJson("""
            {
              "model": "m",
              "messages": [
                { "role": "user", "content": "kept" },
                { "role": "assistant", "content": "Found it." }
              ],
              "max_completion_tokens": 8
            }
            """, ToWire(converted.Request));
        Assert.Equal(["content: search_result", "content: container_upload", "content: server_tool_use", "content: web_search_tool_result"], converted.Dropped);
    }

    [Fact]
    public void ToChat_AssistantTextBlocksAroundAToolUse_JoinedIntoOneContent()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "messages": [
                { "role": "user", "content": "Go" },
                { "role": "assistant", "content": [
                  { "type": "text", "text": "First." },
                  { "type": "tool_use", "id": "toolu_1", "name": "f", "input": { "a": [1, 2], "b": { "c": "é\n" } } },
                  { "type": "text", "text": "Second." }
                ] }
              ]
            }
            """);

        var assistant = converted.Request.Messages[1];
        Assert.Equal("First.\n\nSecond.", assistant.Content!.Text);
        Assert.Equal("""{"a":[1,2],"b":{"c":"é\n"}}""", Assert.Single(assistant.ToolCalls!).Function!.Arguments);
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"", null)]
    [InlineData("""{"type":"any"}""", "\"required\"", null)]
    [InlineData("""{"type":"none"}""", "\"none\"", null)]
    [InlineData("""{"type":"tool","name":"get_weather"}""", """{"type":"function","function":{"name":"get_weather"}}""", null)]
    [InlineData("""{"type":"auto","disable_parallel_tool_use":true}""", "\"auto\"", false)]
    [InlineData("""{"type":"any","disable_parallel_tool_use":false}""", "\"required\"", null)]
    public void ToChat_ToolChoice_MapsToTheOpenAIForm(string toolChoice, string expected, bool? parallel)
    {
        var converted = Convert($$"""
            {
              "model": "m", "max_tokens": 8, "tool_choice": {{toolChoice}},
              "tools": [{ "name": "get_weather", "input_schema": { "type": "object" } }],
              "messages": [{ "role": "user", "content": "Hi" }]
            }
            """);

        var wire = System.Text.Json.Nodes.JsonNode.Parse(ToWire(converted.Request))!;
        AssertSameJson(expected, wire["tool_choice"]!.ToJsonString());
        Assert.Equal(parallel, converted.Request.ParallelToolCalls);
        Assert.Empty(converted.Dropped);
    }

    [Fact]
    public void ToChat_ServerTools_DroppedAndCustomToolsKept()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "tools": [
                { "type": "web_search_20250305", "name": "web_search", "max_uses": 5 },
                { "name": "get_weather", "description": "Weather.", "input_schema": { "type": "object" }, "cache_control": { "type": "ephemeral" } },
                { "type": "bash_20250124", "name": "bash" },
                { "type": "text_editor_20250728", "name": "str_replace_based_edit_tool" },
                { "type": "custom", "name": "lookup", "input_schema": { "type": "object", "properties": { "q": { "type": "string" } } } }
              ],
              "messages": [{ "role": "user", "content": "Hi" }]
            }
            """);

        var tools = converted.Request.Tools!;
        Assert.Equal(["get_weather", "lookup"], tools.Select(t => t.Function!.Name));
        Assert.All(tools, t => Assert.Equal("function", t.Type));
        Assert.Equal("Weather.", tools[0].Function!.Description);
        Assert.Equal(["tools: web_search_20250305", "cache_control", "tools: bash_20250124", "tools: text_editor_20250728"], converted.Dropped);
    }

    [Fact]
    public void ToChat_ToolChoiceWhenOnlyServerToolsWereSent_ToolsAndToolChoiceDropped()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "tools": [{ "type": "web_search_20250305", "name": "web_search" }],
              "tool_choice": { "type": "any", "disable_parallel_tool_use": true },
              "messages": [{ "role": "user", "content": "Hi" }]
            }
            """);

        Assert.Null(converted.Request.Tools);
        Assert.Null(converted.Request.ToolChoice);
        Assert.Null(converted.Request.ParallelToolCalls);
        Assert.Equal(["tools: web_search_20250305", "tool_choice"], converted.Dropped);
    }

    [Fact]
    public void ToChat_ToolChoiceNamingADroppedServerTool_ToolChoiceDroppedToolsKept()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "tools": [{ "type": "web_search_20250305", "name": "web_search" }, { "name": "f", "input_schema": { "type": "object" } }],
              "tool_choice": { "type": "tool", "name": "web_search" },
              "messages": [{ "role": "user", "content": "Hi" }]
            }
            """);

        Assert.Equal("f", Assert.Single(converted.Request.Tools!).Function!.Name);
        Assert.Null(converted.Request.ToolChoice);
        Assert.Contains("tool_choice", converted.Dropped);
    }

    [Fact]
    public void ToChat_FieldsAnOpenAIPlatformCannotExpress_DroppedByName()
    {
        var converted = Convert("""
            {
              "model": "m", "max_tokens": 8,
              "top_k": 5,
              "thinking": { "type": "enabled", "budget_tokens": 10000 },
              "service_tier": "auto",
              "container": "container_011CQUeU",
              "mcp_servers": [{ "type": "url", "url": "https://mcp.example.com/sse", "name": "example" }],
              "context_management": { "edits": [{ "type": "clear_tool_uses_20250919" }] },
              "some_future_field": { "x": 1 },
              "nothing_here": null,
              "messages": [{ "role": "user", "content": "Hi" }]
            }
            """);

        Assert.Equal(["top_k", "thinking", "service_tier", "container", "mcp_servers", "context_management", "some_future_field"], converted.Dropped);
        AssertSameJson("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":8}""", ToWire(converted.Request));
    }

    [Fact]
    public void ToChat_BodyWithSurroundingWhitespace_Accepted()
    {
        var converted = Convert(" \n{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}\n ");

        Assert.Equal("m", converted.Request.Model);
        Assert.Equal(1, converted.Request.MaxCompletionTokens);
    }

    [Fact]
    public void ToChat_ConvertedRequest_OutlivesTheInputBuffer()
    {
        var body = System.Text.Encoding.UTF8.GetBytes("""
            {"model":"m","max_tokens":1,"tools":[{"name":"f","input_schema":{"type":"object","required":["a"]}}],"messages":[{"role":"user","content":"Hi"}]}
            """);
        var converted = Portal.Providers.Anthropic.AnthropicInbound.ToChat(body);
        Array.Clear(body);

        Assert.Equal("""{"type":"object","required":["a"]}""", converted.Request.Tools![0].Function!.Parameters!.Value.GetRawText());
    }

    [Fact]
    public void ToChat_EmptyStopSequences_NoStop()
    {
        var converted = Convert("""{"model":"m","max_tokens":1,"stop_sequences":[],"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Null(converted.Request.Stop);
    }

    [Fact]
    public void ToChat_OneStopSequence_SentAsAList()
    {
        var converted = Convert("""{"model":"m","max_tokens":1,"stop_sequences":["END"],"metadata":{},"messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(["END"], converted.Request.Stop!.Values);
        Assert.Null(converted.Request.User);
        Assert.Contains("\"stop\":[\"END\"]", ToWire(converted.Request), StringComparison.Ordinal);
    }

    [Fact]
    public void ToChat_TextBlockWithCacheControl_PlainStringAndCacheControlDropped()
    {
        // A user message of text only is a plain string: OpenAI-compatible platforms that accept no content arrays still work.
        var converted = Convert("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"Hi","cache_control":{"type":"ephemeral"}}]}]}""");

        var content = Assert.Single(converted.Request.Messages).Content!;
        Assert.True(content.IsText);
        Assert.Equal("Hi", content.Text);
        Assert.Equal(["cache_control"], converted.Dropped);
    }
}
