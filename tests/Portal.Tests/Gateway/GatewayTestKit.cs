using System.Text.Encodings.Web;
using System.Text.Json;
using Portal.Contracts;
using Portal.Health;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.Gateway;

/// <summary>Shared helpers for the gateway tests: a deterministic selector, gateway creation, calls and assertions.</summary>
internal static class GatewayTestKit
{
    /// <summary>Long enough for any local request, short enough to end a broken test quickly.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Creates a gateway that always picks the first usable channel (lowest model id, then key id), so failover order is known.</summary>
    public static PortalGateway CreateGateway(
        InMemoryPortalRepository repository,
        int maxAttempts = 3,
        TimeSpan? attemptTimeout = null,
        TimeSpan? requestTimeout = null,
        BackoffOptions? backoff = null) =>
        PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            MaxAttempts = maxAttempts,
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(30),
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30),
            Backoff = backoff ?? new BackoffOptions(),
            SelectorStrategy = FirstChannelSelector.StrategyName,
            Selectors = [new FirstChannelSelector()],
        });

    /// <summary>A successful upstream answer carrying <paramref name="text"/>, streamed or not.</summary>
    public static FakeResponse Ok(bool stream, string text) =>
        stream ? FakeResponse.Stream(text) : FakeResponse.ChatCompletion(text);

    /// <summary>Sends <paramref name="request"/> streamed or not and returns the answer's text.</summary>
    public static async Task<string> SendAsync(PortalGateway gateway, ChatCompletionRequest request, bool stream, CancellationToken cancellationToken = default)
    {
        if (stream)
        {
            var chunks = await gateway.StreamChatCompletionAsync(request, cancellationToken).ToListAsync(cancellationToken);
            return string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content));
        }

        var response = await gateway.ChatCompletionAsync(request, cancellationToken);
        return response.Choices[0].Message!.Content!.Text!;
    }

    /// <summary>Sends a request for <paramref name="model"/> and asserts it fails with a <see cref="PortalException"/> of <paramref name="code"/>.</summary>
    public static Task<PortalException> SendFailingAsync(PortalGateway gateway, string model, bool stream, PortalErrorCode code) =>
        SendFailingAsync(gateway, RepositorySeed.Chat(model), stream, code);

    public static async Task<PortalException> SendFailingAsync(PortalGateway gateway, ChatCompletionRequest request, bool stream, PortalErrorCode code)
    {
        var exception = await Assert.ThrowsAsync<PortalException>(() => SendAsync(gateway, request, stream));
        Assert.Equal(code, exception.Code);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
        return exception;
    }

    /// <summary>Asserts the resource is backing off after exactly one failure with <paramref name="statusCode"/>.</summary>
    public static HealthState AssertBlamed(PortalGateway gateway, ResourceKind kind, long id, int? statusCode, DateTimeOffset before, bool checkStatusCode = true)
    {
        var health = gateway.GetHealth(kind, id);
        Assert.True(health.Status == HealthStatus.Warning, $"{kind} {id} should be blamed (Warning) but is {health.Status}.");
        Assert.Equal(1, health.RetryCount);
        Assert.Equal(1, health.ErrorCount);
        Assert.NotNull(health.NextAvailableAt);
        Assert.True(health.NextAvailableAt > before, $"{kind} {id} NextAvailableAt {health.NextAvailableAt:O} is not after {before:O}.");
        Assert.True(health.BackoffDuration > TimeSpan.Zero);
        Assert.False(string.IsNullOrWhiteSpace(health.LastError));
        if (checkStatusCode)
        {
            Assert.Equal(statusCode, health.LastErrorCode);
        }

        return health;
    }

    /// <summary>Asserts the resource took no blame: never failed (Unknown, or Available after a success).</summary>
    public static void AssertNotBlamed(PortalGateway gateway, ResourceKind kind, long id)
    {
        var health = gateway.GetHealth(kind, id);
        Assert.True(
            health.Status is HealthStatus.Unknown or HealthStatus.Available,
            $"{kind} {id} should not be blamed but is {health.Status} ({health.LastErrorCode}: {health.LastError}).");
        Assert.Equal(0, health.ErrorCount);
        Assert.Null(health.NextAvailableAt);
    }

    /// <summary>Asserts the resource is untouched: <see cref="HealthStatus.Unknown"/>.</summary>
    public static void AssertUnknown(PortalGateway gateway, ResourceKind kind, long id)
    {
        var health = gateway.GetHealth(kind, id);
        Assert.True(health.Status == HealthStatus.Unknown, $"{kind} {id} should be Unknown but is {health.Status} ({health.LastErrorCode}: {health.LastError}).");
        Assert.Equal(0, health.ErrorCount);
    }

    /// <summary>Asserts one failed stat row of the given channel.</summary>
    public static RequestStat AssertFailedRow(IReadOnlyList<RequestStat> rows, long platformId, long keyId, int? statusCode, bool stream, bool checkStatusCode = true)
    {
        var row = Assert.Single(rows, r => r.PlatformId == platformId && r.ApiKeyId == keyId && !r.Success);
        Assert.Equal(stream, row.IsStream);
        Assert.False(string.IsNullOrWhiteSpace(row.ErrorMessage));
        if (checkStatusCode)
        {
            Assert.Equal(statusCode, row.StatusCode);
        }

        return row;
    }

    /// <summary>Asserts one successful stat row of the given channel.</summary>
    public static RequestStat AssertSuccessRow(IReadOnlyList<RequestStat> rows, long platformId, long keyId, bool stream)
    {
        var row = Assert.Single(rows, r => r.PlatformId == platformId && r.ApiKeyId == keyId && r.Success);
        Assert.Equal(stream, row.IsStream);
        Assert.Equal(200, row.StatusCode);
        Assert.Null(row.ErrorMessage);
        return row;
    }

    /// <summary>One OpenAI chunk event, <c>data: {...}</c> followed by a blank line, with the given line ending.</summary>
    public static string SseChunk(string? content, string? finishReason = null, string lineEnd = "\n")
    {
        var delta = content is null ? "{}" : "{\"content\":" + JsonSerializer.Serialize(content, RelaxedJson) + "}";
        var finish = finishReason is null ? "null" : JsonSerializer.Serialize(finishReason);
        return "data: {\"id\":\"chatcmpl-raw\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"raw-model\","
            + "\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]}" + lineEnd + lineEnd;
    }

    /// <summary>The <c>data: [DONE]</c> event.</summary>
    public static string SseDone(string lineEnd = "\n") => "data: [DONE]" + lineEnd + lineEnd;

    /// <summary>Always picks the first candidate, so tests know which channel is tried first.</summary>
    internal sealed class FirstChannelSelector : IChannelSelector
    {
        public const string StrategyName = "first";

        public string Name => StrategyName;

        public int Select(ReadOnlySpan<Channel> candidates) => 0;
    }
}
