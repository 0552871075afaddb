using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using Portal.Contracts;
using Portal.Health;
using Portal.Relay;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.Gateway;

/// <summary>Shared helpers for the gateway tests: a deterministic selector, gateway creation, calls and assertions.</summary>
internal static class GatewayTestKit
{
    /// <summary>The alias callers ask for; every channel in the failure-stage tests serves it.</summary>
    public const string Alias = "gpt";

    /// <summary>The model name the upstreams are asked for.</summary>
    public const string UpstreamName = "gpt-upstream";

    /// <summary>A key the upstream rejects (key 101 when it is listed first).</summary>
    public const string BadKey = "sk-bad-0123456789abcdef";

    /// <summary>A key the upstream accepts (key 102 when it is listed second).</summary>
    public const string GoodKey = "sk-good-0123456789abcdef";

    /// <summary>Long enough for any local request, short enough to end a broken test quickly.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    /// <summary>The channel tried first: platform 1, its key 101 and its model 10.</summary>
    public static readonly ChannelIds FirstChannel = new(1, 101, 10);

    private static readonly JsonSerializerOptions RelaxedJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Creates a gateway that always picks the first usable channel (lowest model id, then key id), so failover order is known.</summary>
    /// <param name="repository">The channels.</param>
    /// <param name="maxAttempts">Attempts per request.</param>
    /// <param name="attemptTimeout">The attempt timeout; 30 s by default.</param>
    /// <param name="requestTimeout">The request deadline; 30 s by default.</param>
    /// <param name="backoff">Backoff settings.</param>
    /// <param name="time">The clock of timeouts, backoff and stats; the system clock by default.</param>
    /// <param name="handler">The upstream HTTP handler; the gateway's own by default.</param>
    public static PortalGateway CreateGateway(
        InMemoryPortalRepository repository,
        int maxAttempts = 3,
        TimeSpan? attemptTimeout = null,
        TimeSpan? requestTimeout = null,
        BackoffOptions? backoff = null,
        TimeProvider? time = null,
        HttpMessageHandler? handler = null) =>
        PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            MaxAttempts = maxAttempts,
            AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(30),
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(30),
            Backoff = backoff ?? new BackoffOptions(),
            TimeProvider = time ?? TimeProvider.System,
            HttpMessageHandler = handler,
            SelectorStrategy = FirstChannelSelector.StrategyName,
            Selectors = [new FirstChannelSelector()],
        });

    /// <summary>A repository with one channel: platform 1 at <paramref name="baseUrl"/>, key 101, model 10 serving <see cref="Alias"/>.</summary>
    public static InMemoryPortalRepository OneChannel(string baseUrl)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, baseUrl, 10, UpstreamName, Alias);
        return repository;
    }

    /// <summary>A repository with two channels serving <see cref="Alias"/>: platform 1 (key 101, model 10), tried first, and platform 2 (key 201, model 20).</summary>
    public static InMemoryPortalRepository TwoChannels(string firstBaseUrl, string secondBaseUrl)
    {
        var repository = OneChannel(firstBaseUrl);
        repository.AddOpenAIChannel(2, secondBaseUrl, 20, UpstreamName, Alias);
        return repository;
    }

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

    /// <summary>
    /// Asserts a request failed on <see cref="FirstChannel"/> without trying another: its <paramref name="blamed"/> resource is backing off after
    /// one failure with <paramref name="statusCode"/>, its other two resources are untouched (Unknown), and its failed row is the only stat row.
    /// </summary>
    public static async Task AssertBlamedWithoutFailoverAsync(PortalGateway gateway, ResourceKind blamed, int? statusCode, DateTimeOffset before, bool stream, bool checkStatusCode = true)
    {
        AssertBlamed(gateway, blamed, FirstChannel.IdOf(blamed), statusCode, before, checkStatusCode);
        foreach (var (kind, id) in FirstChannel.ResourcesOtherThan(blamed))
        {
            AssertUnknown(gateway, kind, id);
        }

        var row = await AssertOnlyRowAsync(gateway);
        AssertFailedRow([row], FirstChannel.PlatformId, FirstChannel.KeyId, statusCode, stream, checkStatusCode);
        Assert.Null(row.FirstByteTime);
    }

    /// <summary>
    /// Asserts a stream on <see cref="FirstChannel"/> broke off after it had begun, without failover: platform 1 is backing off after one failure
    /// (whatever its status code), key 101 and model 10 took no blame, and the only stat row is that channel's failed streamed row, which has a first-byte time.
    /// </summary>
    /// <returns>The only stat row.</returns>
    public static async Task<RequestStat> AssertBrokenStreamBlamedOnPlatformAsync(PortalGateway gateway, DateTimeOffset before)
    {
        AssertBlamed(gateway, ResourceKind.Platform, FirstChannel.PlatformId, null, before, checkStatusCode: false);
        AssertNotBlamed(gateway, ResourceKind.ApiKey, FirstChannel.KeyId);
        AssertNotBlamed(gateway, ResourceKind.Model, FirstChannel.ModelId);
        var row = await AssertOnlyRowAsync(gateway);
        AssertFailedRow([row], FirstChannel.PlatformId, FirstChannel.KeyId, null, stream: true, checkStatusCode: false);
        Assert.NotNull(row.FirstByteTime);
        return row;
    }

    /// <summary>Asserts a request on <see cref="FirstChannel"/> that the caller gave up on blamed nobody: its three resources are untouched (Unknown) and its only stat row, attempt 1 on that channel, failed with a message.</summary>
    /// <returns>The only stat row.</returns>
    public static async Task<RequestStat> AssertAbandonedWithoutBlameAsync(PortalGateway gateway)
    {
        AssertUnknown(gateway, ResourceKind.Platform, FirstChannel.PlatformId);
        AssertUnknown(gateway, ResourceKind.ApiKey, FirstChannel.KeyId);
        AssertUnknown(gateway, ResourceKind.Model, FirstChannel.ModelId);
        var row = await AssertOnlyRowAsync(gateway);
        Assert.False(row.Success);
        Assert.False(string.IsNullOrWhiteSpace(row.ErrorMessage));
        Assert.Equal((FirstChannel.PlatformId, FirstChannel.KeyId), (row.PlatformId, row.ApiKeyId));
        return row;
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

    /// <summary>Asserts the only stat row is attempt 1 of a request with an id, and returns it.</summary>
    public static async Task<RequestStat> AssertOnlyRowAsync(PortalGateway gateway)
    {
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.Equal(1, row.Attempt);
        Assert.False(string.IsNullOrEmpty(row.RequestId));
        return row;
    }

    /// <summary>Asserts the rows are attempts 1, 2, ... of one request, in order of time, and returns them by attempt.</summary>
    public static IReadOnlyList<RequestStat> AssertAttemptsOfOneRequest(IReadOnlyList<RequestStat> rows)
    {
        var ordered = rows.OrderBy(r => r.Attempt).ToList();
        Assert.Equal(Enumerable.Range(1, rows.Count), ordered.Select(r => r.Attempt));
        Assert.False(string.IsNullOrEmpty(ordered[0].RequestId));
        Assert.All(ordered, r => Assert.Equal(ordered[0].RequestId, r.RequestId));
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i - 1].Timestamp <= ordered[i].Timestamp, $"Attempt {i} ({ordered[i - 1].Timestamp:O}) should start before attempt {i + 1} ({ordered[i].Timestamp:O}).");
        }

        return ordered;
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

    /// <summary>Polls <paramref name="condition"/> until it holds, failing the test after <see cref="Wait"/>.</summary>
    /// <remarks>For something that must happen; to show that something has not happened, wait for an event or use the fake clock.</remarks>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition() && elapsed.Elapsed < Wait)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition was not met in time.");
    }

    /// <summary>The ids of one channel: a platform, one of its keys and its model.</summary>
    internal sealed record ChannelIds(long PlatformId, long KeyId, long ModelId)
    {
        /// <summary>The id of this channel's resource of <paramref name="kind"/>.</summary>
        public long IdOf(ResourceKind kind) => kind switch
        {
            ResourceKind.Platform => PlatformId,
            ResourceKind.ApiKey => KeyId,
            ResourceKind.Model => ModelId,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        /// <summary>This channel's two resources that are not of <paramref name="kind"/>.</summary>
        public IEnumerable<(ResourceKind Kind, long Id)> ResourcesOtherThan(ResourceKind kind) =>
            new[] { ResourceKind.Platform, ResourceKind.ApiKey, ResourceKind.Model }.Where(k => k != kind).Select(k => (k, IdOf(k)));
    }

    /// <summary>
    /// A gateway whose <see cref="FirstChannel"/> fails and whose next channel answers: platform 2 (key 201, model 20) serving the same
    /// model, or key 102 on platform 1. Requests go through one entry point (<see cref="Entry"/>). <see cref="Before"/> is taken once the
    /// gateway exists, before anything is sent.
    /// </summary>
    internal sealed class FailoverScenario : IAsyncDisposable
    {
        /// <summary>What platform 2 answers.</summary>
        public const string SecondPlatformAnswer = "from second";

        private readonly FakeUpstream? _failing;
        private readonly FakeUpstream _healthy;
        private readonly ChannelIds _next;
        private readonly string _answer;
        private int? _requestsAtStart;

        private FailoverScenario(FakeUpstream? failing, FakeUpstream healthy, InMemoryPortalRepository repository, ChannelIds next, string answer, Entry entry, TimeSpan? attemptTimeout, TimeProvider? time, HttpMessageHandler? handler)
        {
            _failing = failing;
            _healthy = healthy;
            _next = next;
            _answer = answer;
            Entry = entry;
            Gateway = CreateGateway(repository, attemptTimeout: attemptTimeout, time: time, handler: handler);
            Before = (time ?? TimeProvider.System).GetUtcNow();
        }

        /// <summary>The gateway under test, picking channels with <see cref="FirstChannelSelector"/>.</summary>
        public PortalGateway Gateway { get; }

        /// <summary>The entry point requests go through.</summary>
        public Entry Entry { get; }

        /// <summary>A time before anything was sent: every backoff must end after it.</summary>
        public DateTimeOffset Before { get; }

        /// <summary>Platform 1's upstream (in the second-key scenario the one upstream, which serves both keys).</summary>
        public FakeUpstream Failing => _failing ?? throw new InvalidOperationException("Platform 1 is at an address no fake upstream serves.");

        /// <summary>The upstream of the channel failed over to (in the second-key scenario the one upstream, which serves both keys).</summary>
        public FakeUpstream Healthy => _healthy;

        /// <summary>Platform 1's upstream answers <paramref name="failure"/>; platform 2's answers <see cref="SecondPlatformAnswer"/>.</summary>
        public static async Task<FailoverScenario> ToSecondPlatformAsync(FakeResponse failure, Entry entry, TimeSpan? attemptTimeout = null, TimeProvider? time = null, HttpMessageHandler? handler = null)
        {
            var failing = await FakeUpstream.StartAsync();
            failing.DefaultResponse = failure;
            return await ToSecondPlatformAsync(failing, failing.BaseUrl, entry, attemptTimeout, time, handler);
        }

        /// <summary>Platform 1 is at <paramref name="failingBaseUrl"/>, where no fake upstream runs; platform 2's upstream answers <see cref="SecondPlatformAnswer"/>.</summary>
        public static Task<FailoverScenario> ToSecondPlatformAsync(string failingBaseUrl, Entry entry) =>
            ToSecondPlatformAsync(null, failingBaseUrl, entry, attemptTimeout: null, time: null, handler: null);

        /// <summary>Platform 1 has keys <see cref="BadKey"/> (101) and <see cref="GoodKey"/> (102) on one upstream, which answers the first <paramref name="rejection"/> and the second <paramref name="answer"/>.</summary>
        public static async Task<FailoverScenario> ToSecondKeyAsync(FakeResponse rejection, string answer, Entry entry)
        {
            var upstream = await FakeUpstream.StartAsync();
            upstream.Handler = request => request.Headers["Authorization"] == "Bearer " + BadKey ? rejection : Ok(entry.IsStream(), answer);
            var repository = new InMemoryPortalRepository();
            repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, BadKey, GoodKey);
            return new FailoverScenario(upstream, upstream, repository, new ChannelIds(1, 102, 10), answer, entry, attemptTimeout: null, time: null, handler: null);
        }

        /// <summary>Sends one request through <see cref="Entry"/>; a relay writer notes how many requests the upstreams had received when it was started.</summary>
        public Task<Sent> SendAsync() =>
            EntryPoints.SendAsync(Gateway, Entry, new Caller { OnStart = () => _requestsAtStart = UpstreamRequests() });

        /// <summary>Sends one request and asserts it failed over, as <see cref="AssertFailedOverAsync"/> says.</summary>
        public async Task<Failover> AssertFailsOverAsync(ResourceKind blamed, int? statusCode, bool checkStatusCode = true) =>
            await AssertFailedOverAsync(await SendAsync(), blamed, statusCode, checkStatusCode);

        /// <summary>
        /// Asserts the request <paramref name="sent"/> by <see cref="SendAsync"/> failed over: the caller got the next channel's whole answer (a relay
        /// writer started once, when every upstream request had been sent, so by the serving attempt, and the result names the next channel after 2
        /// attempts); the first channel's <paramref name="blamed"/> resource is backing off after one failure with <paramref name="statusCode"/> while
        /// its other two took no blame; the next channel's resource of that kind is Available; the stat rows are attempt 1, failed on the first channel
        /// before any byte, and attempt 2, the next channel's success, of one request.
        /// </summary>
        public async Task<Failover> AssertFailedOverAsync(Sent sent, ResourceKind blamed, int? statusCode, bool checkStatusCode = true)
        {
            var stream = Entry.IsStream();
            sent.AssertAnswered(_answer);
            if (Entry.IsRelay())
            {
                Assert.Equal(UpstreamRequests(), _requestsAtStart);
                Assert.Equal(new ChatRelayResult(_next.PlatformId, _next.ModelId, _next.KeyId, 2, 5, 7), sent.Result);
            }

            var health = AssertBlamed(Gateway, blamed, FirstChannel.IdOf(blamed), statusCode, Before, checkStatusCode);
            foreach (var (kind, id) in FirstChannel.ResourcesOtherThan(blamed))
            {
                AssertNotBlamed(Gateway, kind, id);
            }

            Assert.Equal(HealthStatus.Available, Gateway.GetHealth(blamed, _next.IdOf(blamed)).Status);
            var rows = await Gateway.QueryStatsAsync(new StatsQuery());
            Assert.Equal(2, rows.Count);
            var failed = AssertFailedRow(rows, FirstChannel.PlatformId, FirstChannel.KeyId, statusCode, stream, checkStatusCode);
            var success = AssertSuccessRow(rows, _next.PlatformId, _next.KeyId, stream);
            Assert.Equal([failed, success], AssertAttemptsOfOneRequest(rows));
            Assert.Null(failed.FirstByteTime);
            Assert.Equal(stream, success.FirstByteTime is not null);
            Assert.Equal((5, 7), (success.PromptTokens, success.CompletionTokens));
            return new Failover(health, failed, success);
        }

        /// <summary>Disposes the gateway, then the fake upstreams.</summary>
        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await _healthy.DisposeAsync();
            if (_failing is not null && _failing != _healthy)
            {
                await _failing.DisposeAsync();
            }
        }

        private static async Task<FailoverScenario> ToSecondPlatformAsync(FakeUpstream? failing, string failingBaseUrl, Entry entry, TimeSpan? attemptTimeout, TimeProvider? time, HttpMessageHandler? handler)
        {
            var healthy = await FakeUpstream.StartAsync();
            healthy.DefaultResponse = Ok(entry.IsStream(), SecondPlatformAnswer);
            return new FailoverScenario(failing, healthy, TwoChannels(failingBaseUrl, healthy.BaseUrl), new ChannelIds(2, 201, 20), SecondPlatformAnswer, entry, attemptTimeout, time, handler);
        }

        private int UpstreamRequests() => _healthy.RequestCount + (_failing is { } failing && failing != _healthy ? failing.RequestCount : 0);
    }

    /// <summary>What a failover left: the blamed resource's health, the failed attempt's row and the successful attempt's row.</summary>
    internal sealed record Failover(HealthState Blamed, RequestStat FailedRow, RequestStat SuccessRow);

    /// <summary>
    /// The gateway's upstream handler (configured like its own) that reports the first response whose headers arrived, so a test can
    /// act once an attempt is reading a body rather than waiting for headers. Dispose it after the gateway.
    /// </summary>
    internal sealed class HeadersSignal : DelegatingHandler
    {
        private readonly TaskCompletionSource _headers = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeadersSignal()
            : base(new SocketsHttpHandler
            {
                AutomaticDecompression = System.Net.DecompressionMethods.All,
                UseCookies = false,
                AllowAutoRedirect = false,
                MaxResponseDrainSize = 0,
                ActivityHeadersPropagator = null,
            })
        {
        }

        /// <summary>Completes when the headers of the first response have been received.</summary>
        public Task FirstHeaders => _headers.Task;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            _headers.TrySetResult();
            return response;
        }
    }

    /// <summary>Always picks the first candidate, so tests know which channel is tried first.</summary>
    internal sealed class FirstChannelSelector : IChannelSelector
    {
        public const string StrategyName = "first";

        public string Name => StrategyName;

        public int Select(ReadOnlySpan<Channel> candidates) => 0;
    }
}
