using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Portal.Contracts;
using Portal.Health;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.Concurrency;

public sealed class ConcurrencyTests
{
    private const int KeyCount = 10;
    private const int Burst = 1_000;
    private const int FollowUp = 200;
    private const int FailingKeyIndex = 3; // 0-based; its id is 104 (RepositorySeed: platformId * 100 + i + 1)
    private const long FailingKeyId = 104;

    [Theory]
    [InlineData(SelectorStrategies.Random)]
    [InlineData(SelectorStrategies.Lru)]
    public async Task Chat_ThousandParallelRequestsWithOneRejectedKey_AllSucceedAndRejectedKeyIsShunnedWhileBackingOff(string strategy)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var keys = Enumerable.Range(1, KeyCount).Select(i => $"sk-concurrency-key{i:D2}-0123456789abcdef").ToArray();
        var failingAuthorization = "Bearer " + keys[FailingKeyIndex];
        upstream.Handler = request => Authorization(request) == failingAuthorization
            ? FakeResponse.Error(401, "Incorrect API key provided.", code: "invalid_api_key")
            : IsStream(request) ? FakeResponse.Stream("Hel", "lo") : FakeResponse.ChatCompletion("Hello");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt", keys);
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            SelectorStrategy = strategy,
            Backoff = new BackoffOptions { InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromHours(1) },
        });

        // The burst: every request runs at once, half of them streaming.
        var errors = new ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, Burst).Select(i => Task.Run(() => RunAsync(gateway, stream: i % 2 == 1, errors))));

        Assert.Empty(errors);
        var burstRequests = upstream.Requests;
        var failingUsesInBurst = burstRequests.Count(r => Authorization(r) == failingAuthorization);
        Assert.InRange(failingUsesInBurst, 1, Burst);

        // Every client request made exactly one successful attempt, plus one failed attempt each time it hit the bad key.
        Assert.Equal(Burst + failingUsesInBurst, burstRequests.Count);
        var summary = await gateway.CountStatsAsync(new StatsQuery());
        Assert.Equal((upstream.RequestCount, Burst), (summary.TotalAttempts, summary.SuccessAttempts));
        Assert.Equal((Burst, Burst), (summary.TotalRequests, summary.SuccessRequests)); // each request once, served after any failover
        Assert.Equal(failingUsesInBurst, (await gateway.CountStatsAsync(new StatsQuery { ApiKeyId = FailingKeyId })).TotalAttempts);
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.ApiKey, FailingKeyId).Status);
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.Platform, 1).Status);

        // While the key backs off it is never chosen again.
        for (var i = 0; i < FollowUp; i++)
        {
            await RunAsync(gateway, stream: i % 2 == 1, errors);
        }

        Assert.Empty(errors);
        Assert.Equal(0, upstream.Requests.Skip(burstRequests.Count).Count(r => Authorization(r) == failingAuthorization));
        Assert.Equal(burstRequests.Count + FollowUp, upstream.RequestCount);
        Assert.Equal(upstream.RequestCount, (await gateway.CountStatsAsync(new StatsQuery())).TotalAttempts);
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.ApiKey, FailingKeyId).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_LruWithFakeTime_CyclesKeysSkipsFailedKeyAndReturnsToItAfterBackoff(bool stream)
    {
        var backoff = TimeSpan.FromSeconds(30);
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var upstream = await FakeUpstream.StartAsync();
        var keys = new[] { "sk-lru-key1-0123456789abcdef", "sk-lru-key2-0123456789abcdef", "sk-lru-key3-0123456789abcdef" };
        var failKey2Once = 0;
        upstream.Handler = request =>
            KeyNumber(request, keys) == 2 && Interlocked.Exchange(ref failKey2Once, 0) == 1
                ? FakeResponse.Error(401, "Incorrect API key provided.", code: "invalid_api_key")
                : IsStream(request) ? FakeResponse.Stream("Hel", "lo") : FakeResponse.ChatCompletion("Hello");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt", keys);
        await using var gateway = PortalGateway.Create(LruOptions(repository, time, backoff));

        for (var i = 0; i < 6; i++)
        {
            await SendAsync(gateway, stream);
        }

        Assert.Equal([1, 2, 3, 1, 2, 3], upstream.Requests.Select(r => KeyNumber(r, keys)));

        Volatile.Write(ref failKey2Once, 1);
        await SendAsync(gateway, stream); // key 1
        await SendAsync(gateway, stream); // key 2 fails (401), fails over to key 3, the least recently used of the rest
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.ApiKey, 102).Status);
        await SendAsync(gateway, stream); // key 1
        await SendAsync(gateway, stream); // key 3
        await SendAsync(gateway, stream); // key 1
        Assert.Equal([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 3, 1], upstream.Requests.Select(r => KeyNumber(r, keys)));

        time.Advance(backoff);
        await SendAsync(gateway, stream); // key 2: usable again and the least recently used
        await SendAsync(gateway, stream); // key 3
        await SendAsync(gateway, stream); // key 1

        Assert.Equal([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 3, 1, 2, 3, 1], upstream.Requests.Select(r => KeyNumber(r, keys)));
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.ApiKey, 102).Status);
    }

    // A channel that is chosen because it is the only usable one is still "used": LRU must remember it.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_LruOnlyOneUsableChannel_StillCountsAsUsedForLeastRecentlyUsedOrder(bool stream)
    {
        var backoff = TimeSpan.FromSeconds(30);
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var upstream = await FakeUpstream.StartAsync();
        var keys = new[] { "sk-lru-key1-0123456789abcdef", "sk-lru-key2-0123456789abcdef" };
        var failKey1Once = 0;
        upstream.Handler = request =>
            KeyNumber(request, keys) == 1 && Interlocked.Exchange(ref failKey1Once, 0) == 1
                ? FakeResponse.Error(401, "Incorrect API key provided.", code: "invalid_api_key")
                : IsStream(request) ? FakeResponse.Stream("Hel", "lo") : FakeResponse.ChatCompletion("Hello");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt", keys);
        await using var gateway = PortalGateway.Create(LruOptions(repository, time, backoff));

        await SendAsync(gateway, stream); // key 1
        await SendAsync(gateway, stream); // key 2
        Volatile.Write(ref failKey1Once, 1);
        await SendAsync(gateway, stream); // key 1 fails, fails over to key 2 (the only one left)
        await SendAsync(gateway, stream); // key 2 (key 1 backs off)
        await SendAsync(gateway, stream); // key 2
        time.Advance(backoff);
        await SendAsync(gateway, stream); // key 1: used longest ago (key 2 served the last three requests)

        Assert.Equal([1, 2, 1, 2, 2, 2, 1], upstream.Requests.Select(r => KeyNumber(r, keys)));
    }

    private static PortalOptions LruOptions(InMemoryPortalRepository repository, FakeTimeProvider time, TimeSpan backoff) => new()
    {
        Repository = repository,
        TimeProvider = time,
        SelectorStrategy = SelectorStrategies.Lru,
        RequestTimeout = Timeout.InfiniteTimeSpan,
        AttemptTimeout = Timeout.InfiniteTimeSpan,
        HealthSyncInterval = TimeSpan.FromHours(1),
        // No jitter: the tests advance the clock by exactly the backoff.
        Backoff = new BackoffOptions { InitialDelay = backoff, MaxDelay = TimeSpan.FromMinutes(10), Jitter = 0 },
    };

    private static async Task RunAsync(PortalGateway gateway, bool stream, ConcurrentBag<string> errors)
    {
        try
        {
            var text = await SendAsync(gateway, stream);
            if (text != "Hello")
            {
                errors.Add($"unexpected answer '{text}' (stream={stream})");
            }
        }
        catch (Exception ex)
        {
            errors.Add($"{ex.GetType().Name} (stream={stream}): {ex.Message}");
        }
    }

    private static async Task<string> SendAsync(PortalGateway gateway, bool stream)
    {
        if (stream)
        {
            var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat("gpt")).ToListAsync();
            return string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content));
        }

        ChatCompletionResponse response = await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
        return response.Choices[0].Message!.Content!.Text!;
    }

    private static string? Authorization(FakeRequest request) =>
        request.Headers.TryGetValue("Authorization", out var value) ? value : null;

    private static int KeyNumber(FakeRequest request, string[] keys) =>
        Array.IndexOf(keys, Authorization(request)?.Replace("Bearer ", "", StringComparison.Ordinal)) + 1;

    private static bool IsStream(FakeRequest request) =>
        request.BodyJson.TryGetProperty("stream", out var stream) && stream.ValueKind == System.Text.Json.JsonValueKind.True;
}
