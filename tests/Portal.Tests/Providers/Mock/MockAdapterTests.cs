using Microsoft.Extensions.Time.Testing;
using Portal.Contracts;
using Portal.Health;
using Portal.Providers;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Providers.Mock;

/// <summary>The built-in <c>mock</c> format, driven through a real gateway: platform 1, model 10 (alias <c>gpt</c>), key 101.</summary>
public sealed class MockAdapterTests
{
    private const string Question = "What is the capital of France and why is it famous?";

    private static InMemoryPortalRepository MockRepository(string baseUrl = "mock://local", string modelName = "mock-model")
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "mock", Format = PlatformFormats.Mock, BaseUrl = baseUrl });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = modelName, Alias = Alias });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-mock-0123456789abcdef" });
        return repository;
    }

    // No shutdown timeout: it runs on the fake clock, so a call a failed test leaves waiting would hold disposal for ever.
    private static PortalGateway CreateFakeTimeGateway(InMemoryPortalRepository repository, FakeTimeProvider time) =>
        PortalGateway.Create(new PortalOptions { Repository = repository, TimeProvider = time, ShutdownTimeout = TimeSpan.Zero });

    [Fact]
    public async Task ChatCompletion_SameRequest_AnswersDeterministicallyWithUsageAndStatRow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        await using var gateway = CreateFakeTimeGateway(MockRepository(), time);
        var request = RepositorySeed.Chat(Alias, Question);

        var first = await gateway.ChatCompletionAsync(request);
        var second = await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias, Question));

        var text = first.Choices[0].Message.Content!.Text;
        Assert.Equal("This is a mock response from mock-model to: What is the capital of France and why is it famous?", text);
        Assert.Equal("assistant", first.Choices[0].Message.Role);
        Assert.Equal("stop", first.Choices[0].FinishReason);
        Assert.StartsWith("chatcmpl-mock-", first.Id, StringComparison.Ordinal);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(text, second.Choices[0].Message.Content!.Text);
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), first.Created);
        Assert.NotNull(first.Usage);
        Assert.Equal(11, first.Usage.PromptTokens);
        Assert.Equal(text!.Split(' ').Length, first.Usage.CompletionTokens);
        Assert.Equal(first.Usage.PromptTokens + first.Usage.CompletionTokens, first.Usage.TotalTokens);

        var other = await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias, "Something else"));
        Assert.NotEqual(first.Id, other.Id);
        Assert.EndsWith("to: Something else", other.Choices[0].Message.Content!.Text, StringComparison.Ordinal);

        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(3, rows.Count);
        var row = rows.First(r => r.PromptTokens == 11);
        Assert.True(row.Success);
        Assert.Equal(1, row.PlatformId);
        Assert.Equal(101, row.ApiKeyId);
        Assert.False(row.IsStream);
        Assert.Equal(first.Usage.CompletionTokens, row.CompletionTokens);
    }

    [Fact]
    public async Task ChatCompletion_LongQuestion_QuotesFirstSixtyCharacters()
    {
        await using var gateway = CreateGateway(MockRepository());
        var question = new string('x', 100);

        var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias, question));

        Assert.EndsWith("to: " + new string('x', 60), response.Choices[0].Message.Content!.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StreamChatCompletion_ChunksConcatenateToTheNonStreamedText(bool includeUsage)
    {
        await using var gateway = CreateGateway(MockRepository());
        var expected = (await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias, Question))).Choices[0].Message.Content!.Text;
        var request = RepositorySeed.Chat(Alias, Question);
        request.StreamOptions = includeUsage ? new StreamOptions { IncludeUsage = true } : null;

        var chunks = await gateway.StreamChatCompletionAsync(request).ToListAsync();

        var choices = chunks.SelectMany(c => c.Choices).ToList();
        Assert.Equal(expected, string.Concat(choices.Select(c => c.Delta.Content)));
        Assert.Equal("assistant", choices[0].Delta.Role);
        Assert.All(choices.Skip(1), c => Assert.Null(c.Delta.Role));
        Assert.Equal(expected!.Split(' ').Length, choices.Count(c => c.Delta.Content is not null));
        Assert.Equal("stop", choices[^1].FinishReason);
        Assert.Single(choices, c => c.FinishReason is not null);
        Assert.Single(chunks.Select(c => c.Id).Distinct());
        Assert.StartsWith("chatcmpl-mock-", chunks[0].Id, StringComparison.Ordinal);
        var usageChunk = chunks.SingleOrDefault(c => c.Usage is not null);
        if (includeUsage)
        {
            Assert.NotNull(usageChunk);
            Assert.Empty(usageChunk.Choices);
            Assert.Equal(11, usageChunk.Usage!.PromptTokens);
        }
        else
        {
            Assert.Null(usageChunk);
        }

        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        var row = Assert.Single(rows, r => r.IsStream);
        Assert.True(row.Success);
        Assert.Equal(11, row.PromptTokens);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Latency_CallDoesNotCompleteUntilTimeIsAdvanced(bool stream)
    {
        var time = new TimerTrackingTimeProvider();
        var latency = TimeSpan.FromMilliseconds(200);
        await using var gateway = CreateFakeTimeGateway(MockRepository("mock://local?latency=200ms&tokensPerSecond=50"), time);

        var call = SendAsync(gateway, RepositorySeed.Chat(Alias, Question), stream);

        // The call has reached the mock's delay, a one-shot timer on the fake clock (the gateway's own one-shot timers,
        // the request and attempt timeouts, run for minutes): until the clock moves, nothing can end that wait.
        var delay = await time.WaitForTimerAsync(t => t.Period == Timeout.InfiniteTimeSpan && t.DueTime >= latency && t.DueTime < TimeSpan.FromMinutes(1)).WaitAsync(Wait);
        Assert.False(call.IsCompleted);

        // Every later wait of the mock (one per streamed word, each shorter) starts a timer of its own: move the clock
        // past the wait whenever one starts.
        while (!call.IsCompleted)
        {
            var nextTimer = time.WaitForTimersAsync(time.TimersCreated + 1);
            time.Advance(delay.DueTime);
            await Task.WhenAny(call, nextTimer).WaitAsync(Wait);
        }

        Assert.StartsWith("This is a mock response from mock-model to: ", await call, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Latency_CallerCancels_StopsWaiting()
    {
        var time = new FakeTimeProvider();
        await using var gateway = CreateFakeTimeGateway(MockRepository("mock://local?latency=10s"), time);
        using var cancellation = new CancellationTokenSource();

        var call = gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias, Question), cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Wait));
    }

    [Theory]
    [InlineData("mock://local?latency=soon", "latency")]
    [InlineData("mock://local?latency=-5ms", "latency")]
    [InlineData("mock://local?tokensPerSecond=fast", "tokensPerSecond")]
    [InlineData("mock://local?delay=5ms", "delay")]
    public async Task InvalidSetting_FailsWithMessageNamingTheSetting(string baseUrl, string setting)
    {
        await using var gateway = CreateGateway(MockRepository(baseUrl), maxAttempts: 1);

        var exception = await SendFailingAsync(gateway, Alias, stream: false, PortalErrorCode.UpstreamFailed);

        Assert.Contains(setting, exception.Message, StringComparison.Ordinal);
        Assert.Contains("Mock", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpBaseUrl_IsAcceptedAndIgnored()
    {
        await using var gateway = CreateGateway(MockRepository("http://127.0.0.1:1/anything"));

        var text = await SendAsync(gateway, RepositorySeed.Chat(Alias, "hi"), stream: false);

        Assert.Equal("This is a mock response from mock-model to: hi", text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ErrorModel429_BlamesKeyAndFailsWith429(bool stream)
    {
        await using var gateway = CreateGateway(MockRepository(modelName: "mock-error-429"));
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);

        Assert.Equal(429, exception.StatusCode);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.ApiKey, 429, before, stream);
    }
}
