using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Diagnostics;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.Diagnostics;

public sealed class TelemetryTests
{
    private const string RejectedKey = "sk-proj-TelemetryRejected0123456789abcdefABCDEF";
    private const string AcceptedKey = "sk-proj-TelemetryAccepted0123456789abcdefABCDEF";

    [Fact]
    public async Task Metrics_FailoverThenStream_RecordsRequestsAttemptsFailuresDurationsAndTokens()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Requests);
        using var attempts = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Attempts);
        using var failures = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Failures);
        using var duration = new MetricCollector<double>(meterFactory, PortalTelemetry.Name, PortalTelemetry.OperationDuration);
        using var firstToken = new MetricCollector<double>(meterFactory, PortalTelemetry.Name, PortalTelemetry.TimeToFirstToken);
        using var tokens = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.TokenUsage);
        await using var upstream = await StartUpstreamRejectingAsync(RejectedKey);
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = SeedTwoKeys(upstream, "gpt"),
            MeterFactory = meterFactory,
            SelectorStrategy = SelectorStrategies.Lru, // The rejected key (first in order) is tried first.
        });

        await gateway.ChatCompletionAsync(RepositorySeed.Chat("gpt")); // 401, then success on the other key
        await gateway.StreamChatCompletionAsync(RepositorySeed.Chat("gpt")).ToListAsync();

        var requestValues = requests.GetMeasurementSnapshot();
        Assert.Equal(2, requestValues.Count);
        Assert.All(requestValues, m => Assert.Equal(1, m.Value));
        Assert.All(requestValues, m => Assert.Equal("success", m.Tags["portal.outcome"]));
        Assert.Equal([false, true], requestValues.Select(m => (bool)m.Tags["portal.stream"]!).Order());
        Assert.All(requestValues, m => Assert.Equal("gpt", m.Tags["gen_ai.request.model"]));

        var attemptValues = attempts.GetMeasurementSnapshot();
        Assert.Equal(3, attemptValues.Count);
        Assert.Single(attemptValues, m => (string?)m.Tags["portal.outcome"] == "failure");
        Assert.Equal(2, attemptValues.Count(m => (string?)m.Tags["portal.outcome"] == "success"));
        Assert.All(attemptValues, m => Assert.Equal(1L, m.Tags["portal.platform.id"]));

        var failure = Assert.Single(failures.GetMeasurementSnapshot());
        Assert.Equal(1, failure.Value);
        Assert.Equal("api_key", failure.Tags["portal.failure.class"]);

        var durations = duration.GetMeasurementSnapshot();
        Assert.Equal(2, durations.Count);
        Assert.All(durations, m => Assert.True(m.Value is > 0 and < 60, $"duration {m.Value} s"));

        var ttft = Assert.Single(firstToken.GetMeasurementSnapshot());
        Assert.True(ttft.Value is > 0 and < 60, $"time to first token {ttft.Value} s");
        Assert.Equal("gpt", ttft.Tags["gen_ai.request.model"]);

        var tokenValues = tokens.GetMeasurementSnapshot();
        Assert.Equal(4, tokenValues.Count); // input and output, for each of the two requests
        Assert.All(tokenValues.Where(m => (string?)m.Tags["gen_ai.token.type"] == "input"), m => Assert.Equal(5, m.Value));
        Assert.All(tokenValues.Where(m => (string?)m.Tags["gen_ai.token.type"] == "output"), m => Assert.Equal(7, m.Value));
        Assert.Equal(2, tokenValues.Count(m => (string?)m.Tags["gen_ai.token.type"] == "input"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Metrics_EveryAttemptFails_RecordsRequestOutcomeCodeAndPlatformFailure(bool stream)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Requests);
        using var failures = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Failures);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(500, "The server had an error.", "server_error");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "gpt");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, MeterFactory = meterFactory });

        var error = await Assert.ThrowsAsync<PortalException>(() => SendAsync(gateway, "gpt", stream));

        var request = Assert.Single(requests.GetMeasurementSnapshot());
        Assert.Equal(error.Code.ToString(), request.Tags["portal.outcome"]);
        Assert.Equal(nameof(PortalErrorCode.UpstreamFailed), request.Tags["portal.outcome"]);
        Assert.Equal("platform", Assert.Single(failures.GetMeasurementSnapshot()).Tags["portal.failure.class"]);
    }

    // A request that fails before any attempt (no such model) is a failed request in the metrics, streaming or not.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Metrics_UnknownModel_RecordsRequestOutcomeModelNotFound(bool stream)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Requests);
        using var duration = new MetricCollector<double>(meterFactory, PortalTelemetry.Name, PortalTelemetry.OperationDuration);
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository(), MeterFactory = meterFactory });

        var error = await Assert.ThrowsAsync<PortalException>(() => SendAsync(gateway, "no-such-model", stream));

        Assert.Equal(PortalErrorCode.ModelNotFound, error.Code);
        Assert.Equal(nameof(PortalErrorCode.ModelNotFound), Assert.Single(requests.GetMeasurementSnapshot()).Tags["portal.outcome"]);
        Assert.Equal(nameof(PortalErrorCode.ModelNotFound), Assert.Single(duration.GetMeasurementSnapshot()).Tags["portal.outcome"]);
    }

    // A stream that breaks after its first chunk has failed: its request must not be counted as a success.
    [Fact]
    public async Task Metrics_StreamBreaksAfterFirstChunk_RecordsFailedRequestOutcome()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<IMeterFactory>();
        using var requests = new MetricCollector<long>(meterFactory, PortalTelemetry.Name, PortalTelemetry.Requests);
        using var activities = new ActivityCollector();
        await using var upstream = await FakeUpstream.StartAsync();
        const string first = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";
        const string second = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n";
        upstream.DefaultResponse = FakeResponse.SseRaw(first, second).ResetAfterBytes(Encoding.UTF8.GetByteCount(first) + 10);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", "broken-stream");
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, MeterFactory = meterFactory });

        var chunks = new List<string?>();
        var error = await Assert.ThrowsAsync<PortalException>(async () =>
        {
            await foreach (var chunk in gateway.StreamChatCompletionAsync(RepositorySeed.Chat("broken-stream")))
            {
                chunks.Add(chunk.Choices[0].Delta?.Content);
            }
        });

        Assert.Equal(["Hel"], chunks); // The failure came after the first chunk, as intended.
        var stat = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.False(stat.Success);
        Assert.Equal(error.Code.ToString(), Assert.Single(requests.GetMeasurementSnapshot()).Tags["portal.outcome"]);
        Assert.Equal(ActivityStatusCode.Error, Assert.Single(activities.Stopped, a => a.DisplayName == "chat broken-stream").Status);
    }

    // The request span says whether the request failed, streaming or not.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Activities_EveryAttemptFails_MarksChatSpanAsError(bool stream)
    {
        var model = stream ? "failing-activity-model-stream" : "failing-activity-model";
        using var activities = new ActivityCollector();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(500, "The server had an error.", "server_error");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", model);
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository });

        await Assert.ThrowsAsync<PortalException>(() => SendAsync(gateway, model, stream));

        var chat = Assert.Single(activities.Stopped, a => a.DisplayName == "chat " + model);
        Assert.Equal(ActivityStatusCode.Error, chat.Status);
        var attempt = Assert.Single(activities.Stopped, a => a.ParentSpanId == chat.SpanId && a.TraceId == chat.TraceId);
        Assert.Equal(ActivityStatusCode.Error, attempt.Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Activities_FailoverRequest_EmitsChatSpanWithOneAttemptChildPerAttempt(bool stream)
    {
        var model = stream ? "activity-model-stream" : "activity-model";
        using var activities = new ActivityCollector();
        await using var upstream = await StartUpstreamRejectingAsync(RejectedKey);
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = SeedTwoKeys(upstream, model),
            SelectorStrategy = SelectorStrategies.Lru,
        });

        if (stream)
        {
            await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(model)).ToListAsync();
        }
        else
        {
            await gateway.ChatCompletionAsync(RepositorySeed.Chat(model));
        }

        var chat = Assert.Single(activities.Stopped, a => a.DisplayName == "chat " + model);
        Assert.Equal("chat", chat.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(model, chat.GetTagItem("gen_ai.request.model"));
        Assert.Equal(stream, chat.GetTagItem("portal.stream"));
        var children = activities.Stopped.Where(a => a.ParentSpanId == chat.SpanId && a.TraceId == chat.TraceId).ToList();
        Assert.Equal(2, children.Count);
        Assert.All(children, a => Assert.Equal("attempt", a.OperationName));
        var ordered = children.OrderBy(a => (int)a.GetTagItem("portal.attempt")!).ToList();
        Assert.Equal([1, 2], ordered.Select(a => (int)a.GetTagItem("portal.attempt")!));
        Assert.Equal(ActivityStatusCode.Error, ordered[0].Status);
        Assert.Equal(101L, ordered[0].GetTagItem("portal.api_key.id"));
        Assert.NotEqual(ActivityStatusCode.Error, ordered[1].Status);
        Assert.Equal(102L, ordered[1].GetTagItem("portal.api_key.id"));
    }

    // Key shapes: an OpenAI project key, a bare hex key (Azure-like) and an Anthropic-like key.
    private const string Key401 = "sk-proj-Echo401abcdefghijklmnopqrstuvwxyz0123456789";
    private const string Key500 = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    private const string KeyTimeout = "sk-ant-api03-TimeoutKey0123456789abcdefghijklmnop";
    private static readonly string[] SecretKeys = [Key401, Key500, KeyTimeout];

    // A 401 whose message echoes the key, a 500 whose text body echoes it (and the Authorization header), and a
    // timeout: no key reaches a log message, log field, exception, stat, health record or span.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secrets_UpstreamEchoesKeyFailsAndTimesOut_NoKeyReachesLogsStatsHealthOrErrors(bool stream)
    {
        var text = await RunSecretScenarioAsync(stream, HttpClientMode.None, key => key);

        Assert.Contains("[redacted]", text, StringComparison.Ordinal); // The echoed keys were there, and were scrubbed.
        AssertNoKey(text);
    }

    // Upstreams often echo a key half-masked ("Incorrect API key provided: 9f8e7d6c5b4a****b1a0"): the visible part
    // is still a secret, whatever the key's shape.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secrets_UpstreamEchoesPartlyMaskedKey_NoKeyPrefixReachesLogsStatsHealthOrErrors(bool stream)
    {
        var text = await RunSecretScenarioAsync(stream, HttpClientMode.None, key => string.Concat(key.AsSpan(0, 12), "****", key.AsSpan(key.Length - 4)));

        AssertNoKey(text);
    }

    // A container's IHttpClientFactory is not picked up implicitly: its logging handlers would see the Authorization header.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secrets_HttpClientFactoryInContainerNotOptedIn_IsNotUsedAndNoKeyReachesLogs(bool stream)
    {
        var text = await RunSecretScenarioAsync(stream, HttpClientMode.RegisteredOnly, key => key);

        Assert.DoesNotContain("Start processing HTTP request", text, StringComparison.Ordinal);
        AssertNoKey(text);
    }

    // Opted in as documented (named client with RemoveAllLoggers): used, and the key reaches no log at Trace level.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Secrets_HttpClientFactoryOptedInAsDocumented_IsUsedAndNoKeyReachesLogs(bool stream)
    {
        var text = await RunSecretScenarioAsync(stream, HttpClientMode.OptedIn, key => key);

        AssertNoKey(text);
    }

    private static void AssertNoKey(string text)
    {
        foreach (var key in SecretKeys)
        {
            Assert.False(text.Contains(key, StringComparison.Ordinal), $"The key {ApiKey.Mask(key)} leaked.");
            Assert.False(text.Contains(key[..12], StringComparison.Ordinal), $"The first 12 characters of key {ApiKey.Mask(key)} leaked.");
        }
    }

    /// <summary>Runs a 401, a 500 and a timeout through a gateway built with DI; returns every text a key could leak into.</summary>
    private enum HttpClientMode
    {
        None,
        RegisteredOnly,
        OptedIn,
    }

    private static async Task<string> RunSecretScenarioAsync(bool stream, HttpClientMode httpClientMode, Func<string, string> echo)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request =>
        {
            var auth = request.Headers.GetValueOrDefault("Authorization") ?? "";
            var key = auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth["Bearer ".Length..] : auth;
            return key switch
            {
                Key401 => FakeResponse.Error(401, $"Incorrect API key provided: {echo(key)}. You can find your API key at https://example.invalid.", code: "invalid_api_key"),
                Key500 => FakeResponse.Text(500, $"Internal error while authenticating key {echo(key)}; request header was 'Bearer {echo(key)}'"),
                KeyTimeout => FakeResponse.Hang(),
                _ => request.BodyJson.TryGetProperty("stream", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.True
                    ? FakeResponse.Stream("Hel", "lo")
                    : FakeResponse.ChatCompletion("Hello"),
            };
        };
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "m-401", "m401", Key401);
        repository.AddOpenAIChannel(2, upstream.BaseUrl, 20, "m-500", "m500", Key500);
        repository.AddOpenAIChannel(3, upstream.BaseUrl, 30, "m-timeout", "mtimeout", KeyTimeout);
        repository.AddOpenAIChannel(4, upstream.BaseUrl, 40, "m-warm", "mwarm", "warm-up-key-not-under-test");
        var collector = new FakeLogCollector();
        using var activities = new ActivityCollector();
        var services = new ServiceCollection()
            .AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new FakeLoggerProvider(collector)))
            .AddMetrics();
        var factoryUsed = 0;
        if (httpClientMode == HttpClientMode.RegisteredOnly)
        {
            services.AddHttpClient(PortalOptions.HttpClientName);
        }
        else if (httpClientMode == HttpClientMode.OptedIn)
        {
            services.AddHttpClient(PortalOptions.HttpClientName)
                .RemoveAllLoggers()
                .ConfigurePrimaryHttpMessageHandler(() =>
                {
                    Interlocked.Increment(ref factoryUsed);
                    return new SocketsHttpHandler { MaxResponseDrainSize = 0 };
                });
        }

        services.AddPortal(sp => new PortalOptions
        {
            Repository = repository,
            MaxAttempts = 1,
            AttemptTimeout = TimeSpan.FromSeconds(3), // The timeout case waits this long; the other calls must fit even on a loaded machine.
            HttpClientFactory = httpClientMode == HttpClientMode.OptedIn ? sp.GetRequiredService<IHttpClientFactory>() : null,
        });

        var text = new StringBuilder();
        await using (var provider = services.BuildServiceProvider())
        {
            var gateway = provider.GetRequiredService<PortalGateway>();
            await SendAsync(gateway, "mwarm", stream); // A first call pays for connection setup, which must not count against the timeout below.
            foreach (var model in new[] { "m401", "m500", "mtimeout" })
            {
                var error = await Assert.ThrowsAsync<PortalException>(() => SendAsync(gateway, model, stream));
                text.AppendLine(error.ToString());
                for (Exception? inner = error.InnerException; inner is not null; inner = inner.InnerException)
                {
                    text.AppendLine(inner.Message);
                }
            }

            foreach (var stat in await gateway.QueryStatsAsync(new StatsQuery()))
            {
                text.AppendLine(stat.ErrorMessage).AppendLine(stat.ToString());
            }

            foreach (var health in gateway.GetAllHealth())
            {
                text.AppendLine(health.LastError).AppendLine(health.ToString());
            }

            // The scenario happened as intended: three failed attempts, blamed on the key, then on two platforms.
            Assert.Equal(3, (await gateway.CountStatsAsync(new StatsQuery { Success = false })).TotalAttempts);
            Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.ApiKey, 101).Status);
            Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.Platform, 2).Status);
            Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.Platform, 3).Status);
        }

        foreach (var health in await repository.GetAllHealthAsync(CancellationToken.None))
        {
            text.AppendLine(health.LastError);
        }

        var logs = collector.GetSnapshot();
        Assert.Contains(logs, r => r.Level == LogLevel.Warning); // The failures were logged: the grep has something to search.
        foreach (var record in logs)
        {
            text.AppendLine(record.Message).AppendLine(record.Exception?.ToString());
            foreach (var field in record.StructuredState ?? [])
            {
                text.AppendLine(field.Key + "=" + field.Value);
            }
        }

        foreach (var activity in activities.Stopped)
        {
            text.AppendLine(activity.DisplayName).AppendLine(activity.StatusDescription);
            foreach (var tag in activity.TagObjects)
            {
                text.AppendLine(tag.Key + "=" + tag.Value);
            }
        }

        if (httpClientMode == HttpClientMode.OptedIn)
        {
            Assert.True(factoryUsed > 0, "The opted-in IHttpClientFactory client was not used.");
        }

        return text.ToString();
    }

    private static async Task SendAsync(PortalGateway gateway, string model, bool stream)
    {
        if (stream)
        {
            await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(model)).ToListAsync();
        }
        else
        {
            await gateway.ChatCompletionAsync(RepositorySeed.Chat(model));
        }
    }

    private static async Task<FakeUpstream> StartUpstreamRejectingAsync(string rejectedKey)
    {
        var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request =>
            request.Headers.GetValueOrDefault("Authorization") == "Bearer " + rejectedKey
                ? FakeResponse.Error(401, "Incorrect API key provided.", code: "invalid_api_key")
                : request.BodyJson.TryGetProperty("stream", out var s) && s.ValueKind == System.Text.Json.JsonValueKind.True
                    ? FakeResponse.Stream("Hel", "lo")
                    : FakeResponse.ChatCompletion("Hello");
        return upstream;
    }

    private static InMemoryPortalRepository SeedTwoKeys(FakeUpstream upstream, string alias)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, "gpt-upstream", alias, RejectedKey, AcceptedKey);
        return repository;
    }

    /// <summary>Collects every stopped activity of the Portal source (from any test running in parallel: filter by name or parent).</summary>
    private sealed class ActivityCollector : IDisposable
    {
        private readonly ConcurrentQueue<Activity> _stopped = new();
        private readonly ActivityListener _listener;

        public ActivityCollector()
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == PortalTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = _stopped.Enqueue,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public IReadOnlyList<Activity> Stopped => [.. _stopped];

        public void Dispose() => _listener.Dispose();
    }
}
