using Portal.Health;
using Portal.Relay;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>
/// Failures before the writer is started: each fails over to the next channel, which serves the client; the writer is
/// started once, by the successful attempt. Platform 1 (model 10, key 101) is tried first.
/// </summary>
public sealed class RelayFailoverTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_FirstPlatform500_FailsOverAndBlamesPlatform(bool stream)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.Error(500, "The server had an error.", "server_error"), stream);

        await AssertRelayFailsOverAsync(scenario, stream, ResourceKind.Platform, 500, new ChannelIds(2, 201, 20));

        Assert.Equal(1, scenario.Failing.RequestCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_ConnectionRefused_FailsOverAndBlamesPlatform(bool stream)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeUpstream.UnusedBaseUrl(), stream);

        var failedRow = await AssertRelayFailsOverAsync(scenario, stream, ResourceKind.Platform, null, new ChannelIds(2, 201, 20));

        Assert.Contains("refused", failedRow.ErrorMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_KeyRejected401_FailsOverToSecondKeyAndBlamesKey(bool stream)
    {
        var rejection = FakeResponse.Error(401, "Incorrect API key provided: " + BadKey, "invalid_request_error", "invalid_api_key");
        await using var scenario = await FailoverScenario.ToSecondKeyAsync(rejection, "with good key", stream);

        var failedRow = await AssertRelayFailsOverAsync(scenario, stream, ResourceKind.ApiKey, 401, new ChannelIds(1, 102, 10), "with good key");

        Assert.Equal(["Bearer " + BadKey, "Bearer " + GoodKey], scenario.Failing.Requests.Select(r => r.Headers["Authorization"]));
        Assert.DoesNotContain(BadKey, failedRow.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_ErrorJsonInside200_FailsOverAndBlamesPlatform(bool stream)
    {
        // Status 200 with an error body; for a stream it also has a JSON content type. "server_error" makes it a 500.
        var errorIn200 = FakeResponse.Json(200, "{\"error\":{\"message\":\"The engine is overloaded.\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(errorIn200, stream);

        var failedRow = await AssertRelayFailsOverAsync(scenario, stream, ResourceKind.Platform, 500, new ChannelIds(2, 201, 20));

        Assert.Contains("overloaded", failedRow.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_StreamAnsweredWithJsonCompletion_FailsOverAndBlamesPlatform()
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.ChatCompletion("not a stream"), stream: true);

        var failedRow = await AssertRelayFailsOverAsync(scenario, stream: true, ResourceKind.Platform, null, new ChannelIds(2, 201, 20));

        Assert.Contains("JSON", failedRow.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(": keep-alive\n\n")]
    [InlineData(": keep-alive\n\nevent: ping\n\n")]
    public async Task Relay_StreamEndsWithoutAnyEvent_FailsOverAndBlamesPlatform(string raw)
    {
        var empty = raw.Length == 0 ? FakeResponse.SseRaw() : FakeResponse.SseRaw(raw);
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(empty, stream: true);

        var failedRow = await AssertRelayFailsOverAsync(scenario, stream: true, ResourceKind.Platform, null, new ChannelIds(2, 201, 20));

        Assert.Contains("without any event", failedRow.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Relay_StreamFirstEventIsError_FailsOverAndBlamesPlatform()
    {
        var errorEvent = FakeResponse.SseRaw(Sse("{\"error\":{\"message\":\"Internal failure\",\"type\":\"server_error\",\"code\":null}}"), SseDone());
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(errorEvent, stream: true);

        await AssertRelayFailsOverAsync(scenario, stream: true, ResourceKind.Platform, 500, new ChannelIds(2, 201, 20));
    }

    [Fact]
    public async Task Relay_StreamFirstEventNotJson_FailsOverAndBlamesPlatform()
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.SseRaw(Sse("{\"choices\":[ oops"), SseDone()), stream: true);

        await AssertRelayFailsOverAsync(scenario, stream: true, ResourceKind.Platform, null, new ChannelIds(2, 201, 20));
    }

    [Fact]
    public async Task Relay_NonStreamResetMidBody_FailsOverAndBlamesPlatform()
    {
        // A non-streaming body is read whole before the writer starts, so a cut body still fails over.
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.ChatCompletion("cut short").ResetAfterBytes(20), stream: false);

        await AssertRelayFailsOverAsync(scenario, stream: false, ResourceKind.Platform, null, new ChannelIds(2, 201, 20));
    }

    [Fact]
    public async Task Relay_StreamResetBeforeFirstEvent_FailsOverAndBlamesPlatform()
    {
        var cut = FakeResponse.SseRaw(SseChunk("never"), SseChunk(null, "stop"), SseDone()).ResetAfterBytes(15);
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(cut, stream: true);

        await AssertRelayFailsOverAsync(scenario, stream: true, ResourceKind.Platform, null, new ChannelIds(2, 201, 20));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_EveryChannelFails_ThrowsUpstreamFailedWithoutStartingWriter(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(502, "Bad gateway", "server_error");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        repository.AddOpenAIChannel(2, upstream.BaseUrl, 20, UpstreamName, Alias);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ChatBody(stream), writer));

        Assert.Equal(PortalErrorCode.UpstreamFailed, exception.Code);
        Assert.Equal(502, exception.StatusCode);
        Assert.Empty(writer.Calls); // Never started: the caller can still answer with an error status.
        var rows = await gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(2, rows.Count);
        AssertFailedRow(rows, 1, 101, 502, stream);
        AssertFailedRow(rows, 2, 201, 502, stream);
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.Platform, 1).Status);
        Assert.Equal(HealthStatus.Warning, gateway.GetHealth(ResourceKind.Platform, 2).Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_UpstreamRejectsRequest400_ThrowsInvalidRequestWithoutFailover(bool stream)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.Error(400, "Invalid value for 'temperature'.", "invalid_request_error", "invalid_value"), stream);
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(scenario.Gateway, ChatBody(stream), writer));

        Assert.Equal(PortalErrorCode.InvalidRequest, exception.Code);
        Assert.Equal(400, exception.StatusCode);
        Assert.Empty(writer.Calls);
        Assert.Equal(0, scenario.Healthy.RequestCount);
        AssertFirstChannelNotBlamed(scenario.Gateway);
        var rows = await scenario.Gateway.QueryStatsAsync(new StatsQuery());
        Assert.Single(rows);
        AssertFailedRow(rows, 1, 101, 400, stream);
    }

    [Fact]
    public async Task Relay_UnknownModel_ThrowsModelNotFoundWithoutStatRow()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        await using var gateway = CreateRelayGateway(repository);
        var writer = new RecordingRelayWriter();

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, ChatBody(stream: false, model: "no-such-model"), writer));

        Assert.Equal(PortalErrorCode.ModelNotFound, exception.Code);
        Assert.Empty(writer.Calls);
        Assert.Equal(0, upstream.RequestCount);
        Assert.Empty(await gateway.QueryStatsAsync(new StatsQuery()));
    }

    /// <summary>
    /// Relays one request and asserts it failed over: the next channel's answer reached the writer, which was started once; the
    /// first channel's <paramref name="blamed"/> resource is backing off after one failure with <paramref name="statusCode"/>
    /// and its other resources took no blame; the result names the next channel after 2 attempts; the stat rows are the failed
    /// attempt, then the success.
    /// </summary>
    /// <returns>The failed attempt's row.</returns>
    private static async Task<RequestStat> AssertRelayFailsOverAsync(FailoverScenario scenario, bool stream, ResourceKind blamed, int? statusCode, ChannelIds next, string answer = FailoverScenario.SecondPlatformAnswer)
    {
        var writer = new RecordingRelayWriter();

        var result = await RelayAsync(scenario.Gateway, ChatBody(stream), writer);

        AssertComplete(writer, stream);
        Assert.Equal(answer, writer.Text());
        Assert.Equal(new ChatRelayResult(next.PlatformId, next.ModelId, next.KeyId, 2, 5, 7), result);
        AssertBlamed(scenario.Gateway, blamed, FirstChannel.IdOf(blamed), statusCode, scenario.Before);
        foreach (var (kind, id) in FirstChannel.ResourcesOtherThan(blamed))
        {
            AssertNotBlamed(scenario.Gateway, kind, id);
        }

        Assert.Equal(HealthStatus.Available, scenario.Gateway.GetHealth(blamed, next.IdOf(blamed)).Status);
        var rows = await scenario.Gateway.QueryStatsAsync(new StatsQuery());
        Assert.Equal(2, rows.Count);
        var failed = AssertFailedRow(rows, FirstChannel.PlatformId, FirstChannel.KeyId, statusCode, stream);
        var success = AssertSuccessRow(rows, next.PlatformId, next.KeyId, stream);
        Assert.True(failed.Timestamp <= success.Timestamp, $"The failed attempt ({failed.Timestamp:O}) should come before the success ({success.Timestamp:O}).");
        Assert.Null(failed.FirstByteTime);
        Assert.Equal((5, 7), (success.PromptTokens, success.CompletionTokens));
        return failed;
    }
}
