using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Stats;
using Portal.Testing;

namespace Portal.Storage.Tests.Resilience;

/// <summary>
/// The database goes down while a gateway serves requests over an <see cref="EfPortalRepository"/>, then comes back:
/// every request succeeds from the configuration cache, stats and health writes fail and are retried, and after the
/// recovery nothing is lost. One subclass per provider says how the database goes down and comes back.
/// </summary>
/// <remarks>
/// Requests alternate between streaming and non-streaming, so one outage per provider covers both.
/// The outage lasts until the gateway has logged a failed stats write (bounded by <see cref="OutageLimit"/>), so the
/// test proves that writes really failed rather than assuming it.
/// </remarks>
public abstract class DatabaseOutageTests : IAsyncLifetime
{
    private const string Alias = "gpt";
    private const int StatsSaveFailedEventId = 4; // Portal.Diagnostics.Log.StatsSaveFailed
    private const int MinRequestsDuringOutage = 10;

    /// <summary>The longest the database stays down waiting for a failed stats write.</summary>
    private static readonly TimeSpan OutageLimit = TimeSpan.FromSeconds(9);

    /// <summary>The longest the gateway may take to write everything after the database is back.</summary>
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RetryCap = TimeSpan.FromMilliseconds(200);

    private readonly FakeLogCollector _logs = new();

    /// <summary>Storage settings of a fresh store; skips the test when the backend is unavailable.</summary>
    protected abstract Task<StorageOptions> CreateStoreAsync();

    /// <summary>Makes the database unusable for the repository (without stopping a shared server).</summary>
    protected abstract Task TakeDownAsync();

    /// <summary>Makes the database usable again.</summary>
    protected abstract Task BringBackAsync();

    /// <summary>Releases the store.</summary>
    protected virtual ValueTask DisposeBackendAsync() => ValueTask.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await DisposeBackendAsync();

    [SkippableFact]
    public async Task DatabaseDown_RequestsKeepSucceeding_AndStatsAndHealthAreSavedAfterRecovery()
    {
        var storage = await CreateStoreAsync();
        storage.CacheTtl = TimeSpan.FromMilliseconds(200); // the cache tries (and fails) to reload during the outage
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(new FakeLoggerProvider(_logs)));
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request => IsStream(request) ? FakeResponse.Stream("Hello", " there") : FakeResponse.ChatCompletion("Hello there");
        await using var repository = await EfPortalRepository.OpenAsync(storage, loggerFactory);
        var platform = await repository.AddPlatformAsync(new Platform { Name = "fake", Format = "openai", BaseUrl = upstream.BaseUrl });
        var model = await repository.AddModelAsync(new Model { PlatformId = platform.Id, Name = "gpt-upstream", Alias = Alias });
        var key = await repository.AddApiKeyAsync(new ApiKey { PlatformId = platform.Id, Value = "sk-test-outage-0123456789abcdef" });
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            LoggerFactory = loggerFactory,
            HealthSyncInterval = TimeSpan.FromMilliseconds(200),
            Stats = new StatsOptions { MaxRetryDelay = RetryCap },
            MaxAttempts = 1,
            RequestTimeout = TimeSpan.FromSeconds(5),
            AttemptTimeout = TimeSpan.FromSeconds(5),
        });

        var sent = 0;
        for (; sent < 4; sent++)
        {
            await SendAsync(gateway, stream: sent % 2 == 1);
        }

        await gateway.FlushStatsAsync();
        Assert.Equal(4, (await repository.CountRequestStatsAsync(new StatsQuery(), default)).TotalRequests);

        await TakeDownAsync();
        var outage = Stopwatch.StartNew();
        var duringOutage = 0;
        try
        {
            while (!StatsWriteFailed() || duringOutage < MinRequestsDuringOutage)
            {
                Assert.True(
                    outage.Elapsed < OutageLimit,
                    $"No stats write failed within {OutageLimit.TotalSeconds} s of taking the database down ({duringOutage} requests sent). Log:\n{LogText()}");

                // The call itself asserts success: a failed request throws and fails the test.
                await SendAsync(gateway, stream: sent % 2 == 1);
                sent++;
                duringOutage++;
                await Task.Delay(50);
            }
        }
        finally
        {
            await BringBackAsync();
        }

        Assert.Equal(0, gateway.DroppedStats);
        using var recovery = new CancellationTokenSource(RecoveryLimit);
        var counts = await gateway.CountStatsAsync(new StatsQuery(), recovery.Token);
        Assert.Equal(sent, counts.TotalRequests);
        Assert.Equal(sent, counts.SuccessRequests);
        Assert.Equal(sent, (await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 10_000 }, recovery.Token)).Select(s => s.Id).Distinct().Count());

        // Health changed during the outage is saved by a later sync: every success is counted in the database.
        var stored = await WaitForAsync(
            async () => (await repository.GetAllHealthAsync(recovery.Token))
                .SingleOrDefault(h => h.ResourceKind == ResourceKind.ApiKey && h.ResourceId == key.Id),
            h => h?.SuccessCount == sent,
            recovery.Token);
        Assert.Equal(HealthStatus.Available, stored!.Status);
        var all = await repository.GetAllHealthAsync(recovery.Token);
        Assert.Contains(all, h => h.ResourceKind == ResourceKind.Platform && h.ResourceId == platform.Id && h.SuccessCount == sent);
        Assert.Contains(all, h => h.ResourceKind == ResourceKind.Model && h.ResourceId == model.Id && h.SuccessCount == sent);
    }

    private static bool IsStream(FakeRequest request) =>
        request.BodyJson.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;

    private static async Task SendAsync(PortalGateway gateway, bool stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        string? text;
        if (stream)
        {
            var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias), timeout.Token).ToListAsync(timeout.Token);
            text = string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content));
        }
        else
        {
            var response = await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias), timeout.Token);
            text = response.Choices[0].Message?.Content?.Text;
        }

        Assert.Equal("Hello there", text);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            var value = await read();
            if (done(value) || cancellationToken.IsCancellationRequested)
            {
                return value;
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    private bool StatsWriteFailed() => _logs.GetSnapshot().Any(r => r.Id.Id == StatsSaveFailedEventId && r.Category == "Portal");

    private string LogText() => string.Join('\n', _logs.GetSnapshot().TakeLast(30).Select(r => $"{r.Level} {r.Category}[{r.Id.Id}] {r.Message} {r.Exception?.GetType().Name}: {r.Exception?.Message}"));
}
