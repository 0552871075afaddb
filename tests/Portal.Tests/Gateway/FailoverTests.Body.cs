using System.Text;
using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Gateway;

/// <content>
/// Status 200 with something wrong in what follows: an error in the body or first event, a body or stream that is not
/// what was asked for, a stream that ends early or breaks. Before the first byte reached the caller it fails over; after
/// it, the answer is committed: the caller sees it break, and the row says 200 with an error.
/// </content>
public sealed partial class FailoverTests
{
    private const string ErrorIn200Message = "The engine is overloaded.";

    // The typed adapter says "is not valid JSON", the byte relay "is not a valid JSON object": one rule, worded twice.
    private const string NotValidJson = "not (a )?valid JSON";

    /// <summary>Entry, how the error comes ("json": a JSON body with status 200; "event": a stream's first event), its type, and the status that type stands for.</summary>
    public static TheoryData<Entry, string, string, int> ErrorsIn200
    {
        get
        {
            var data = new TheoryData<Entry, string, string, int>();
            foreach (var (type, status) in new[] { ("server_error", 500), ("rate_limit_error", 429) })
            {
                // A JSON error body answers any request, a stream's too (its JSON content type says it is no stream).
                foreach (var entry in Enum.GetValues<Entry>())
                {
                    data.Add(entry, "json", type, status);
                }

                // Only a stream has events.
                data.Add(Entry.TypedStream, "event", type, status);
                data.Add(Entry.RelayStream, "event", type, status);
            }

            return data;
        }
    }

    // ---- An error carried by a 200 answer: blamed by its type, fail over ----

    [Theory]
    [MemberData(nameof(ErrorsIn200))]
    public async Task ErrorIn200_SecondPlatformHealthy_BlamesByErrorTypeAndFailsOver(Entry entry, string carrier, string type, int status)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(ErrorIn200(carrier, type), entry);

        var failover = await scenario.AssertFailsOverAsync(status == 429 ? ResourceKind.ApiKey : ResourceKind.Platform, status);

        Assert.Contains(ErrorIn200Message, failover.FailedRow.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ErrorsIn200))]
    public async Task ErrorIn200_OnlyPlatform_ThrowsItsStatusAndMessageAndBlamesByErrorType(Entry entry, string carrier, string type, int status)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = ErrorIn200(carrier, type);
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl));
        var before = DateTimeOffset.UtcNow;

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertNothingSent();
        Assert.Equal(status, exception.StatusCode);
        Assert.Contains(ErrorIn200Message, exception.Message, StringComparison.Ordinal);
        await AssertBlamedWithoutFailoverAsync(gateway, status == 429 ? ResourceKind.ApiKey : ResourceKind.Platform, status, before, entry.IsStream());
    }

    // ---- A stream that is no stream: the platform, fail over ----

    // Streams only here: what a JSON request gets wrong in its body is MalformedBody below.
    /// <summary>Entry, what comes instead of events, and a pattern of the error message.</summary>
    public static TheoryData<Entry, string, string> NotAStreamAnswers
    {
        get
        {
            var data = new TheoryData<Entry, string, string>();
            foreach (var entry in new[] { Entry.TypedStream, Entry.RelayStream })
            {
                data.Add(entry, "empty", "without any event");
                data.Add(entry, "keep-alive", "without any event");
                data.Add(entry, "keep-alive and ping", "without any event");
                data.Add(entry, "json completion", "JSON");
                data.Add(entry, "first event not json", NotValidJson);
                data.Add(entry, "html", "not a valid event stream");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(NotAStreamAnswers))]
    public async Task NotAStream_SecondPlatformHealthy_BlamesPlatformAndFailsOver(Entry entry, string kind, string expectedMessage)
    {
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(NotAStream(kind), entry);

        var failover = await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null);

        Assert.Matches(expectedMessage, failover.FailedRow.ErrorMessage);
    }

    [Theory]
    [MemberData(nameof(NotAStreamAnswers))]
    public async Task NotAStream_OnlyPlatform_ThrowsClearErrorAndBlamesPlatform(Entry entry, string kind, string expectedMessage)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = NotAStream(kind);
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl));
        var before = DateTimeOffset.UtcNow;

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertNothingSent();
        Assert.Matches(expectedMessage, exception.Message);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, entry.IsStream());
    }

    // ---- A JSON body that is not JSON: the platform ----

    // JSON entry points only: a stream's body is events (NotAStream above).
    [Theory]
    [InlineData(Entry.TypedJson, "{not json")]
    [InlineData(Entry.TypedJson, "{\"choices\":[ <html>")]
    [InlineData(Entry.RelayJson, "{not json")]
    [InlineData(Entry.RelayJson, "{\"choices\":[ <html>")]
    public async Task MalformedBody_OnlyPlatform_ThrowsClearErrorInsteadOfRelayingItAndBlamesPlatform(Entry entry, string body)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Json(200, body);
        await using var gateway = CreateGateway(OneChannel(upstream.BaseUrl));
        var before = DateTimeOffset.UtcNow;

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertNothingSent();
        Assert.Matches(NotValidJson, exception.Message);
        await AssertBlamedWithoutFailoverAsync(gateway, ResourceKind.Platform, statusCode: null, before, stream: false);
    }

    // ---- Events the caller never sees commit nothing ----

    // Streams only: a JSON answer has no events to hide.
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task HiddenUsageChunkThenEnd_NothingReachedTheCaller_FailsOverAndBlamesPlatform(Entry entry)
    {
        // The caller did not ask for usage, so the usage-only chunk the gateway asked for is for its stats alone. The stream
        // ends after it: nothing has reached the caller, so nothing is committed and another platform may still answer.
        await using var scenario = await FailoverScenario.ToSecondPlatformAsync(FakeResponse.SseRaw(Sse(UsageOnlyData)), entry);

        await scenario.AssertFailsOverAsync(ResourceKind.Platform, statusCode: null);
    }

    // ---- After the first event: committed, no failover; the caller sees the stream break ----

    // Streams only: a JSON answer is read whole before its first byte reaches the caller (ResetBeforeFirstByte).
    public static TheoryData<Entry, int> CutPoints => new()
    {
        // entry, bytes after the first event at which the connection drops (inside the second event, or right after the first)
        { Entry.TypedStream, 0 },
        { Entry.TypedStream, 10 },
        { Entry.RelayStream, 0 },
        { Entry.RelayStream, 10 },
    };

    [Theory]
    [MemberData(nameof(CutPoints))]
    public async Task StreamCutAfterFirstEvent_DeliversItThenThrowsWithoutFailoverAndBlamesPlatform(Entry entry, int bytesMore)
    {
        var first = SseChunk("first");
        var cut = FakeResponse.SseRaw(first, SseChunk("second"), SseChunk(null, "stop"), SseDone())
            .ResetAfterBytes(Encoding.UTF8.GetByteCount(first) + bytesMore);
        await using var setup = await TwoPlatformsAsync(cut);

        var sent = await EntryPoints.SendAsync(setup.Gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertBrokenAfter("first");
        Assert.StartsWith("The stream failed after it started", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, setup.Second.RequestCount);
        AssertUnknown(setup.Gateway, ResourceKind.Platform, 2);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(setup.Gateway, setup.Before);
        Assert.Equal(200, row.StatusCode); // The caller had its 200 already.
        Assert.Contains("middle of the stream", row.ErrorMessage, StringComparison.Ordinal);
    }

    // Streams only: a JSON answer has no end to miss.
    [Theory]
    [InlineData(Entry.TypedStream)]
    [InlineData(Entry.RelayStream)]
    public async Task StreamEndsWithoutDoneOrFinishReason_DeliversEventsThenThrowsWithoutFailoverAndBlamesPlatform(Entry entry)
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.Stream("a", "b").WithoutDone());

        var sent = await EntryPoints.SendAsync(setup.Gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertBrokenAfter("a", "b");
        Assert.Contains("[DONE]", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(setup.Gateway, setup.Before);
        Assert.Equal(200, row.StatusCode);
        Assert.Contains("[DONE]", row.ErrorMessage, StringComparison.Ordinal);
    }

    public static TheoryData<Entry, string, int> BadEventsAfterFirst
    {
        get
        {
            // entry, the second event's data, the row's status: an error event's own, else the 200 the caller had
            var data = new TheoryData<Entry, string, int>();
            foreach (var entry in new[] { Entry.TypedStream, Entry.RelayStream })
            {
                data.Add(entry, "{\"error\":{\"message\":\"Model crashed\",\"type\":\"server_error\",\"code\":null}}", 500);
                data.Add(entry, "{\"choices\":[ not json", 200);
                data.Add(entry, "[1,2]", 200);
            }

            return data;
        }
    }

    // Streams only: a JSON answer has no second event.
    [Theory]
    [MemberData(nameof(BadEventsAfterFirst))]
    public async Task BadEventAfterFirst_DeliversFirstThenThrowsWithoutFailoverAndBlamesPlatform(Entry entry, string badData, int rowStatus)
    {
        await using var setup = await TwoPlatformsAsync(FakeResponse.SseRaw(SseChunk("a"), Sse(badData), SseChunk(null, "stop"), SseDone()));

        var sent = await EntryPoints.SendAsync(setup.Gateway, entry);

        sent.AssertFailed(PortalErrorCode.UpstreamFailed);
        sent.AssertBrokenAfter("a");
        Assert.Equal(0, setup.Second.RequestCount);
        var row = await AssertBrokenStreamBlamedOnPlatformAsync(setup.Gateway, setup.Before);
        Assert.Equal(rowStatus, row.StatusCode);
    }

    /// <summary>An error of <paramref name="type"/> in a 200 answer: a JSON body, or a stream's first event.</summary>
    private static FakeResponse ErrorIn200(string carrier, string type)
    {
        var error = "{\"error\":{\"message\":\"" + ErrorIn200Message + "\",\"type\":\"" + type + "\",\"param\":null,\"code\":null}}";
        return carrier == "json" ? FakeResponse.Json(200, error) : FakeResponse.SseRaw(Sse(error), SseDone());
    }

    private static FakeResponse NotAStream(string kind) => kind switch
    {
        "empty" => FakeResponse.SseRaw(),
        "keep-alive" => FakeResponse.SseRaw(": keep-alive\n\n"),
        "keep-alive and ping" => FakeResponse.SseRaw(": keep-alive\n\nevent: ping\n\n"),
        "json completion" => FakeResponse.ChatCompletion("not a stream"),
        "first event not json" => FakeResponse.SseRaw(Sse("{\"choices\":[ oops"), SseDone()),
        "html" => FakeResponse.Text(200, "<html>oops</html>", "text/event-stream"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Platform 1 answers <paramref name="first"/>; platform 2 would answer well but must never be asked once platform 1 has committed.</summary>
    private static async Task<TwoPlatforms> TwoPlatformsAsync(FakeResponse first)
    {
        var one = await FakeUpstream.StartAsync();
        var two = await FakeUpstream.StartAsync();
        one.DefaultResponse = first;
        two.DefaultResponse = FakeResponse.Stream("second");
        var repository = TwoChannels(one.BaseUrl, two.BaseUrl);
        return new TwoPlatforms(one, two, repository, CreateGateway(repository), DateTimeOffset.UtcNow);
    }

    private sealed record TwoPlatforms(FakeUpstream First, FakeUpstream Second, InMemoryPortalRepository Repository, PortalGateway Gateway, DateTimeOffset Before) : IAsyncDisposable
    {
        /// <summary>The stat rows in storage, read without the gateway (which would write what is still queued first).</summary>
        public Task<IReadOnlyList<RequestStat>> StoredRowsAsync() => Repository.QueryRequestStatsAsync(new StatsQuery(), CancellationToken.None);

        public async ValueTask DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await First.DisposeAsync();
            await Second.DisposeAsync();
        }
    }
}
