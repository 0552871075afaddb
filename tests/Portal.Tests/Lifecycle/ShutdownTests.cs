using Portal.Health;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.Lifecycle;

public sealed class ShutdownTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly string[] Deltas = ["a", "b", "c", "d", "e"];

    [Fact]
    public async Task ShutdownAsync_StreamsInFlight_FinishWithEveryChunk()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream(Deltas).WithDelayBetweenWrites(TimeSpan.FromMilliseconds(100));
        var repository = Seed(upstream);
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });

        var readers = Enumerable.Range(0, 3).Select(_ => new StreamReader(gateway)).ToArray();
        await Task.WhenAll(readers.Select(r => r.FirstChunk.WaitAsync(Wait)));
        Assert.Equal(3, gateway.InFlightRequests);

        var shutdown = gateway.ShutdownAsync(TimeSpan.FromSeconds(5));

        Assert.True(gateway.IsShuttingDown);
        Assert.False(shutdown.IsCompleted); // The streams are still running.
        foreach (var reader in readers)
        {
            Assert.Equal("abcde", await reader.Completion.WaitAsync(Wait));
        }

        await shutdown.WaitAsync(Wait);
        Assert.Equal(0, gateway.InFlightRequests);
        var stats = await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None);
        Assert.Equal(3, stats.Count);
        Assert.All(stats, s => Assert.True(s.Success));
        Assert.All(upstream.Requests, r => Assert.False(r.ClientAborted));
    }

    [Fact]
    public async Task ShutdownAsync_MixedRequestsInFlight_SavesEveryStatAndChangedHealthToRepository()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        const string rejected = "sk-shutdown-rejected-0123456789abcdef";
        const string accepted = "sk-shutdown-accepted-0123456789abcdef";
        upstream.Handler = request =>
        {
            if (request.Headers.TryGetValue("Authorization", out var auth) && auth == "Bearer " + rejected)
            {
                return FakeResponse.Error(401, "Incorrect API key provided.", code: "invalid_api_key");
            }

            var text = request.BodyJson.GetProperty("messages")[0].GetProperty("content").GetString();
            return text switch
            {
                "hang" => FakeResponse.Hang(),
                "slow" => FakeResponse.Stream(Deltas).WithDelayBetweenWrites(TimeSpan.FromMilliseconds(50)),
                _ => FakeResponse.ChatCompletion("Hello"),
            };
        };
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt", rejected, accepted);
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            SelectorStrategy = SelectorStrategies.Lru, // Never-used channels first, in key order: the rejected key is tried first.
            Backoff = new BackoffOptions { InitialDelay = TimeSpan.FromMinutes(10), MaxDelay = TimeSpan.FromHours(1) },
        });

        for (var i = 0; i < 3; i++)
        {
            await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
        }

        var slow = gateway.StreamChatCompletionAsync(RepositorySeed.Chat("gpt", "slow")).ToListAsync();
        var hanging = gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt", "hang"));
        await upstream.WaitForRequestsAsync(6, Wait); // 401 + 3 answers + the stream + the hang
        Assert.Empty(await repository.GetAllHealthAsync(CancellationToken.None)); // Nothing synced yet (interval: 1 minute).

        // The slow stream needs about 0.3 s; the timeout leaves it a wide margin on a loaded CI machine (1 s was not
        // always enough there), and the hanging request is cancelled when it runs out.
        await gateway.ShutdownAsync(TimeSpan.FromSeconds(5)).WaitAsync(Wait);

        Assert.Equal("abcde", string.Concat((await slow).SelectMany(c => c.Choices).Select(c => c.Delta?.Content)));
        Assert.Equal(PortalErrorCode.ShuttingDown, (await Assert.ThrowsAsync<PortalException>(() => hanging)).Code);
        var stats = await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 1_000 }, CancellationToken.None);
        Assert.Equal(upstream.RequestCount, stats.Count);
        Assert.Equal(6, stats.Count);
        Assert.Equal(4, stats.Count(s => s.Success)); // 3 answers + the stream
        Assert.Single(stats, s => s.ApiKeyId == 101 && s.StatusCode == 401);

        var health = await repository.GetAllHealthAsync(CancellationToken.None);
        var rejectedHealth = Assert.Single(health, h => h.ResourceKind == ResourceKind.ApiKey && h.ResourceId == 101);
        Assert.Equal(HealthStatus.Warning, rejectedHealth.Status);
        Assert.Equal(401, rejectedHealth.LastErrorCode);
        var acceptedHealth = Assert.Single(health, h => h.ResourceKind == ResourceKind.ApiKey && h.ResourceId == 102);
        Assert.Equal(HealthStatus.Available, acceptedHealth.Status);
        Assert.Equal(4, acceptedHealth.SuccessCount);
        Assert.Contains(health, h => h.ResourceKind == ResourceKind.Platform && h.ResourceId == 1 && h.Status == HealthStatus.Available);
    }

    [Fact]
    public async Task ShutdownAsync_CalledTwiceThenDisposedTwice_IsHarmless()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = Seed(upstream);
        var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });
        await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));

        var first = gateway.ShutdownAsync(TimeSpan.FromSeconds(1));
        var second = gateway.ShutdownAsync(TimeSpan.FromSeconds(1));
        await first.WaitAsync(Wait);
        await second.WaitAsync(Wait);
        await gateway.ShutdownAsync(TimeSpan.FromSeconds(1)).WaitAsync(Wait);
        await gateway.DisposeAsync().AsTask().WaitAsync(Wait);
        await gateway.DisposeAsync().AsTask().WaitAsync(Wait);

        Assert.Same(first, second);
        Assert.True(gateway.IsShuttingDown);
        var error = await Assert.ThrowsAsync<PortalException>(() => gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt")));
        Assert.Equal(PortalErrorCode.ShuttingDown, error.Code);
        Assert.Single(await repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None));
    }

    [Fact]
    public async Task QueryAndCountStats_StatsStillQueued_SeeEveryFinishedRequestWithoutExplicitFlush()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request => request.BodyJson.TryGetProperty("stream", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.True
            ? FakeResponse.Stream("Hel", "lo")
            : FakeResponse.ChatCompletion("Hello");
        var inner = Seed(upstream);
        var repository = new GatedStatsRepository(inner);
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });
        using var openAtEnd = repository; // Opens the gate even when an assertion fails, so disposal does not wait.
        for (var i = 0; i < 5; i++)
        {
            await SendAsync(gateway, stream: i % 2 == 1);
        }

        // The writer is held at the gate: nothing has reached storage yet.
        Assert.Equal(0, (await inner.CountRequestStatsAsync(new StatsQuery(), CancellationToken.None)).TotalRequests);
        var count = gateway.CountStatsAsync(new StatsQuery());
        var query = gateway.QueryStatsAsync(new StatsQuery());
        Assert.False(count.IsCompleted); // The gate holds the queued stats, so neither can have its answer yet.
        Assert.False(query.IsCompleted);
        repository.Open();

        Assert.Equal(5, (await count.WaitAsync(Wait)).TotalRequests);
        Assert.Equal(5, (await query.WaitAsync(Wait)).Count);
        Assert.Equal(0, repository.ReadsBeforeOpen); // They waited for the queued stats rather than answering from storage.
        Assert.Equal(3, (await gateway.CountStatsAsync(new StatsQuery { IsStream = false })).TotalRequests);
    }

    private static InMemoryPortalRepository Seed(FakeUpstream upstream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt");
        return repository;
    }

    private static async Task SendAsync(PortalGateway gateway, bool stream)
    {
        if (stream)
        {
            await gateway.StreamChatCompletionAsync(RepositorySeed.Chat("gpt")).ToListAsync();
        }
        else
        {
            await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt"));
        }
    }

    /// <summary>Reads a stream in the background, signalling its first chunk.</summary>
    private sealed class StreamReader
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public StreamReader(PortalGateway gateway) => Completion = ReadAsync(gateway);

        public Task FirstChunk => _first.Task;

        public Task<string> Completion { get; }

        private async Task<string> ReadAsync(PortalGateway gateway)
        {
            try
            {
                var text = new System.Text.StringBuilder();
                await foreach (var chunk in gateway.StreamChatCompletionAsync(RepositorySeed.Chat("gpt")))
                {
                    text.Append(string.Concat(chunk.Choices.Select(c => c.Delta?.Content)));
                    _first.TrySetResult();
                }

                return text.ToString();
            }
            catch (Exception ex)
            {
                _first.TrySetException(ex);
                throw;
            }
        }
    }

    /// <summary>Holds every stats write until <see cref="Open"/> is called, and counts the stats reads made before that.</summary>
    private sealed class GatedStatsRepository(IPortalRepository inner) : IPortalRepository, IDisposable
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _readsBeforeOpen;

        /// <summary>How many stats queries and counts reached this repository while the gate was closed.</summary>
        public int ReadsBeforeOpen => Volatile.Read(ref _readsBeforeOpen);

        public void Open() => _gate.TrySetResult();

        public void Dispose() => Open();

        public async Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
        {
            await _gate.Task.WaitAsync(cancellationToken);
            await inner.SaveRequestStatsAsync(stats, cancellationToken);
        }

        public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken) => inner.FindModelsByNameAsync(name, cancellationToken);

        public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) => inner.GetPlatformAsync(platformId, cancellationToken);

        public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) => inner.GetApiKeysAsync(platformId, cancellationToken);

        public Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken) => inner.GetAllHealthAsync(cancellationToken);

        public Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken) => inner.SaveHealthAsync(states, cancellationToken);

        public Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken)
        {
            CountRead();
            return inner.QueryRequestStatsAsync(query, cancellationToken);
        }

        public Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken)
        {
            CountRead();
            return inner.CountRequestStatsAsync(query, cancellationToken);
        }

        private void CountRead()
        {
            if (!_gate.Task.IsCompleted)
            {
                Interlocked.Increment(ref _readsBeforeOpen);
            }
        }
    }
}
