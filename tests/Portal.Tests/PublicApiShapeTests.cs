using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Contracts;
using Portal.Selection;

namespace Portal.Tests;

/// <summary>The public shapes the engine issue names as binding: code outside the repository compiles against them.</summary>
public sealed class PublicApiShapeTests
{
    [Fact]
    public async Task BindingShapes_CompileAndBehave()
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "p", Format = "openai", BaseUrl = "http://127.0.0.1:1", RateLimit = new RateLimit { Rpm = 10, Tpm = 1000 } });
        repository.Add(new Model { Id = 2, PlatformId = 1, Name = "upstream-name", Alias = "alias" });
        repository.Add(new ApiKey { Id = 3, PlatformId = 1, Value = "sk-shape-test-0123456789" });
        IPortalRepository port = repository;
        Assert.Single(await port.FindModelsByNameAsync("alias", CancellationToken.None));

        var options = new PortalOptions
        {
            Repository = repository,
            SelectorStrategy = SelectorStrategies.Lru,
            HealthSyncInterval = TimeSpan.FromMinutes(1),
            LoggerFactory = NullLoggerFactory.Instance,
            TimeProvider = TimeProvider.System,
            MaxAttempts = 3,
        };
        Func<PortalOptions, PortalGateway> create = PortalGateway.Create;
        await using var gateway = create(options);
        Func<ChatCompletionRequest, CancellationToken, Task<ChatCompletionResponse>> chat = gateway.ChatCompletionAsync;
        Func<ChatCompletionRequest, CancellationToken, IAsyncEnumerable<ChatCompletionChunk>> stream = gateway.StreamChatCompletionAsync;
        Func<StatsQuery, CancellationToken, Task<IReadOnlyList<RequestStat>>> query = gateway.QueryStatsAsync;
        Func<StatsQuery, CancellationToken, Task<StatsSummary>> count = gateway.CountStatsAsync;
        Func<ResourceKind, long, HealthState> health = gateway.GetHealth;
        Func<TimeSpan, Task> shutdown = gateway.ShutdownAsync;
        Assert.NotNull(chat);
        Assert.NotNull(stream);

        var request = new ChatCompletionRequest { Model = "alias", Messages = [new ChatMessage { Role = "user", Content = "hi" }], Stream = false };
        Assert.Equal("hi", request.Messages[0].Content?.Text);
        request.AdditionalProperties = new Dictionary<string, JsonElement> { ["x"] = JsonDocument.Parse("1").RootElement };

        var response = JsonSerializer.Deserialize(
            """{"id":"r","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"answer"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""",
            PortalJsonContext.Default.ChatCompletionResponse)!;
        string? content = response.Choices[0].Message.Content;
        string? finish = response.Choices[0].FinishReason;
        Assert.Equal("answer", content);
        Assert.Equal("stop", finish);
        Assert.Equal(3, response.Usage!.PromptTokens + response.Usage.CompletionTokens);
        Assert.Equal(3, response.Usage.TotalTokens);

        var chunk = JsonSerializer.Deserialize(
            """{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"par"},"finish_reason":null}]}""",
            PortalJsonContext.Default.ChatCompletionChunk)!;
        string? delta = chunk.Choices[0].Delta.Content;
        Assert.Equal("par", delta);

        Assert.Empty(await query(new StatsQuery { StartTime = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.MaxValue, ModelName = "alias", Success = true, PlatformId = 1, Limit = 10, Offset = 0 }, CancellationToken.None));
        var summary = await count(new StatsQuery(), CancellationToken.None);
        Assert.Equal(0L, summary.TotalRequests + summary.SuccessRequests);
        var state = health(ResourceKind.ApiKey, 3);
        Assert.Equal(HealthStatus.Unknown, state.Status);
        Assert.Equal((ResourceKind.ApiKey, 3L, 0, (DateTimeOffset?)null, TimeSpan.Zero, (string?)null, (int?)null, 0L, 0L),
            (state.ResourceKind, state.ResourceId, state.RetryCount, state.NextAvailableAt, state.BackoffDuration, state.LastError, state.LastErrorCode, state.SuccessCount, state.ErrorCount));

        await shutdown(TimeSpan.FromSeconds(1));
        var refused = await Assert.ThrowsAsync<PortalException>(() => gateway.ChatCompletionAsync(request));
        Assert.Equal(PortalErrorCode.ShuttingDown, refused.Code);
        Assert.Null(refused.StatusCode);
    }

    [Fact]
    public void RequestStat_HasTheBindingMembers()
    {
        var stat = new RequestStat
        {
            Id = "id",
            Timestamp = DateTimeOffset.UnixEpoch,
            IsStream = true,
            ModelName = "m",
            PlatformId = 1,
            ApiKeyId = 2,
            ModelId = 3,
            Duration = TimeSpan.FromSeconds(1),
            FirstByteTime = TimeSpan.FromMilliseconds(5),
            Success = false,
            ErrorMessage = "e",
            StatusCode = 500,
            PromptTokens = 1,
            CompletionTokens = 2,
        };
        Assert.Equal(stat, stat with { });
        Assert.Equal(
            [PortalErrorCode.ModelNotFound, PortalErrorCode.NoAvailableChannel, PortalErrorCode.UpstreamFailed, PortalErrorCode.InvalidRequest, PortalErrorCode.Timeout, PortalErrorCode.ShuttingDown, PortalErrorCode.InternalError],
            Enum.GetValues<PortalErrorCode>());
        Assert.Equal([HealthStatus.Unknown, HealthStatus.Available, HealthStatus.Warning, HealthStatus.Unavailable], Enum.GetValues<HealthStatus>());
        Assert.Equal([ResourceKind.Platform, ResourceKind.ApiKey, ResourceKind.Model], Enum.GetValues<ResourceKind>());
    }
}
