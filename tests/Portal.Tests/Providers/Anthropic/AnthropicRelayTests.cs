using System.Text;
using Portal.Relay;
using Portal.Testing;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>Anthropic Messages clients on Anthropic platforms: the client's bytes up with only <c>model</c> rewritten, the answer back as it came.</summary>
public sealed class AnthropicRelayTests
{
    private const string ClientModel = "claude";
    private const string UpstreamModel = "claude-sonnet-4-5-20250929";
    private const string PlatformKey = "sk-ant-api03-platform-secret-0123456789";

    /// <summary>A Claude Code-shaped body: system blocks with cache_control, thinking, metadata, a tool, an unknown future field.</summary>
    private static string ClientBody(bool stream) =>
        "{\"model\":\"claude\",\"max_tokens\":32000," + (stream ? "\"stream\":true," : "")
        + """
        "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
        "messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],
        "thinking":{"type":"enabled","budget_tokens":1024},"metadata":{"user_id":"u-1"},
        "tools":[{"name":"Bash","description":"run","input_schema":{"type":"object","properties":{"command":{"type":"string"}}}}],
        "context_management":{"edits":[]},"future_field":[1,2.50,{"x":null}]}
        """;

    private const string MessageJson = """
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hello!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":7}}
        """;

    private static readonly string[] StreamEvents =
    [
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":7}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ];

    private static PortalGateway Gateway(FakeUpstream first, FakeUpstream? second = null, Action<InMemoryPortalRepository>? more = null)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddAnthropicChannel(1, first.BaseUrl, 10, UpstreamModel, ClientModel, PlatformKey);
        if (second is not null)
        {
            repository.AddAnthropicChannel(2, second.BaseUrl, 20, UpstreamModel, ClientModel, "sk-ant-api03-second-0123456789");
        }

        more?.Invoke(repository);
        return CreateRelayGateway(repository);
    }

    private static Task<ChatRelayResult> RelayAsync(PortalGateway gateway, string body, IFramedRelayWriter writer, string? version = "2023-06-01", string? beta = null)
    {
        var request = MessagesRelayRequest.Parse(Encoding.UTF8.GetBytes(body));
        request.AnthropicVersion = version;
        request.AnthropicBeta = beta;
        return gateway.RelayMessagesAsync(request, writer, new PortalRequestContext { Protocol = InboundProtocols.AnthropicMessages });
    }

    [Fact]
    public async Task NonStream_ClientBytesGoUpWithOnlyModelRewritten_AndTheAnswerComesBackAsItCame()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(FakeResponse.Json(200, MessageJson));
        await using var gateway = Gateway(upstream);
        var writer = new RecordingFramedWriter();
        var body = ClientBody(stream: false);

        await RelayAsync(gateway, body, writer, beta: "interleaved-thinking-2025-05-14,prompt-caching-2024-07-31");

        var sent = Assert.Single(upstream.Requests);
        Assert.Equal("/v1/messages", sent.Path);
        Assert.Equal(body.Replace("\"model\":\"claude\"", "\"model\":\"" + UpstreamModel + "\""), sent.BodyText);
        Assert.Equal(PlatformKey, sent.Headers["x-api-key"]);
        Assert.Equal("2023-06-01", sent.Headers["anthropic-version"]);
        Assert.Equal("interleaved-thinking-2025-05-14,prompt-caching-2024-07-31", sent.Headers["anthropic-beta"]);
        Assert.False(sent.Headers.ContainsKey("authorization"));
        Assert.False(writer.Started);
        Assert.Equal(Encoding.UTF8.GetBytes(MessageJson), writer.Body);

        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.True(row.Success);
        Assert.Equal((115, 7, 100, 5), (row.PromptTokens, row.CompletionTokens, row.CachedInputTokens, row.CacheWriteTokens));
        Assert.Equal("anthropic", row.TargetFormat);
        Assert.Equal(InboundProtocols.AnthropicMessages, row.Protocol);
    }

    [Fact]
    public async Task Stream_EveryEventRelayedWithItsName_UsageFromStartAndDelta()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(FakeResponse.SseRaw(StreamEvents));
        await using var gateway = Gateway(upstream);
        var writer = new RecordingFramedWriter();

        var result = await RelayAsync(gateway, ClientBody(stream: true), writer);

        Assert.True(writer.Started);
        Assert.Equal(string.Concat(StreamEvents), writer.Events);
        Assert.Equal((115, 7), (result.PromptTokens, result.CompletionTokens));
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.True(row.Success);
        Assert.NotNull(row.FirstByteTime);
        Assert.Equal((115, 7, 100, 5), (row.PromptTokens, row.CompletionTokens, row.CachedInputTokens, row.CacheWriteTokens));
    }

    [Fact]
    public async Task Stream_EndingWithoutMessageStop_IsAFailure()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(FakeResponse.SseRaw(StreamEvents[..^1]));
        await using var gateway = Gateway(upstream);
        var writer = new RecordingFramedWriter();

        var error = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ClientBody(stream: true), writer));

        Assert.Contains("message_stop", error.Message, StringComparison.Ordinal);
        Assert.Equal(string.Concat(StreamEvents[..^1]), writer.Events); // What arrived still reached the client.
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.False(row.Success);
        Assert.Contains("message_stop", row.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_ErrorEventBeforeTheFirstEvent_FailsOverAndBlamesThePlatform()
    {
        await using var first = await FakeUpstream.StartAsync();
        await using var second = await FakeUpstream.StartAsync();
        first.Enqueue(FakeResponse.SseRaw("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"));
        second.Enqueue(FakeResponse.SseRaw(StreamEvents));
        await using var gateway = Gateway(first, second);
        var writer = new RecordingFramedWriter();

        var result = await RelayAsync(gateway, ClientBody(stream: true), writer);

        Assert.Equal(2, result.PlatformId);
        Assert.Equal(string.Concat(StreamEvents), writer.Events);
        Assert.NotNull(gateway.GetHealth(ResourceKind.Platform, 1).NextAvailableAt);
        var failed = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery { Success = false }));
        Assert.Equal(529, failed.StatusCode);
        Assert.Contains("Overloaded", failed.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_ErrorEventMidway_EndsTheStreamWithoutRelayingIt()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Enqueue(FakeResponse.SseRaw(
            StreamEvents[0], StreamEvents[1],
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal error with " + PlatformKey + "\"}}\n\n"));
        await using var gateway = Gateway(upstream);
        var writer = new RecordingFramedWriter();

        var error = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ClientBody(stream: true), writer));

        Assert.Equal(StreamEvents[0] + StreamEvents[1], writer.Events);
        Assert.DoesNotContain(PlatformKey, error.Message, StringComparison.Ordinal);
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.DoesNotContain(PlatformKey, row.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidRequest400_IsTheClientsFault_NoFailover_UpstreamMessageScrubbed()
    {
        await using var first = await FakeUpstream.StartAsync();
        await using var second = await FakeUpstream.StartAsync();
        first.Enqueue(FakeResponse.Json(400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"messages.0: bad block; key " + PlatformKey + "\"}}"));
        await using var gateway = Gateway(first, second);

        var error = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ClientBody(stream: false), new RecordingFramedWriter()));

        Assert.Equal(PortalErrorCode.InvalidRequest, error.Code);
        Assert.Contains("messages.0: bad block", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(PlatformKey, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, second.RequestCount);
        Assert.Equal(0, gateway.GetHealth(ResourceKind.Platform, 1).ErrorCount);
        Assert.Equal(0, gateway.GetHealth(ResourceKind.ApiKey, 101).ErrorCount);
    }

    [Theory]
    [InlineData(401, "authentication_error", ResourceKind.ApiKey)]
    [InlineData(403, "permission_error", ResourceKind.ApiKey)]
    [InlineData(404, "not_found_error", ResourceKind.Model)]
    [InlineData(429, "rate_limit_error", ResourceKind.ApiKey)]
    [InlineData(529, "overloaded_error", ResourceKind.Platform)]
    [InlineData(500, "api_error", ResourceKind.Platform)]
    [InlineData(400, "invalid_request_error", ResourceKind.ApiKey)] // "credit balance is too low": the key's account, not the request.
    public async Task UpstreamErrors_BlameTheRightResource_AndFailOver(int status, string type, ResourceKind blamed)
    {
        await using var first = await FakeUpstream.StartAsync();
        await using var second = await FakeUpstream.StartAsync();
        var message = status == 400 ? "Your credit balance is too low to access the Anthropic API." : "nope";
        var response = FakeResponse.Json(status, "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"}}");
        first.Enqueue(status == 429 ? response.WithHeader("retry-after", "7") : response);
        second.Enqueue(FakeResponse.Json(200, MessageJson));
        await using var gateway = Gateway(first, second);

        var result = await RelayAsync(gateway, ClientBody(stream: false), new RecordingFramedWriter());

        Assert.Equal(2, result.PlatformId);
        var id = blamed switch { ResourceKind.Platform => 1, ResourceKind.Model => 10, _ => 101 };
        var health = gateway.GetHealth(blamed, id);
        Assert.Equal(1, health.ErrorCount);
        Assert.NotNull(health.NextAvailableAt);
        if (status == 429)
        {
            Assert.True(health.BackoffDuration >= TimeSpan.FromSeconds(7), $"backoff {health.BackoffDuration}");
        }
    }

    [Fact]
    public async Task Version_IsTheClients_ElseThePlatforms_ElseTheDefault_AndBaseUrlMayEndInV1()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200, MessageJson);
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "a", Format = "anthropic", BaseUrl = upstream.BaseUrl + "/v1/", ApiVersion = "2024-01-01" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = UpstreamModel, Alias = ClientModel });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = PlatformKey });
        repository.AddAnthropicChannel(2, upstream.BaseUrl, 20, UpstreamModel, "plain", PlatformKey);
        await using var gateway = CreateRelayGateway(repository);

        await RelayAsync(gateway, ClientBody(stream: false), new RecordingFramedWriter(), version: "2023-06-01");
        await RelayAsync(gateway, ClientBody(stream: false), new RecordingFramedWriter(), version: null);
        await RelayAsync(gateway, ClientBody(stream: false).Replace("\"claude\"", "\"plain\""), new RecordingFramedWriter(), version: null);

        var requests = upstream.Requests;
        Assert.All(requests, r => Assert.Equal("/v1/messages", r.Path));
        Assert.Equal(["2023-06-01", "2024-01-01", "2023-06-01"], requests.Select(r => r.Headers["anthropic-version"]));
        Assert.All(requests, r => Assert.False(r.Headers.ContainsKey("anthropic-beta")));
    }

    [Fact]
    public async Task Stream_NotStartingWithMessageStart_FailsOver()
    {
        await using var first = await FakeUpstream.StartAsync();
        await using var second = await FakeUpstream.StartAsync();
        first.Enqueue(FakeResponse.SseRaw(StreamEvents[1..]));
        second.Enqueue(FakeResponse.SseRaw(StreamEvents));
        await using var gateway = Gateway(first, second);
        var writer = new RecordingFramedWriter();

        var result = await RelayAsync(gateway, ClientBody(stream: true), writer);

        Assert.Equal(2, result.PlatformId);
        Assert.Equal(string.Concat(StreamEvents), writer.Events);
    }

    [Fact]
    public async Task Parse_RejectsWhatEveryPlatformWouldReject()
    {
        static string Error(string body) => Assert.Throws<PortalException>(() => MessagesRelayRequest.Parse(Encoding.UTF8.GetBytes(body))).Message;

        Assert.Equal("max_tokens: Field required.", Error("""{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal("max_tokens: must be a non-negative integer.", Error("""{"model":"m","max_tokens":-1,"messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal("messages: at least one message is required.", Error("""{"model":"m","max_tokens":5,"messages":[]}"""));
        Assert.Equal("model: Field required (a model name or alias).", Error("""{"max_tokens":5,"messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal("stream: must be true or false.", Error("""{"model":"m","max_tokens":5,"stream":"yes","messages":[{"role":"user","content":"x"}]}"""));
        var counted = MessagesRelayRequest.ParseTokenCount(Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"x"}]}"""));
        Assert.Equal("m", counted.Model);
        Assert.False(counted.Stream);
    }
}
