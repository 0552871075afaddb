using System.Text;
using System.Text.Json;
using Portal.Providers;
using Portal.Relay;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Relay;

/// <summary>Shared helpers for the relay tests: gateways that pick the first usable channel, request bodies, relaying and assertions.</summary>
internal static class RelayTestKit
{
    /// <summary>The model of the mock platform's channels.</summary>
    public const string MockModel = "mock-model";

    /// <summary>A usage-only chunk (no choices) of 11 prompt and 13 completion tokens, as OpenAI sends it last when asked.</summary>
    public const string UsageOnlyData = """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":13,"total_tokens":24}}""";

    /// <summary>Creates a gateway that always tries the first usable channel, so failover order is known.</summary>
    public static PortalGateway CreateRelayGateway(InMemoryPortalRepository repository, bool requestStreamUsage = true, int maxAttempts = 3) =>
        PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            MaxAttempts = maxAttempts,
            AttemptTimeout = TimeSpan.FromSeconds(30),
            RequestTimeout = TimeSpan.FromSeconds(30),
            RequestStreamUsage = requestStreamUsage,
            SelectorStrategy = FirstChannelSelector.StrategyName,
            Selectors = [new FirstChannelSelector()],
        });

    /// <summary>A minimal chat body for <paramref name="model"/>, with <c>"stream":true</c> when <paramref name="stream"/>.</summary>
    public static string ChatBody(bool stream, string model = Alias, string text = "Hello") =>
        "{\"model\":" + JsonSerializer.Serialize(model) + (stream ? ",\"stream\":true" : "")
        + ",\"messages\":[{\"role\":\"user\",\"content\":" + JsonSerializer.Serialize(text) + "}]}";

    /// <summary>Parses <paramref name="body"/> and relays it.</summary>
    public static Task<ChatRelayResult> RelayAsync(PortalGateway gateway, string body, IChatRelayWriter writer, CancellationToken cancellationToken = default) =>
        RelayAsync(gateway, Encoding.UTF8.GetBytes(body), writer, cancellationToken);

    public static Task<ChatRelayResult> RelayAsync(PortalGateway gateway, byte[] body, IChatRelayWriter writer, CancellationToken cancellationToken = default) =>
        gateway.RelayChatCompletionAsync(ChatRelayRequest.Parse(body), writer, cancellationToken);

    /// <summary>One SSE event carrying <paramref name="data"/>.</summary>
    public static string Sse(string data) => "data: " + data + "\n\n";

    /// <summary>The data of one server-sent event (<c>data: …</c> without the prefix and the line breaks).</summary>
    public static string DataOf(string sseEvent) => sseEvent["data: ".Length..].TrimEnd('\n', '\r');

    /// <summary>Adds a platform of the built-in mock format with one model and one key (key id <c>platformId * 100 + 1</c>).</summary>
    public static void AddMockChannel(this InMemoryPortalRepository repository, long platformId, long modelId, string modelName = MockModel, string? alias = Alias)
    {
        repository.Add(new Platform { Id = platformId, Name = $"mock-{platformId}", Format = PlatformFormats.Mock, BaseUrl = "mock://local" });
        repository.Add(new Model { Id = modelId, PlatformId = platformId, Name = modelName, Alias = alias });
        repository.Add(new ApiKey { Id = (platformId * 100) + 1, PlatformId = platformId, Value = $"sk-mock-{platformId}-0123456789abcdef" });
    }

    /// <summary>Asserts the writer was started exactly once, with <paramref name="stream"/>, before anything was written.</summary>
    public static void AssertStartedOnce(RecordingRelayWriter writer, bool stream)
    {
        Assert.Equal([stream], writer.Starts);
        Assert.Equal("start:" + stream, writer.Calls[0]);
        if (stream)
        {
            Assert.Empty(writer.Bodies);
        }
        else
        {
            Assert.Empty(writer.Events);
        }
    }

    /// <summary>Asserts a complete response: one body, or events ending with exactly one <c>[DONE]</c>.</summary>
    public static void AssertComplete(RecordingRelayWriter writer, bool stream)
    {
        AssertStartedOnce(writer, stream);
        if (stream)
        {
            var events = writer.EventTexts;
            Assert.Equal("[DONE]", events[^1]);
            Assert.Single(events, e => e == "[DONE]");
        }
        else
        {
            Assert.Single(writer.Bodies);
        }
    }
}
