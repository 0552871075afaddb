using System.Net;
using System.Text;
using Anthropic;
using Anthropic.Exceptions;
using Anthropic.Helpers;
using Anthropic.Models;
using Anthropic.Models.Messages;
using Portal.Testing;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary>The official Anthropic .NET SDK against the real server, relayed to a fake Anthropic platform: bytes in, bytes out, only <c>model</c> changed.</summary>
public sealed class AnthropicSdkRelayTests
{
    private const string ThinkingPart1 = "The user wants the weather in Zürich; ";
    private const string ThinkingPart2 = "I should call get_weather.";
    private const string Signature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds";
    private const string ToolUseId = "toolu_01T1x1fJ34qAmk2tNTrN7Up6";
    private const int InputTokens = 472;
    private const int CacheWrite = 100;
    private const int CacheRead = 2048;
    private const int OutputTokens = 89;

    /// <summary>Headers of the client that reach the upstream; any other client header must not (whatever the transport adds aside).</summary>
    private static readonly string[] ForwardedOrTransport =
        ["anthropic-version", "anthropic-beta", "content-type", "content-length", "accept", "accept-encoding", "host", "connection", "traceparent", "tracestate", "transfer-encoding"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_ClaudeCodeShapedRequest_UpstreamGetsTheSdksBytesExceptModel_SdkGetsThinkingTextAndToolUse(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var answer = WeatherAnswer(stream);
        upstream.DefaultResponse = answer;
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var recorder = new SdkRecorder();
        using var client = Sdk(host, recorder, extraHeaders: new Dictionary<string, string>
        {
            ["anthropic-beta"] = Beta,
            ["x-claude-code-session-id"] = "session-4f1c2a",
        });

        Message message;
        var events = new List<RawMessageStreamEvent>();
        if (stream)
        {
            var aggregator = new MessageContentAggregator();
            await foreach (var e in client.Messages.CreateStreaming(ClaudeCodeRequest()).CollectAsync(aggregator))
            {
                events.Add(e);
            }

            message = aggregator.Message();
        }
        else
        {
            message = await client.Messages.Create(ClaudeCodeRequest());
        }

        // The SDK got the whole answer: thinking with its signature, text, and the tool call with its arguments.
        Assert.Equal(3, message.Content.Count);
        Assert.True(message.Content[0].TryPickThinking(out var thinking), "Not a thinking block: " + message.Content[0].Json);
        Assert.Equal(ThinkingPart1 + ThinkingPart2, thinking!.Thinking);
        Assert.Equal(Signature, thinking.Signature);
        Assert.True(message.Content[1].TryPickText(out var text), "Not a text block: " + message.Content[1].Json);
        Assert.Equal("Okay, let me check the weather.", text!.Text);
        Assert.True(message.Content[2].TryPickToolUse(out var toolUse), "Not a tool_use block: " + message.Content[2].Json);
        Assert.Equal(ToolUseId, toolUse!.ID);
        Assert.Equal("get_weather", toolUse.Name);
        Assert.Equal("Zürich", toolUse.Input["city"].GetString());
        Assert.Equal("celsius", toolUse.Input["unit"].GetString());
        Assert.Equal(StopReason.ToolUse, (StopReason)message.StopReason!);
        Assert.Equal(InputTokens, message.Usage.InputTokens);
        Assert.Equal(CacheRead, message.Usage.CacheReadInputTokens);
        Assert.Equal(CacheWrite, message.Usage.CacheCreationInputTokens);
        Assert.Equal(OutputTokens, message.Usage.OutputTokens);
        if (stream)
        {
            // Relayed event by event: the tool arguments arrive in the upstream's pieces, the signature as its own delta.
            Assert.True(events[0].TryPickStart(out _), "The first event is not message_start: " + events[0].Json);
            Assert.True(events[^1].TryPickStop(out _), "The last event is not message_stop: " + events[^1].Json);
            var deltas = events.Select(e => e.TryPickContentBlockDelta(out var d) ? d.Delta : null).OfType<RawContentBlockDelta>().ToList();
            Assert.Equal(4, deltas.Count(d => d.TryPickInputJson(out _)));
            Assert.Equal(2, deltas.Count(d => d.TryPickThinking(out _)));
            Assert.Single(deltas, d => d.TryPickSignature(out _));
        }

        // The upstream got the SDK's bytes with only model rewritten: system blocks with cache_control, the earlier
        // thinking block and its signature, tool_use and tool_result, tools, thinking, metadata, stop sequences.
        var sent = Assert.Single(recorder.Requests);
        var sentText = Encoding.UTF8.GetString(sent.Body);
        foreach (var field in new[] { "\"cache_control\"", "\"budget_tokens\"", "\"signature\"", "\"tool_result\"", "\"input_schema\"", "\"user_id\"", "\"stop_sequences\"", "\"tool_choice\"" })
        {
            Assert.Contains(field, sentText, StringComparison.Ordinal);
        }

        Assert.Equal(stream, sentText.Contains("\"stream\":true", StringComparison.Ordinal));
        var received = Assert.Single(upstream.Requests);
        Assert.Equal("POST", received.Method);
        Assert.Equal("/v1/messages", received.Path);
        Assert.Equal(Encoding.UTF8.GetString(WithModel(sent.Body, UpstreamModel)), received.BodyText);
        Assert.Equal(WithModel(sent.Body, UpstreamModel), received.Body);

        // Of the client's headers only anthropic-version and anthropic-beta went up; the key is the platform's.
        AssertOnlyAnthropicHeadersForwarded(sent, received);

        if (!stream)
        {
            // A non-streaming answer comes back byte for byte.
            Assert.Equal(Encoding.UTF8.GetString(NonStreamBody()), Encoding.UTF8.GetString(sent.ResponseBody!));
        }

        var stat = Assert.Single(await StatsAsync(host));
        Assert.True(stat.Success, stat.ErrorMessage);
        Assert.Equal(stream, stat.IsStream);
        Assert.Equal(Alias, stat.ModelName);
        Assert.Equal("anthropic-messages", stat.Protocol);
        Assert.Equal("anthropic", stat.TargetFormat);
        Assert.Equal(InputTokens + CacheWrite + CacheRead, stat.PromptTokens);
        Assert.Equal(OutputTokens, stat.CompletionTokens);
        Assert.Equal(CacheRead, stat.CachedInputTokens);
        Assert.Equal(CacheWrite, stat.CacheWriteTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_SdkDefaultsBearerAuthNoBeta_UpstreamGetsTheSdksVersionThePlatformKeyAndNoBeta(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = TextAnswer(stream);
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var recorder = new SdkRecorder();
        using var client = Sdk(host, recorder, bearer: true);
        var parameters = new MessageCreateParams { Model = Alias, MaxTokens = 64, Messages = [new UserMessageParam { Content = "Hi" }] };

        string text;
        if (stream)
        {
            var aggregator = new MessageContentAggregator();
            await foreach (var unused in client.Messages.CreateStreaming(parameters).CollectAsync(aggregator))
            {
            }

            text = string.Concat(aggregator.Message().Content.Select(c => c.TryPickText(out var t) ? t.Text : ""));
        }
        else
        {
            text = string.Concat((await client.Messages.Create(parameters)).Content.Select(c => c.TryPickText(out var t) ? t.Text : ""));
        }

        Assert.Equal("Hello, portal!", text);
        var received = Assert.Single(upstream.Requests);
        Assert.NotNull(SentHeader(Assert.Single(recorder.Requests), "anthropic-version"));
        Assert.Equal(SentHeader(Assert.Single(recorder.Requests), "anthropic-version"), Header(received, "anthropic-version"));
        Assert.Null(Header(received, "anthropic-beta"));
        Assert.Equal("Bearer " + ClientToken, SentHeader(Assert.Single(recorder.Requests), "authorization"));
        Assert.Equal(PlatformKey, Header(received, "x-api-key"));
        Assert.Null(Header(received, "authorization"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_UnknownModel_SdkThrowsNotFoundWithAnthropicErrorType(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = Sdk(host);
        var parameters = new MessageCreateParams { Model = "no-such-model", MaxTokens = 64, Messages = [new UserMessageParam { Content = "Hi" }] };

        var exception = await Assert.ThrowsAsync<AnthropicNotFoundException>(async () =>
        {
            if (stream)
            {
                await foreach (var e in client.Messages.CreateStreaming(parameters))
                {
                    Assert.Fail("An event arrived for an unknown model: " + e.Json);
                }
            }
            else
            {
                await client.Messages.Create(parameters);
            }
        });

        Assert.Equal(HttpStatusCode.NotFound, exception.StatusCode);
        Assert.Equal(ErrorType.NotFoundError, (ErrorType)exception.Type!);
        Assert.Contains("no-such-model", exception.ApiMessage, StringComparison.Ordinal);
        Assert.Equal(0, upstream.RequestCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Create_WrongToken_SdkThrowsUnauthorized(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = Sdk(host, token: "not-the-client-token");
        var parameters = new MessageCreateParams { Model = Alias, MaxTokens = 64, Messages = [new UserMessageParam { Content = "Hi" }] };

        var exception = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(async () =>
        {
            if (stream)
            {
                await foreach (var e in client.Messages.CreateStreaming(parameters))
                {
                    Assert.Fail("An event arrived for a wrong token: " + e.Json);
                }
            }
            else
            {
                await client.Messages.Create(parameters);
            }
        });

        Assert.Equal(ErrorType.AuthenticationError, (ErrorType)exception.Type!);
        Assert.Equal(0, upstream.RequestCount);
    }

    [Fact]
    public async Task CreateStreaming_UpstreamStreamEndsBeforeMessageStop_SdkGetsTheTextThenAnSseError()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.SseRaw(
            Event("message_start", MessageStart("msg_cut", input: 9)),
            BlockStart(0, """{"type":"text","text":""}"""),
            TextDelta(0, "Half an ans"));
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var client = Sdk(host);
        var parameters = new MessageCreateParams { Model = Alias, MaxTokens = 64, Messages = [new UserMessageParam { Content = "Hi" }] };
        var text = new StringBuilder();

        var exception = await Assert.ThrowsAsync<AnthropicSseException>(async () =>
        {
            await foreach (var e in client.Messages.CreateStreaming(parameters))
            {
                Assert.False(e.TryPickStop(out _), "message_stop reached the client of a broken stream.");
                if (e.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece))
                {
                    text.Append(piece.Text);
                }
            }
        });

        Assert.Equal("Half an ans", text.ToString());
        Assert.True(exception.Type is not null || exception.Message.Contains("\"error\"", StringComparison.Ordinal), exception.Message);
        var stat = Assert.Single(await StatsAsync(host));
        Assert.False(stat.Success);
        Assert.Contains("message_stop", stat.ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("anthropic", stat.TargetFormat);
        Assert.Equal("anthropic-messages", stat.Protocol);
    }

    [Fact]
    public async Task CountTokens_AnthropicPlatform_SdkGetsTheUpstreamsExactCount()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200, """{"input_tokens":42}""");
        await using var host = await StartAsync(AnthropicPlatform("claude", upstream.BaseUrl));
        using var recorder = new SdkRecorder();
        using var client = Sdk(host, recorder);

        var count = await client.Messages.CountTokens(new MessageCountTokensParams
        {
            Model = Alias,
            System = "Be brief.",
            Messages = [new UserMessageParam { Content = "How many tokens is this?" }],
        });

        Assert.Equal(42, count.InputTokens);
        var received = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/messages/count_tokens", received.Path);
        Assert.Equal(WithModel(Assert.Single(recorder.Requests).Body, UpstreamModel), received.Body);
        Assert.Equal(PlatformKey, Header(received, "x-api-key"));
        Assert.Empty(await StatsAsync(host));
    }

    /// <summary>A multi-turn request shaped like Claude Code's: cached system blocks, an earlier thinking block and tool round trip, tools, thinking, metadata.</summary>
    private static MessageCreateParams ClaudeCodeRequest() => new()
    {
        Model = Alias,
        MaxTokens = 2048,
        System = new List<TextBlockParam>
        {
            new() { Text = "You are Claude Code, Anthropic's official CLI for Claude.", CacheControl = new CacheControlEphemeral() },
            new() { Text = "Use tools when they help. Ünïcödé ✓ \"quoted\" </script>", CacheControl = new CacheControlEphemeral() },
        },
        Messages =
        [
            new UserMessageParam { Content = "What's the weather in Bern?" },
            new AssistantMessageParam
            {
                Content = new List<ContentBlockParam>
                {
                    new ThinkingBlockParam { Thinking = "Bern: call get_weather.", Signature = "EpYBCkYIBRgCKkBprevious" },
                    new ToolUseBlockParam { ID = "toolu_01PrevCall", Name = "get_weather", Input = Properties("""{"city":"Bern"}""") },
                },
            },
            new UserMessageParam
            {
                Content = new List<ContentBlockParam>
                {
                    new ToolResultBlockParam { ToolUseID = "toolu_01PrevCall", Content = "15 °C, cloudy" },
                    new TextBlockParam { Text = "And in Zürich?", CacheControl = new CacheControlEphemeral() },
                },
            },
        ],
        Tools =
        [
            new Tool
            {
                Name = "get_weather",
                Description = "Current weather of a city",
                InputSchema = new InputSchema { Properties = Properties("""{"city":{"type":"string","description":"The city"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}}"""), Required = ["city"] },
                CacheControl = new CacheControlEphemeral(),
            },
        ],
        ToolChoice = new ToolChoiceAuto(),
        Thinking = new ThinkingConfigEnabled(1024),
        Metadata = new Metadata { UserID = "user_7f3a_account_2b9e_session_4f1c2a" },
        StopSequences = ["END_OF_TURN"],
    };

    /// <summary>The answer to <see cref="ClaudeCodeRequest"/> as a message.</summary>
    private static byte[] NonStreamBody() => Encoding.UTF8.GetBytes(Message(
        "msg_014p7gG3wDgGV9EUtLvnow3U",
        $$"""[{"type":"thinking","thinking":"{{ThinkingPart1 + ThinkingPart2}}","signature":"{{Signature}}"},{"type":"text","text":"Okay, let me check the weather."},{"type":"tool_use","id":"{{ToolUseId}}","name":"get_weather","input":{{WeatherArguments}}}]""",
        "tool_use", InputTokens, OutputTokens, CacheWrite, CacheRead));

    /// <summary>
    /// The answer to <see cref="ClaudeCodeRequest"/>, as Anthropic's streaming reference shows one: a ping, thinking with a
    /// signature delta, text, a tool call whose arguments come in pieces (split inside a word), written in 13-byte pieces
    /// that split events and UTF-8 characters.
    /// </summary>
    private static FakeResponse WeatherAnswer(bool stream) => !stream
        ? FakeResponse.Json(200, Encoding.UTF8.GetString(NonStreamBody()))
        : FakeResponse.SseRaw(
            Event("message_start", MessageStart("msg_014p7gG3wDgGV9EUtLvnow3U", InputTokens, CacheWrite, CacheRead)),
            BlockStart(0, """{"type":"thinking","thinking":"","signature":""}"""),
            Event("ping", """{"type": "ping"}"""),
            Delta(0, $$"""{"type":"thinking_delta","thinking":"{{ThinkingPart1}}"}"""),
            Delta(0, $$"""{"type":"thinking_delta","thinking":"{{ThinkingPart2}}"}"""),
            Delta(0, $$"""{"type":"signature_delta","signature":"{{Signature}}"}"""),
            BlockStop(0),
            BlockStart(1, """{"type":"text","text":""}"""),
            TextDelta(1, "Okay, let me check "),
            TextDelta(1, "the weather."),
            BlockStop(1),
            BlockStart(2, $$$"""{"type":"tool_use","id":"{{{ToolUseId}}}","name":"get_weather","input":{}}"""),
            InputJsonDelta(2, ""),
            InputJsonDelta(2, """{"city":"Zü"""),
            InputJsonDelta(2, """rich","unit":"cel"""),
            InputJsonDelta(2, """sius"}"""),
            BlockStop(2),
            MessageDelta("tool_use", OutputTokens),
            MessageStop()).SplitEvery(13);

    private static void AssertOnlyAnthropicHeadersForwarded(SentRequest sent, FakeRequest received)
    {
        Assert.True(sent.Headers.TryGetValue("x-api-key", out var clientKey), "The SDK sent: " + string.Join("; ", sent.Headers.Select(h => $"{h.Key}: {h.Value}")));
        Assert.Equal(ClientToken, clientKey);
        Assert.Equal(PlatformKey, Header(received, "x-api-key"));
        Assert.Equal(sent.Headers["anthropic-version"], Header(received, "anthropic-version"));
        Assert.Equal(Beta, sent.Headers["anthropic-beta"]);
        Assert.Equal(Beta, Header(received, "anthropic-beta"));
        Assert.Null(Header(received, "authorization"));
        Assert.Null(Header(received, "x-claude-code-session-id"));
        Assert.DoesNotContain(received.Headers.Keys, name => name.StartsWith("x-stainless", StringComparison.OrdinalIgnoreCase));
        Assert.True(sent.Headers.Keys.Any(name => name.StartsWith("x-stainless", StringComparison.OrdinalIgnoreCase)) || sent.Headers.ContainsKey("user-agent"),
            "The SDK sent no header of its own, so the check below proves little: " + string.Join(", ", sent.Headers.Keys));
        var leaked = sent.Headers
            .Where(h => !ForwardedOrTransport.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
            .Where(h => received.Headers.TryGetValue(h.Key, out var value) && value == h.Value)
            .Select(h => $"{h.Key}: {h.Value}")
            .ToList();
        Assert.True(leaked.Count == 0, "Client headers reached the upstream: " + string.Join("; ", leaked));
        Assert.DoesNotContain(received.Headers.Values, value => value.Contains(ClientToken, StringComparison.Ordinal));
        Assert.DoesNotContain(ClientToken, received.BodyText, StringComparison.Ordinal);
    }

    private static string? SentHeader(SentRequest request, string name) => request.Headers.TryGetValue(name, out var value) ? value : null;
}
