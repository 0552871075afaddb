using System.Text;
using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>
/// One test per stage at which an upstream call can fail: what the caller sees, which resource is blamed, and the stat rows written.
/// Platform 1 (model 10, keys 101...) is always tried first; platform 2 (model 20, key 201) is the failover target.
/// </summary>
public sealed class FailureStageTests
{
    // ---- 1. Connect refused ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectRefused_SecondPlatformHealthy_FailsOverAndBlamesFirstPlatform(bool stream)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeUpstream.UnusedBaseUrl(), stream);

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null);

        Assert.Equal(1, scenario.Healthy.RequestCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConnectRefused_OnlyPlatform_ThrowsUpstreamFailedAndBlamesPlatform(bool stream)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, FakeUpstream.UnusedBaseUrl(), 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);

        Assert.Null(exception.StatusCode);
        Assert.Contains("refused", exception.Message, StringComparison.OrdinalIgnoreCase);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, stream);
    }

    // ---- 2. Timeout before headers ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TimeoutBeforeHeaders_OnlyPlatform_ThrowsTimeoutAndBlamesPlatform(bool stream)
    {
        await using var hanging = await FakeUpstream.StartAsync();
        hanging.DefaultResponse = FakeResponse.Hang();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, hanging.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository, maxAttempts: 1, attemptTimeout: TimeSpan.FromMilliseconds(300));
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.Timeout);

        Assert.Null(exception.StatusCode);
        await hanging.Requests[0].Aborted.WaitAsync(Wait);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, stream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task TimeoutBeforeHeaders_SecondPlatformHealthy_FailsOverAndBlamesFirstPlatform(bool stream)
    {
        var headersTooLate = Ok(stream, "too late").WithDelayBeforeHeaders(TimeSpan.FromSeconds(30));
        // Long enough for the healthy second platform to answer on a loaded machine; far below the 30 s the first takes.
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(headersTooLate, stream, attemptTimeout: TimeSpan.FromSeconds(2));

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null);

        Assert.Equal(1, scenario.Failing.RequestCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestTimeout_Passes_ThrowsTimeoutWithoutTryingAnotherPlatform(bool stream)
    {
        await using var hanging = await FakeUpstream.StartAsync();
        await using var healthy = await FakeUpstream.StartAsync();
        hanging.DefaultResponse = FakeResponse.Hang();
        healthy.DefaultResponse = Ok(stream, "never asked");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, hanging.BaseUrl, 10, UpstreamName, Alias);
        repository.AddOpenAIChannel(2, healthy.BaseUrl, 20, UpstreamName, Alias);
        // Long enough for the request to reach the hanging platform on a loaded machine; the attempt has no limit of its own.
        await using var gateway = CreateGateway(repository, attemptTimeout: Timeout.InfiniteTimeSpan, requestTimeout: TimeSpan.FromSeconds(2));
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.Timeout);

        Assert.Null(exception.StatusCode);
        Assert.Equal(1, hanging.RequestCount);
        Assert.Equal(0, healthy.RequestCount);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, stream);
        AssertUnknown(gateway, ResourceKind.Platform, 2);
    }

    [Fact]
    public async Task TimeoutBeforeFirstChunk_HeadersAndKeepAliveOnly_FailsOverAndBlamesPlatform()
    {
        var chunksTooLate = FakeResponse.SseRaw(": keep-alive\n\n", SseChunk("too late"), SseChunk(null, "stop"), SseDone())
            .WithDelayBetweenWrites(TimeSpan.FromSeconds(30));
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(chunksTooLate, stream: true, attemptTimeout: TimeSpan.FromSeconds(2));

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null, checkStatusCode: false);

        await scenario.Failing.Requests[0].Aborted.WaitAsync(Wait);
        Assert.Null(failover.FailedRow.FirstByteTime);
    }

    [Fact]
    public async Task AttemptTimeout_AfterFirstChunk_NoLongerLimitsTheStream()
    {
        await using var upstream = await FakeUpstream.StartAsync();

        // Chunks every second: the whole stream outlasts the 2 s attempt timeout, its first chunk does not.
        upstream.DefaultResponse = FakeResponse.Stream("a", "b", "c").WithDelayBetweenWrites(TimeSpan.FromSeconds(1));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository, attemptTimeout: TimeSpan.FromSeconds(2));

        var text = await SendAsync(gateway, RepositorySeed.Chat(Alias), stream: true);

        Assert.Equal("abc", text);
        Assert.Equal(HealthStatus.Available, gateway.GetHealth(ResourceKind.Platform, 1).Status);
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Single(rows);
        AssertSuccessRow(rows, 1, 101, stream: true);
    }

    // ---- 3. 401 / 403: the key ----

    [Theory]
    [InlineData(401, false)]
    [InlineData(401, true)]
    [InlineData(403, false)]
    [InlineData(403, true)]
    public async Task AuthError_SecondKeyValid_BlamesKeyAndFailsOverWithinPlatform(int status, bool stream)
    {
        var rejection = status == 401
            ? FakeResponse.Error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            : FakeResponse.Error(403, "This key is not allowed in your region.", "permission_error", "unsupported_country_region_territory");
        await using var scenario = await FailoverScenario.ToSecondKeyAsync(rejection, "with good key", stream);

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.ApiKey, status);

        Assert.Equal(["Bearer " + BadKey, "Bearer " + GoodKey], scenario.Failing.Requests.Select(r => r.Headers["Authorization"]));
        Assert.DoesNotContain(BadKey, failover.FailedRow.ErrorMessage, StringComparison.Ordinal);
    }

    // ---- 4. Model not found upstream: the model ----

    [Theory]
    [InlineData(404, "model_not_found", "The model `gpt-upstream` does not exist or you do not have access to it.", false)]
    [InlineData(404, "model_not_found", "The model `gpt-upstream` does not exist or you do not have access to it.", true)]
    [InlineData(404, null, "Not found", false)]
    [InlineData(404, null, "Not found", true)]
    [InlineData(400, "model_not_found", "Invalid model requested.", false)]
    [InlineData(400, "model_not_found", "Invalid model requested.", true)]
    [InlineData(400, null, "The model `x` does not exist", false)]
    [InlineData(400, null, "The model `x` does not exist", true)]
    public async Task ModelMissingUpstream_SecondPlatformHealthy_BlamesModelAndFailsOver(int status, string? code, string message, bool stream)
    {
        var modelMissing = FakeResponse.Error(status, message, "invalid_request_error", code);
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(modelMissing, stream);

        await scenario.AssertFailsOverAsync(ResourceKind.Model, status);
    }

    // ---- 5. 429: the key, for as long as Retry-After says ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RateLimited_SecondKeyFree_BlamesKeyForRetryAfterAndFailsOver(bool stream)
    {
        await using var scenario = await FailoverScenario.ToSecondKeyAsync(FakeResponse.RateLimited(TimeSpan.FromSeconds(120)), "with free key", stream);

        var (health, _) = await scenario.AssertFailsOverAsync(ResourceKind.ApiKey, 429);

        var before = scenario.Before;
        Assert.True(health.BackoffDuration >= TimeSpan.FromSeconds(120), $"BackoffDuration is {health.BackoffDuration}.");
        Assert.True(health.NextAvailableAt >= before + TimeSpan.FromSeconds(120), $"NextAvailableAt is {health.NextAvailableAt:O}, before was {before:O}.");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RateLimited_AllKeys_ThrowsUpstreamFailed429WithRetryAfter(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.RateLimited(TimeSpan.FromSeconds(120));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, BadKey, GoodKey);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);

        Assert.Equal(429, exception.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), exception.RetryAfter);
        Assert.Equal(2, upstream.RequestCount);
        foreach (var keyId in new long[] { 101, 102 })
        {
            var health = AssertBlamed(gateway, ResourceKind.ApiKey, keyId, 429, before);
            Assert.True(health.NextAvailableAt >= before + TimeSpan.FromSeconds(120), $"Key {keyId} NextAvailableAt is {health.NextAvailableAt:O}.");
        }

        AssertUnknown(gateway, ResourceKind.Platform, 1);
        AssertUnknown(gateway, ResourceKind.Model, 10);
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(2, rows.Count);
        AssertFailedRow(rows, 1, 101, 429, stream);
        AssertFailedRow(rows, 1, 102, 429, stream);
    }

    // ---- 6. 5xx: the platform ----

    [Theory]
    [InlineData(500, false)]
    [InlineData(500, true)]
    [InlineData(502, false)]
    [InlineData(502, true)]
    [InlineData(503, false)]
    [InlineData(503, true)]
    public async Task ServerError_SecondPlatformHealthy_BlamesPlatformAndFailsOver(int status, bool stream)
    {
        var serverError = status == 502
            ? FakeResponse.Text(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
            : FakeResponse.Error(status, "The server had an error while processing your request.", "server_error");
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(serverError, stream);

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, status);

        Assert.Equal(1, scenario.Failing.RequestCount);
    }

    // ---- 7. 400 invalid request: nobody, no retry ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task InvalidRequest400_TwoChannels_NotRetriedAndNobodyBlamed(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(400, "Invalid value for 'temperature': expected a number between 0 and 2.", "invalid_request_error", "invalid_value");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        repository.AddOpenAIChannel(2, upstream.BaseUrl, 20, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.InvalidRequest);

        Assert.Equal(400, exception.StatusCode);
        Assert.Contains("temperature", exception.Message, StringComparison.Ordinal);
        Assert.Equal(1, upstream.RequestCount);
        foreach (var (kind, id) in new (ResourceKind, long)[] { (ResourceKind.Platform, 1), (ResourceKind.Platform, 2), (ResourceKind.ApiKey, 101), (ResourceKind.ApiKey, 201), (ResourceKind.Model, 10), (ResourceKind.Model, 20) })
        {
            AssertUnknown(gateway, kind, id);
        }

        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Single(rows);
        AssertFailedRow(rows, 1, 101, 400, stream);
    }

    // ---- 8. Reset before the first chunk: the platform, fail over ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResetBeforeFirstChunk_SecondPlatformHealthy_BlamesPlatformAndFailsOver(bool stream)
    {
        var cutShort = stream
            ? FakeResponse.Stream("cut", "short").ResetAfterBytes(10) // "data: {\"id" -- less than the first event
            : FakeResponse.ChatCompletion("cut short").ResetAfterBytes(10);
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(cutShort, stream);

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null, checkStatusCode: false);

        Assert.Equal(1, scenario.Failing.RequestCount);
        Assert.Null(failover.FailedRow.FirstByteTime);
    }

    // ---- 9. Reset after the first chunk: no failover, the stream ends with an error ----

    [Fact]
    public async Task ResetAfterFirstChunk_Streaming_DeliversChunkThenThrowsWithoutFailover()
    {
        var first = SseChunk("first");
        var cutAfterFirst = FakeResponse.SseRaw(first, SseChunk("second"), SseChunk(null, "stop"), SseDone())
            .ResetAfterBytes(Encoding.UTF8.GetByteCount(first));
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(cutAfterFirst, stream: true);

        var (received, exception) = await StreamUntilFailureAsync(scenario.Gateway, Alias);

        Assert.Equal(["first"], received);
        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Equal(0, scenario.Healthy.RequestCount);
        AssertUnknown(scenario.Gateway, ResourceKind.Platform, 2);
        await AssertBrokenStreamBlamedOnPlatformAsync(scenario.Gateway, scenario.Before);
    }

    // ---- 10. Malformed stream or body: the platform ----

    [Theory]
    [InlineData("json", "not valid JSON")]
    [InlineData("html", "not a valid event stream")]
    public async Task MalformedEventStream_ThrowsClearErrorAndBlamesPlatform(string kind, string expectedMessage)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = kind == "json"
            ? FakeResponse.SseRaw("data: {not json\n\n")
            : FakeResponse.Text(200, "<html>oops</html>", "text/event-stream");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream: true, PortalErrorCode.UpstreamFailed);

        Assert.Contains(expectedMessage, exception.Message, StringComparison.Ordinal);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, stream: true, checkStatusCode: false);
    }

    [Fact]
    public async Task MalformedJsonBody_NonStreaming_ThrowsClearErrorAndBlamesPlatform()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200, "{not json");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream: false, PortalErrorCode.UpstreamFailed);

        Assert.Contains("not valid JSON", exception.Message, StringComparison.Ordinal);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, stream: false, checkStatusCode: false);
    }

    // ---- 11. A stream that just stops ----

    [Fact]
    public async Task MissingDone_Streaming_DeliversChunksThenFailsAndRecordsFailure()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("a", "b").WithoutDone();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var (received, exception) = await StreamUntilFailureAsync(gateway, Alias);

        Assert.Equal(["a", "b"], received);
        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Contains("[DONE]", exception.Message, StringComparison.Ordinal);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(gateway, before);
        Assert.False(row.Success);
    }

    [Fact]
    public async Task EmptyEventStream_SecondPlatformHealthy_BlamesPlatformAndFailsOver()
    {
        var keepAliveOnly = FakeResponse.SseRaw(": keep-alive\n\n");
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(keepAliveOnly, stream: true);

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null, checkStatusCode: false);
    }

    // ---- 12. An error body sent with status 200 ----

    [Theory]
    [InlineData(false, "server_error", 500)]
    [InlineData(true, "server_error", 500)]
    [InlineData(false, "rate_limit_error", 429)]
    [InlineData(true, "rate_limit_error", 429)]
    public async Task ErrorBodyWithStatus200_ThrowsAndBlamesByErrorType(bool stream, string type, int expectedStatus)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var body = "{\"error\":{\"message\":\"overloaded\",\"type\":\"" + type + "\"}}";
        upstream.DefaultResponse = stream ? FakeResponse.SseRaw("data: " + body + "\n\n") : FakeResponse.Json(200, body);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);

        Assert.Equal(expectedStatus, exception.StatusCode);
        Assert.Contains("overloaded", exception.Message, StringComparison.Ordinal);
        var blamed = expectedStatus == 429 ? ResourceKind.ApiKey : ResourceKind.Platform;
        await AssertBlamedWithoutFailoverAsync(gateway, blamed, expectedStatus, before, stream);
    }

    // ---- 13. The caller cancels: nobody is blamed, the upstream call is aborted ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallerCancels_WhileUpstreamHangs_ThrowsCanceledAbortsUpstreamBlamesNobody(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Hang();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        using var cts = new CancellationTokenSource();

        var call = SendAsync(gateway, RepositorySeed.Chat(Alias), stream, cts.Token);
        var request = await upstream.WaitForRequestsAsync(1, Wait);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await request.Aborted.WaitAsync(Wait);
        var row = await AssertAbandonedWithoutBlameAsync(gateway);
        Assert.Equal((1L, 101L, stream), (row.PlatformId, row.ApiKeyId, row.IsStream));
    }

    [Fact]
    public async Task CallerCancels_AfterFirstChunk_ThrowsCanceledAbortsUpstreamBlamesNobody()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream([.. Enumerable.Range(0, 20).Select(i => $"part{i} ")]).WithDelayBetweenWrites(TimeSpan.FromMilliseconds(200));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        using var cts = new CancellationTokenSource();
        var received = new List<string?>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var chunk in gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias), cts.Token))
            {
                received.Add(chunk.Choices[0].Delta?.Content);
                await cts.CancelAsync();
            }
        });

        Assert.Equal(["part0 "], received);
        await upstream.Requests[0].Aborted.WaitAsync(Wait);
        var row = await AssertAbandonedWithoutBlameAsync(gateway);
        Assert.True(row.IsStream);
    }

    [Fact]
    public async Task CallerBreaks_AfterFirstChunk_AbortsUpstreamRecordsOneFailedRowBlamesNobody()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream([.. Enumerable.Range(0, 20).Select(i => $"part{i} ")]).WithDelayBetweenWrites(TimeSpan.FromMilliseconds(200));
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);
        var received = new List<string?>();

        await foreach (var chunk in gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)))
        {
            received.Add(chunk.Choices[0].Delta?.Content);
            break;
        }

        Assert.Equal(["part0 "], received);
        await upstream.Requests[0].Aborted.WaitAsync(Wait);
        var row = await AssertAbandonedWithoutBlameAsync(gateway);
        Assert.True(row.IsStream);
        Assert.Equal((1L, 101L), (row.PlatformId, row.ApiKeyId));
    }

    // ---- 14. Events and characters split across writes ----

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task SplitWrites_Streaming_ContentArrivesIntact(int splitEvery)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("héllo wörld 你好", "second").SplitEvery(splitEvery);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);

        var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)).ToListAsync();

        Assert.Equal(["héllo wörld 你好", "second"], chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content).OfType<string>());
        Assert.Equal("stop", chunks[^1].Choices[0].FinishReason);
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.True(row.Success);
        Assert.Equal(7, row.CompletionTokens);
    }

    // ---- 15. Line endings and comments ----

    [Theory]
    [InlineData("\r\n", 0)]
    [InlineData("\r\n", 1)]
    [InlineData("\r\n", 2)]
    [InlineData("\r", 0)]
    [InlineData("\r", 1)]
    [InlineData("\n", 1)]
    public async Task LineEndingsAndKeepAliveComments_Streaming_ParsedCorrectly(string lineEnd, int splitEvery)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var response = FakeResponse.SseRaw(
            ": keep-alive" + lineEnd + lineEnd,
            SseChunk("Hi", lineEnd: lineEnd),
            ": keep-alive" + lineEnd,
            lineEnd,
            SseChunk(" thére", lineEnd: lineEnd),
            SseChunk(null, "stop", lineEnd),
            SseDone(lineEnd));
        upstream.DefaultResponse = splitEvery > 0 ? response.SplitEvery(splitEvery) : response;
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);

        var chunks = await gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)).ToListAsync();

        Assert.Equal(3, chunks.Count);
        Assert.Equal("Hi thére", string.Concat(chunks.SelectMany(c => c.Choices).Select(c => c.Delta?.Content)));
        Assert.Equal("stop", chunks[^1].Choices[0].FinishReason);
        Assert.True(Assert.Single(await gateway.QueryStatsAsync(new StatsQuery())).Success);
    }

    // ---- 16. Nothing to route to ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UnknownModel_ThrowsModelNotFoundWithoutCallingUpstreamOrRecordingStats(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository);

        var exception = await SendFailingAsync(gateway, "no-such-model", stream, PortalErrorCode.ModelNotFound);

        Assert.Contains("no-such-model", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, upstream.RequestCount);
        Assert.Empty(await gateway.QueryStatsAsync(new StatsQuery()));
        AssertUnknown(gateway, ResourceKind.Platform, 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OnlyKeyBackingOff_SecondRequest_ThrowsNoAvailableChannelWithoutCallingUpstream(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, BadKey);
        await using var gateway = CreateGateway(repository, maxAttempts: 1);
        var before = DateTimeOffset.UtcNow;

        var first = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);
        var second = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.NoAvailableChannel);

        Assert.Equal(401, first.StatusCode);
        Assert.NotNull(second.RetryAfter);
        Assert.True(second.RetryAfter > TimeSpan.Zero);
        Assert.Equal(1, upstream.RequestCount);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.ApiKey, 401, before, stream);
    }

    // ---- 17. MaxAttempts and one try per channel ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MaxAttempts2_ThreeFailingPlatformsAndOneHealthy_FailsAfterExactlyTwoRequests(bool stream)
    {
        await using var failing = await FakeUpstream.StartAsync();
        await using var healthy = await FakeUpstream.StartAsync();
        failing.DefaultResponse = FakeResponse.Error(500, "The server had an error.", "server_error");
        healthy.DefaultResponse = Ok(stream, "never reached");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, failing.BaseUrl, 10, UpstreamName, Alias);
        repository.AddOpenAIChannel(2, failing.BaseUrl, 20, UpstreamName, Alias);
        repository.AddOpenAIChannel(3, failing.BaseUrl, 30, UpstreamName, Alias);
        repository.AddOpenAIChannel(4, healthy.BaseUrl, 40, UpstreamName, Alias);
        await using var gateway = CreateGateway(repository, maxAttempts: 2);
        var before = DateTimeOffset.UtcNow;

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);

        Assert.Equal(500, exception.StatusCode);
        Assert.Equal(2, failing.RequestCount);
        Assert.Equal(0, healthy.RequestCount);
        AssertBlamed(gateway, ResourceKind.Platform, 1, 500, before);
        AssertBlamed(gateway, ResourceKind.Platform, 2, 500, before);
        AssertUnknown(gateway, ResourceKind.Platform, 3);
        AssertUnknown(gateway, ResourceKind.Platform, 4);
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(2, rows.Count);
        AssertFailedRow(rows, 1, 101, 500, stream);
        AssertFailedRow(rows, 2, 201, 500, stream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task FailedChannel_UsableAgainAtOnce_NotTriedTwiceInOneRequest(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(500, "The server had an error.", "server_error");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);

        // A one-tick backoff makes the failed channel usable again at once, so only the per-request bookkeeping keeps it from a retry.
        var backoff = new BackoffOptions { InitialDelay = TimeSpan.FromTicks(1), MaxDelay = TimeSpan.FromTicks(1) };
        await using var gateway = CreateGateway(repository, maxAttempts: 3, backoff: backoff);

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.UpstreamFailed);

        Assert.Equal(500, exception.StatusCode);
        Assert.Equal(1, upstream.RequestCount);
        var health = gateway.GetHealth(ResourceKind.Platform, 1);
        Assert.Equal(HealthStatus.Warning, health.Status);
        Assert.Equal(1, health.RetryCount);
        Assert.Equal(500, health.LastErrorCode);
        AssertUnknown(gateway, ResourceKind.ApiKey, 101);
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Single(rows);
        AssertFailedRow(rows, 1, 101, 500, stream);
    }
}
