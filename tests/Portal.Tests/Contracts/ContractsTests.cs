using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Contracts;

namespace Portal.Tests.Contracts;

public class ContractsTests
{
    private const string FullRequestTemplate = """
        {
          "model": "gpt-4o",
          "messages": [
            { "role": "developer", "content": "You are terse." },
            { "role": "system", "content": "Answer in English.", "name": "policy" },
            {
              "role": "user",
              "content": [
                { "type": "text", "text": "What is in this image and this clip? " },
                { "type": "image_url", "image_url": { "url": "https://example.com/cat.png", "detail": "high" } },
                { "type": "input_audio", "input_audio": { "data": "UklGRiQAAABXQVZF", "format": "wav" } },
                { "type": "file", "file": { "file_id": "file-abc123" } },
                { "type": "file", "file": { "file_data": "JVBERi0xLjQ=", "filename": "a.pdf" } },
                { "type": "text", "text": "Be brief." }
              ]
            },
            {
              "role": "assistant",
              "content": null,
              "reasoning_content": "I should call the weather tool.",
              "tool_calls": [
                {
                  "id": "call_1",
                  "type": "function",
                  "function": { "name": "get_weather", "arguments": "{\"city\":\"Paris\"}" }
                }
              ]
            },
            { "role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":21}" },
            { "role": "assistant", "refusal": "I can't help with that.", "content": [ { "type": "refusal", "refusal": "No." } ] }
          ],
          "stream": true,
          "stream_options": { "include_usage": true, "include_obfuscation": false },
          "temperature": 0.7,
          "top_p": 0.9,
          "n": 2,
          "stop": __STOP__,
          "max_tokens": 256,
          "max_completion_tokens": 512,
          "presence_penalty": 0.5,
          "frequency_penalty": -0.25,
          "logit_bias": { "50256": -100, "1234": 2.5 },
          "logprobs": true,
          "top_logprobs": 3,
          "user": "user-42",
          "seed": 9007199254740993,
          "tools": [
            {
              "type": "function",
              "function": {
                "name": "get_weather",
                "description": "Gets the weather.",
                "parameters": {
                  "type": "object",
                  "properties": { "city": { "type": "string", "enum": ["Paris", "Oslo"] } },
                  "required": ["city"],
                  "additionalProperties": false
                },
                "strict": true
              }
            },
            { "type": "custom", "custom": { "name": "sql", "description": "Runs SQL.", "format": { "type": "text" } } }
          ],
          "tool_choice": __TOOL_CHOICE__,
          "parallel_tool_calls": false,
          "response_format": {
            "type": "json_schema",
            "json_schema": {
              "name": "weather",
              "description": "A weather report.",
              "schema": { "type": "object", "properties": { "temp_c": { "type": "number" } }, "required": ["temp_c"] },
              "strict": true
            }
          },
          "modalities": ["text", "audio"],
          "audio": { "voice": "alloy", "format": "mp3" },
          "prediction": { "type": "content", "content": "Hello" },
          "reasoning_effort": "low",
          "service_tier": "flex",
          "store": true,
          "metadata": { "team": "search", "run": "7" },
          "web_search_options": { "search_context_size": "low", "user_location": { "type": "approximate", "approximate": { "city": "Paris" } } },
          "verbosity": "medium",
          "prompt_cache_key": "tenant-1",
          "prompt_cache_retention": "24h",
          "safety_identifier": "hash-1",
          "functions": [ { "name": "legacy", "parameters": { "type": "object" } } ],
          "function_call": { "name": "legacy" }
        }
        """;

    public static TheoryData<string, string> StopAndToolChoiceShapes => new()
    {
        { "\"\\n\\n\"", "\"auto\"" },
        { "[\"END\", \"STOP\"]", "\"required\"" },
        { "[\"END\"]", "{ \"type\": \"function\", \"function\": { \"name\": \"get_weather\" } }" },
        { "\"END\"", "{ \"type\": \"allowed_tools\", \"allowed_tools\": { \"mode\": \"auto\", \"tools\": [ { \"type\": \"function\", \"function\": { \"name\": \"get_weather\" } } ] } }" },
    };

    [Theory]
    [MemberData(nameof(StopAndToolChoiceShapes))]
    public void Request_FullRoundTrip_IsSemanticallyEqual(string stop, string toolChoice)
    {
        var json = FullRequestTemplate.Replace("__STOP__", stop, StringComparison.Ordinal)
            .Replace("__TOOL_CHOICE__", toolChoice, StringComparison.Ordinal);

        var request = Deserialize(json, PortalJsonContext.Default.ChatCompletionRequest);
        var written = JsonSerializer.Serialize(request, PortalJsonContext.Default.ChatCompletionRequest);

        // The only normalization: "content": null is omitted when written.
        var expected = JsonNode.Parse(json)!;
        expected["messages"]![3]!.AsObject().Remove("content");
        AssertJsonEqual(expected, JsonNode.Parse(written)!);
        Assert.Null(request.AdditionalProperties);
    }

    [Fact]
    public void Request_FullRequest_BindsTypedFields()
    {
        var json = FullRequestTemplate.Replace("__STOP__", "[\"END\", \"STOP\"]", StringComparison.Ordinal)
            .Replace("__TOOL_CHOICE__", "{ \"type\": \"function\", \"function\": { \"name\": \"get_weather\" } }", StringComparison.Ordinal);

        var request = Deserialize(json, PortalJsonContext.Default.ChatCompletionRequest);

        Assert.Equal("gpt-4o", request.Model);
        Assert.Equal(6, request.Messages.Count);
        Assert.Equal("You are terse.", request.Messages[0].Content!.Text);
        Assert.True(request.Messages[0].Content!.IsText);

        var user = request.Messages[2].Content!;
        Assert.False(user.IsText);
        Assert.Equal(6, user.Parts!.Count);
        Assert.Equal("What is in this image and this clip? Be brief.", user.Text);
        Assert.Equal("high", user.Parts[1].ImageUrl!.Detail);
        Assert.Equal("wav", user.Parts[2].InputAudio!.Format);
        Assert.Equal("file-abc123", user.Parts[3].File!.FileId);
        Assert.Equal("a.pdf", user.Parts[4].File!.Filename);

        var assistant = request.Messages[3];
        Assert.Null(assistant.Content);
        Assert.Equal("I should call the weather tool.", assistant.ReasoningContent);
        Assert.Equal("{\"city\":\"Paris\"}", assistant.ToolCalls![0].Function!.Arguments);
        Assert.Equal("call_1", request.Messages[4].ToolCallId);

        Assert.Equal(["END", "STOP"], request.Stop!.Values);
        Assert.False(request.Stop.IsSingle);
        Assert.False(request.ToolChoice!.IsMode);
        Assert.Equal("get_weather", request.ToolChoice.Function!.Name);
        Assert.Equal(9007199254740993L, request.Seed);
        Assert.Equal(-100, request.LogitBias!["50256"]);
        Assert.Equal("json_schema", request.ResponseFormat!.Type);
        Assert.True(request.ResponseFormat.JsonSchema!.Strict);
        Assert.Equal(JsonValueKind.Object, request.ResponseFormat.JsonSchema.Schema!.Value.ValueKind);
        Assert.True(request.StreamOptions!.IncludeUsage);
        Assert.False(request.StreamOptions.IncludeObfuscation);
        Assert.Equal("custom", request.Tools![1].Type);
        Assert.Null(request.Tools[1].Function);
        Assert.Equal("24h", request.PromptCacheRetention);
        Assert.Equal("search", request.Metadata!["team"]);
    }

    [Fact]
    public void Request_UnknownFieldsEverywhere_RoundTripByteForByte()
    {
        // Unknown values are compact here: a written JsonElement keeps its number text exactly
        // ("2.50", "1e3", "-0.0") but not insignificant whitespace.
        const string json = """
            {
              "model": "m",
              "x_top": {"nested":[1,2.50,{"deep":null}],"flag":true},
              "x_top_array": ["a",1e3,-0.0],
              "messages": [
                {
                  "role": "user",
                  "x_msg": {"cache_control":{"type":"ephemeral"}},
                  "content": [
                    { "type": "text", "text": "hi", "x_part": [{"a":1},[],{}] },
                    { "type": "image_url", "image_url": { "url": "u", "x_img": 12.0 } }
                  ]
                }
              ],
              "tools": [
                {
                  "type": "function",
                  "x_tool": {"k":"v","list":[true,false,null]},
                  "function": { "name": "f", "x_fn": "text", "parameters": {"type": "object"} }
                }
              ],
              "tool_choice": { "type": "function", "function": { "name": "f", "x_fn_choice": 1 }, "x_choice": [1] },
              "stream_options": { "include_usage": true, "x_so": 5 },
              "response_format": { "type": "json_schema", "x_rf": 1, "json_schema": { "name": "n", "x_js": {"a":[1]} } }
            }
            """;

        var request = Deserialize(json, PortalJsonContext.Default.ChatCompletionRequest);
        var written = JsonSerializer.Serialize(request, PortalJsonContext.Default.ChatCompletionRequest);

        using var input = JsonDocument.Parse(json);
        using var output = JsonDocument.Parse(written);
        var inRoot = input.RootElement;
        var outRoot = output.RootElement;
        AssertSameRaw(inRoot, outRoot, "x_top");
        AssertSameRaw(inRoot, outRoot, "x_top_array");
        AssertSameRaw(inRoot.GetProperty("messages")[0], outRoot.GetProperty("messages")[0], "x_msg");
        AssertSameRaw(Part(inRoot, 0), Part(outRoot, 0), "x_part");
        AssertSameRaw(Part(inRoot, 1).GetProperty("image_url"), Part(outRoot, 1).GetProperty("image_url"), "x_img");
        AssertSameRaw(inRoot.GetProperty("tools")[0], outRoot.GetProperty("tools")[0], "x_tool");
        AssertSameRaw(inRoot.GetProperty("tools")[0].GetProperty("function"), outRoot.GetProperty("tools")[0].GetProperty("function"), "x_fn");
        AssertSameRaw(inRoot.GetProperty("tool_choice"), outRoot.GetProperty("tool_choice"), "x_choice");
        AssertSameRaw(inRoot.GetProperty("tool_choice").GetProperty("function"), outRoot.GetProperty("tool_choice").GetProperty("function"), "x_fn_choice");
        AssertSameRaw(inRoot.GetProperty("stream_options"), outRoot.GetProperty("stream_options"), "x_so");
        AssertSameRaw(inRoot.GetProperty("response_format"), outRoot.GetProperty("response_format"), "x_rf");
        AssertSameRaw(inRoot.GetProperty("response_format").GetProperty("json_schema"), outRoot.GetProperty("response_format").GetProperty("json_schema"), "x_js");
        Assert.Equal("""{"nested":[1,2.50,{"deep":null}],"flag":true}""", request.AdditionalProperties!["x_top"].GetRawText());
        AssertJsonEqual(JsonNode.Parse(json)!, JsonNode.Parse(written)!);

        static JsonElement Part(JsonElement root, int index) => root.GetProperty("messages")[0].GetProperty("content")[index];
    }

    [Fact]
    public void Request_BuiltInCode_OmitsNullFields()
    {
        var request = new ChatCompletionRequest
        {
            Model = "gpt-4o-mini",
            Messages = new List<ChatMessage> { new("user", "hi"), new("assistant", null) },
            Stop = "END",
            ToolChoice = ToolChoice.Auto,
        };

        var written = JsonSerializer.Serialize(request, PortalJsonContext.Default.ChatCompletionRequest);

        Assert.Equal(
            """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"},{"role":"assistant"}],"stop":"END","tool_choice":"auto"}""",
            written);
    }

    [Fact]
    public void Request_ShallowClone_ReassigningTopLevelLeavesOriginalUnchanged()
    {
        var original = Deserialize("""{"model":"alias","messages":[{"role":"user","content":"hi"}],"stream":true,"x_extra":1}""", PortalJsonContext.Default.ChatCompletionRequest);

        var clone = original.ShallowClone();
        clone.Model = "upstream-model";
        clone.Stream = null;
        clone.AdditionalProperties!.Remove("x_extra");

        Assert.Equal("alias", original.Model);
        Assert.True(original.Stream);
        Assert.True(original.AdditionalProperties!.ContainsKey("x_extra"));
        Assert.Same(original.Messages, clone.Messages);
        Assert.Equal("""{"model":"upstream-model","messages":[{"role":"user","content":"hi"}]}""", JsonSerializer.Serialize(clone, PortalJsonContext.Default.ChatCompletionRequest));
    }

    [Fact]
    public void MessageContent_ImplicitFromString_IsTextAndWritesString()
    {
        MessageContent content = "hello";
        var message = new ChatMessage { Role = "user", Content = "hello" };

        Assert.True(content.IsText);
        Assert.Equal("hello", content.Text);
        Assert.Null(content.Parts);
        Assert.Equal("""{"role":"user","content":"hello"}""", JsonSerializer.Serialize(message, PortalJsonContext.Default.ChatMessage));
        Assert.Null((MessageContent?)(string?)null);
    }

    [Fact]
    public void MessageContent_Parts_TextConcatenatesTextPartsAndWritesArray()
    {
        var content = new MessageContent(new List<ContentPart>
        {
            ContentPart.FromText("a"),
            ContentPart.FromImageUrl("https://example.com/x.png", "low"),
            ContentPart.FromInputAudio("AAAA", "mp3"),
            ContentPart.FromText("b"),
        });
        var message = new ChatMessage { Role = "user", Content = content };

        var written = JsonSerializer.Serialize(message, PortalJsonContext.Default.ChatMessage);

        Assert.False(content.IsText);
        Assert.Equal("ab", content.Text);
        Assert.Equal(
            """{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://example.com/x.png","detail":"low"}},{"type":"input_audio","input_audio":{"data":"AAAA","format":"mp3"}},{"type":"text","text":"b"}]}""",
            written);
    }

    [Fact]
    public void MessageContent_SingleTextPartArray_StaysAnArray()
    {
        var message = Deserialize("""{"role":"user","content":[{"type":"text","text":"x"}]}""", PortalJsonContext.Default.ChatMessage);

        Assert.Equal("x", message.Content!.Text);
        Assert.Equal("""{"role":"user","content":[{"type":"text","text":"x"}]}""", JsonSerializer.Serialize(message, PortalJsonContext.Default.ChatMessage));
    }

    [Fact]
    public void MessageContent_PartsWithoutText_TextIsNull()
    {
        var content = new MessageContent(new List<ContentPart> { ContentPart.FromImageUrl("u") });

        Assert.Null(content.Text);
    }

    [Theory]
    [InlineData("""{"role":"assistant","content":null}""")]
    [InlineData("""{"role":"assistant"}""")]
    public void MessageContent_NullOrMissing_IsNullAndOmittedWhenWritten(string json)
    {
        var message = Deserialize(json, PortalJsonContext.Default.ChatMessage);

        Assert.Null(message.Content);
        Assert.Equal("""{"role":"assistant"}""", JsonSerializer.Serialize(message, PortalJsonContext.Default.ChatMessage));
    }

    [Fact]
    public void StopSequences_CreatedInCode_WritesTheShapeItWasCreatedWith()
    {
        var single = new ChatCompletionRequest { Model = "m", Stop = new StopSequences("x") };
        var array = new ChatCompletionRequest { Model = "m", Stop = new StopSequences(["x"]) };

        Assert.Contains("\"stop\":\"x\"", JsonSerializer.Serialize(single, PortalJsonContext.Default.ChatCompletionRequest), StringComparison.Ordinal);
        Assert.Contains("\"stop\":[\"x\"]", JsonSerializer.Serialize(array, PortalJsonContext.Default.ChatCompletionRequest), StringComparison.Ordinal);
    }

    [Fact]
    public void ToolChoice_ForFunction_WritesObjectForm()
    {
        var request = new ChatCompletionRequest { Model = "m", ToolChoice = ToolChoice.ForFunction("f") };

        var written = JsonSerializer.Serialize(request, PortalJsonContext.Default.ChatCompletionRequest);

        Assert.Contains("""
            "tool_choice":{"type":"function","function":{"name":"f"}}
            """, written, StringComparison.Ordinal);
    }

    [Fact]
    public void Response_OpenAiSample_ParsesAndRoundTrips()
    {
        const string json = """
            {
              "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
              "object": "chat.completion",
              "created": 1741570283,
              "model": "gpt-4o-2024-08-06",
              "choices": [
                {
                  "index": 0,
                  "message": {
                    "role": "assistant",
                    "content": "The image shows a wooden boardwalk.",
                    "refusal": null,
                    "annotations": []
                  },
                  "logprobs": null,
                  "finish_reason": "stop"
                },
                {
                  "index": 1,
                  "message": {
                    "role": "assistant",
                    "content": null,
                    "tool_calls": [
                      { "id": "call_abc", "type": "function", "function": { "name": "get_weather", "arguments": "{\"city\":\"Oslo\"}" } }
                    ]
                  },
                  "logprobs": null,
                  "finish_reason": "tool_calls"
                }
              ],
              "usage": {
                "prompt_tokens": 1117,
                "completion_tokens": 46,
                "total_tokens": 1163,
                "prompt_tokens_details": { "cached_tokens": 1024, "audio_tokens": 0 },
                "completion_tokens_details": {
                  "reasoning_tokens": 32,
                  "audio_tokens": 0,
                  "accepted_prediction_tokens": 0,
                  "rejected_prediction_tokens": 0
                }
              },
              "service_tier": "default",
              "system_fingerprint": "fp_fc9f1d7035"
            }
            """;

        var response = Deserialize(json, PortalJsonContext.Default.ChatCompletionResponse);

        Assert.Equal("chat.completion", response.Object);
        Assert.Equal(1741570283L, response.Created);
        Assert.Equal(2, response.Choices.Count);
        Assert.Equal("The image shows a wooden boardwalk.", response.Choices[0].Message.Content!.Text);
        Assert.Equal("stop", response.Choices[0].FinishReason);
        Assert.Null(response.Choices[0].Logprobs);
        Assert.Equal("tool_calls", response.Choices[1].FinishReason);
        Assert.Equal("get_weather", response.Choices[1].Message.ToolCalls![0].Function!.Name);
        Assert.Equal(1163, response.Usage!.TotalTokens);
        Assert.Equal(1024, response.Usage.PromptTokensDetails!.CachedTokens);
        Assert.Equal(32, response.Usage.CompletionTokensDetails!.ReasoningTokens);
        Assert.Equal("fp_fc9f1d7035", response.SystemFingerprint);
        Assert.Equal("default", response.ServiceTier);

        // Null "content" and "refusal" are omitted; "finish_reason" and "logprobs" are always written.
        var expected = JsonNode.Parse(json)!;
        expected["choices"]![0]!["message"]!.AsObject().Remove("refusal");
        expected["choices"]![1]!["message"]!.AsObject().Remove("content");
        AssertJsonEqual(expected, JsonNode.Parse(JsonSerializer.Serialize(response, PortalJsonContext.Default.ChatCompletionResponse))!);
    }

    private const string ChunkRole = """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"obfuscation":"a1b2"}""";

    private const string ChunkToolStart = """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}]},"logprobs":null,"finish_reason":null}]}""";

    private const string ChunkToolFragment = """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"loc"}}]},"logprobs":null,"finish_reason":null}]}""";

    private const string ChunkFinish = """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}""";

    private const string ChunkUsage = """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","service_tier":"default","choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":192,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}""";

    public static TheoryData<string> OpenAiChunks => new() { ChunkRole, ChunkToolStart, ChunkToolFragment, ChunkFinish, ChunkUsage };

    [Theory]
    [MemberData(nameof(OpenAiChunks))]
    public void Chunk_OpenAiSample_RoundTripsExceptNullOptionalFields(string json)
    {
        var chunk = Deserialize(json, PortalJsonContext.Default.ChatCompletionChunk);
        var written = JsonSerializer.Serialize(chunk, PortalJsonContext.Default.ChatCompletionChunk);

        var expected = JsonNode.Parse(json)!;
        foreach (var choice in expected["choices"]!.AsArray())
        {
            choice!["delta"]!.AsObject().Remove("refusal");
        }

        Assert.Equal("chat.completion.chunk", chunk.Object);
        AssertJsonEqual(expected, JsonNode.Parse(written)!);
    }

    [Fact]
    public void Chunk_ToolCallDeltasAndUsage_BindTypedFields()
    {
        var start = Deserialize(ChunkToolStart, PortalJsonContext.Default.ChatCompletionChunk);
        var fragment = Deserialize(ChunkToolFragment, PortalJsonContext.Default.ChatCompletionChunk);
        var finish = Deserialize(ChunkFinish, PortalJsonContext.Default.ChatCompletionChunk);
        var usage = Deserialize(ChunkUsage, PortalJsonContext.Default.ChatCompletionChunk);

        var first = start.Choices[0].Delta.ToolCalls![0];
        Assert.Equal(0, first.Index);
        Assert.Equal("call_DdmO9pD3xa9XTPNJ32zg2hcA", first.Id);
        Assert.Equal("function", first.Type);
        Assert.Equal("get_weather", first.Function!.Name);
        var next = fragment.Choices[0].Delta.ToolCalls![0];
        Assert.Equal(1, next.Index);
        Assert.Null(next.Id);
        Assert.Null(next.Type);
        Assert.Equal("{\"loc", next.Function!.Arguments);
        Assert.Null(start.Choices[0].FinishReason);
        Assert.Equal("tool_calls", finish.Choices[0].FinishReason);
        Assert.Empty(usage.Choices);
        Assert.Equal(1920, usage.Usage!.PromptTokensDetails!.CachedTokens);
        Assert.Equal(192, usage.Usage.CompletionTokensDetails!.ReasoningTokens);
    }

    [Fact]
    public void Chunk_ReasoningContentDelta_Parses()
    {
        const string json = """{"id":"c","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Let me think"},"logprobs":null,"finish_reason":null}]}""";

        var chunk = Deserialize(json, PortalJsonContext.Default.ChatCompletionChunk);

        Assert.Equal("Let me think", chunk.Choices[0].Delta.ReasoningContent);
        Assert.Null(chunk.Choices[0].Delta.Content);
    }

    [Fact]
    public void Error_OpenAiStringCode_Parses()
    {
        const string json = """{"error":{"message":"x","type":"invalid_request_error","param":null,"code":"model_not_found"}}""";

        var error = Deserialize(json, PortalJsonContext.Default.ErrorResponse);

        Assert.Equal("x", error.Error.Message);
        Assert.Equal("invalid_request_error", error.Error.Type);
        Assert.Null(error.Error.Param);
        Assert.Equal("model_not_found", error.Error.CodeString);
        Assert.Equal(json, JsonSerializer.Serialize(error, PortalJsonContext.Default.ErrorResponse));
    }

    [Fact]
    public void Error_NumericCode_ParsesAsText()
    {
        const string json = """{"error":{"message":"Rate limit reached","type":"rate_limit","code":429,"metadata":{"provider":"p"}}}""";

        var error = Deserialize(json, PortalJsonContext.Default.ErrorResponse);

        Assert.Equal(JsonValueKind.Number, error.Error.Code!.Value.ValueKind);
        Assert.Equal("429", error.Error.CodeString);
        Assert.Equal("""{"provider":"p"}""", error.Error.AdditionalProperties!["metadata"].GetRawText());
    }

    [Fact]
    public void Error_NullOrMissingCode_CodeStringIsNullAndParamAndCodeAreWritten()
    {
        var fromNull = Deserialize("""{"error":{"message":"m","type":"t","param":null,"code":null}}""", PortalJsonContext.Default.ErrorResponse);
        var built = new ErrorResponse { Error = new ErrorDetail { Message = "m", Type = "t" } };

        Assert.Null(fromNull.Error.CodeString);
        Assert.Null(built.Error.CodeString);
        Assert.Equal("""{"error":{"message":"m","type":"t","param":null,"code":null}}""", JsonSerializer.Serialize(built, PortalJsonContext.Default.ErrorResponse));
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[],"stop":42}""", "'stop' must be a string or an array of strings")]
    [InlineData("""{"model":"m","messages":[],"stop":{"a":1}}""", "'stop' must be a string or an array of strings")]
    [InlineData("""{"model":"m","messages":[],"stop":["a",1]}""", "'stop' array items must be strings")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":42}]}""", "Message 'content' must be a string or an array of content parts")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":{"text":"x"}}]}""", "Message 'content' must be a string or an array of content parts")]
    [InlineData("""{"model":"m","messages":[],"tool_choice":true}""", "'tool_choice' must be a string or an object")]
    public void Request_InvalidUnionShape_ThrowsJsonExceptionNamingTheField(string json, string message)
    {
        var exception = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, PortalJsonContext.Default.ChatCompletionRequest));

        Assert.Contains(message, exception.Message, StringComparison.Ordinal);
    }

    private static T Deserialize<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo)
    {
        var value = JsonSerializer.Deserialize(json, typeInfo);
        Assert.NotNull(value);
        return value;
    }

    private static void AssertSameRaw(JsonElement input, JsonElement output, string property) =>
        Assert.Equal(input.GetProperty(property).GetRawText(), output.GetProperty(property).GetRawText());

    private static void AssertJsonEqual(JsonNode expected, JsonNode actual)
    {
        if (!JsonNode.DeepEquals(expected, actual))
        {
            Assert.Fail($"JSON differs.\nExpected: {expected.ToJsonString()}\nActual:   {actual.ToJsonString()}");
        }
    }
}
