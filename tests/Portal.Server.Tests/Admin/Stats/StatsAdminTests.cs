using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Portal.Contracts;
using Portal.Server.Tests.Infrastructure;

namespace Portal.Server.Tests.Admin.Stats;

public sealed class StatsAdminTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>
    /// Four rows: three in the last 24 hours (models a, a, b; callers client-1, client-2, admin; protocol openai-chat;
    /// target formats openai, openai, anthropic; r1 and r3 report prompt-cache use), one two days old (model a, no
    /// protocol, caller, target format or cache counts: written before they were recorded).
    /// </summary>
    private static readonly RequestStat[] Rows =
    [
        Stat("r1", Now.AddMinutes(-10), "a", platformId: 1, apiKeyId: 11, success: true, stream: false, durationMs: 100) with { Protocol = InboundProtocols.OpenAIChat, Caller = "client-1", TargetFormat = "openai", PromptTokens = 50, CachedInputTokens = 40, CacheWriteTokens = 0 },
        Stat("r2", Now.AddMinutes(-9), "a", platformId: 1, apiKeyId: 12, success: false, stream: true, durationMs: 200) with { Protocol = InboundProtocols.OpenAIChat, Caller = "client-2", TargetFormat = "openai" },
        Stat("r3", Now.AddMinutes(-8), "b", platformId: 2, apiKeyId: 21, success: true, stream: true, durationMs: 300) with { Protocol = InboundProtocols.OpenAIChat, Caller = "admin", TargetFormat = "anthropic", PromptTokens = 900, CachedInputTokens = 500, CacheWriteTokens = 300 },
        Stat("r4", Now.AddDays(-2), "a", platformId: 1, apiKeyId: 11, success: true, stream: false, durationMs: 400),
    ];

    [Fact]
    public async Task Query_StorageRefusesWrites_AnswersWithWhatIsWrittenInsteadOfWaiting()
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminTestKit.AdminToken;
            o.PortalJson = AdminTestKit.MockConfig;
        });
        var admin = host.CreateClient(AdminTestKit.AdminToken);

        // Another connection holds the write lock: the stat of the next request stays queued, its writes failing.
        await using var writeLock = new SqliteConnection($"Data Source={Path.Combine(host.Directory, "portal.db")};Pooling=False");
        await writeLock.OpenAsync();
        await using (var begin = writeLock.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE;";
            await begin.ExecuteNonQueryAsync();
        }

        using (var chat = await host.Client.PostAsync("v1/chat/completions", new StringContent("""{"model":"x","messages":[{"role":"user","content":"hi"}]}""")))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        // Waiting for the queued stat would hang for as long as the lock is held; the read must answer meanwhile.
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        using (var response = await admin.GetAsync("admin/stats", timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await using (var rollback = writeLock.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK;";
            await rollback.ExecuteNonQueryAsync();
        }

        // Once storage takes writes again, the queued stat arrives.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var body = await admin.SendAsync(HttpMethod.Get, "admin/stats", null, HttpStatusCode.OK);
            if (Ids(body).Length == 1)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the queued stat was never written after the lock was released");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Query_NoFilters_ReturnsNewestFirstWithoutKeyValues()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/stats", null, HttpStatusCode.OK);

        Assert.Equal(["r3", "r2", "r1", "r4"], Ids(body));
        Assert.Equal(100, (int)body["limit"]!);
        Assert.Equal(0, (int)body["offset"]!);
        Assert.False((bool)body["hasMore"]!);
        var r2 = body["data"]![1]!;
        Assert.Equal("a", (string?)r2["modelName"]);
        Assert.Equal(12, (long)r2["apiKeyId"]!);
        Assert.False((bool)r2["success"]!);
        Assert.True((bool)r2["isStream"]!);
        Assert.Equal(200, (double)r2["durationMs"]!);
        Assert.Equal("boom", (string?)r2["errorMessage"]);
        Assert.Equal(Rows[1].Timestamp, DateTimeOffset.Parse((string)r2["timestamp"]!, CultureInfo.InvariantCulture));
        Assert.Equal("openai-chat", (string?)r2["protocol"]);
        Assert.Equal("client-2", (string?)r2["caller"]);
        Assert.Null(r2["value"]);

        var r3 = body["data"]![0]!;
        Assert.Equal(("anthropic", 900, 500, 300), ((string?)r3["targetFormat"], (int?)r3["promptTokens"], (int?)r3["cachedInputTokens"], (int?)r3["cacheWriteTokens"]));

        // Written before protocols, callers, target formats and cache counts were recorded: all present, as null.
        var r4 = body["data"]![3]!.AsObject();
        Assert.True(r4.ContainsKey("protocol") && r4["protocol"] is null);
        Assert.True(r4.ContainsKey("caller") && r4["caller"] is null);
        Assert.True(r4.ContainsKey("targetFormat") && r4["targetFormat"] is null);
        Assert.True(r4.ContainsKey("cachedInputTokens") && r4["cachedInputTokens"] is null);
        Assert.True(r4.ContainsKey("cacheWriteTokens") && r4["cacheWriteTokens"] is null);
    }

    [Fact]
    public async Task Query_LimitAndOffset_PageThroughWithHasMore()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var first = await admin.SendAsync(HttpMethod.Get, "admin/stats?limit=2", null, HttpStatusCode.OK);
        var second = await admin.SendAsync(HttpMethod.Get, "admin/stats?limit=2&offset=2", null, HttpStatusCode.OK);

        Assert.Equal(["r3", "r2"], Ids(first));
        Assert.True((bool)first["hasMore"]!);
        Assert.Equal(["r1", "r4"], Ids(second));
        Assert.False((bool)second["hasMore"]!);
    }

    [Theory]
    [InlineData("modelName=b", new[] { "r3" })]
    [InlineData("success=false", new[] { "r2" })]
    [InlineData("success=TRUE", new[] { "r3", "r1", "r4" })]
    [InlineData("platformId=1", new[] { "r2", "r1", "r4" })]
    [InlineData("apiKeyId=11", new[] { "r1", "r4" })]
    [InlineData("isStream=true", new[] { "r3", "r2" })]
    [InlineData("modelName=a&isStream=false", new[] { "r1", "r4" })]
    [InlineData("caller=client-1", new[] { "r1" })]
    [InlineData("caller=admin", new[] { "r3" })]
    [InlineData("caller=client-9", new string[0])]
    [InlineData("caller=Client-1", new string[0])]
    [InlineData("protocol=openai-chat", new[] { "r3", "r2", "r1" })]
    [InlineData("protocol=anthropic-messages", new string[0])]
    [InlineData("protocol=openai-chat&caller=client-2", new[] { "r2" })]
    [InlineData("targetFormat=openai", new[] { "r2", "r1" })]
    [InlineData("targetFormat=anthropic", new[] { "r3" })]
    [InlineData("targetFormat=OpenAI", new string[0])]
    [InlineData("targetFormat=gemini", new string[0])]
    [InlineData("targetFormat=openai&success=true", new[] { "r1" })]
    public async Task Query_Filter_ReturnsOnlyMatchingRows(string query, string[] expected)
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, $"admin/stats?{query}", null, HttpStatusCode.OK);

        Assert.Equal(expected, Ids(body));
    }

    [Fact]
    public async Task Query_TimeRange_StartInclusiveEndExclusive()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;
        var start = Uri.EscapeDataString(Rows[1].Timestamp.ToString("O", CultureInfo.InvariantCulture));
        var end = Uri.EscapeDataString(Rows[2].Timestamp.ToString("O", CultureInfo.InvariantCulture));

        var body = await admin.SendAsync(HttpMethod.Get, $"admin/stats?startTime={start}&endTime={end}", null, HttpStatusCode.OK);

        Assert.Equal(["r2"], Ids(body));
    }

    [Theory]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("offset=-1", "offset")]
    [InlineData("startTime=yesterday", "startTime")]
    [InlineData("endTime=2025-13-01", "endTime")]
    [InlineData("startTime=2025-02-01T00:00:00Z&endTime=2025-01-01T00:00:00Z", "endTime")]
    [InlineData("success=maybe", "success")]
    [InlineData("isStream=1", "isStream")]
    [InlineData("platformId=abc", "platformId")]
    [InlineData("apiKeyId=-2", "apiKeyId")]
    [InlineData("modelName=a&modelName=b", "modelName")]
    [InlineData("caller=", "caller")]
    [InlineData("caller=client-1&caller=client-2", "caller")]
    [InlineData("protocol=", "protocol")]
    [InlineData("protocol=openai-chat&protocol=openai-chat", "protocol")]
    [InlineData("targetFormat=", "targetFormat")]
    [InlineData("targetFormat=openai&targetFormat=anthropic", "targetFormat")]
    public async Task Query_BadParameter_Returns400NamingIt(string query, string param)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Get, $"admin/stats?{query}", null, HttpStatusCode.BadRequest, "invalid_value", param);
        Assert.Contains(param, message);
    }

    /// <summary>Longer than the column (200 characters for names, 64 for request ids): no stored row can match, so it is refused.</summary>
    [Theory]
    [InlineData("caller", 201)]
    [InlineData("protocol", 201)]
    [InlineData("requestId", 65)]
    [InlineData("targetFormat", 51)]
    public async Task Query_FilterLongerThanItsColumn_Returns400NamingIt(string param, int length)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        var message = await admin.SendErrorAsync(HttpMethod.Get, $"admin/stats?{param}={new string('x', length)}", null, HttpStatusCode.BadRequest, "invalid_value", param);
        Assert.Contains($"longer than {length - 1} characters", message);

        // At the limit the filter is taken (and matches nothing here).
        var body = await admin.SendAsync(HttpMethod.Get, $"admin/stats?{param}={new string('x', length - 1)}", null, HttpStatusCode.OK);
        Assert.Empty(Ids(body));
    }

    [Fact]
    public async Task Query_UnknownParameter_Returns400NamingIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, "admin/stats?model=a", null, HttpStatusCode.BadRequest, "unknown_parameter", "model");
    }

    [Fact]
    public async Task Query_AfterARealRequest_ShowsTheKeyIdButNeverTheKeyValue()
    {
        const string secret = "mock-secret-0123456789abcdef";
        var (host, admin) = await AdminTestKit.StartAsync($$"""{"platforms":[{"name":"m","format":"mock","baseUrl":"mock://local","models":["x","mock-error-401"],"keys":["{{secret}}"]}]}""");
        await using var _ = host;
        await host.Gateway.ChatCompletionAsync(new ChatCompletionRequest { Model = "x", Messages = [new ChatMessage("user", "hi")] });
        await Assert.ThrowsAsync<PortalException>(() => host.Gateway.ChatCompletionAsync(new ChatCompletionRequest { Model = "mock-error-401", Messages = [new ChatMessage("user", "hi")] }));

        using var response = await admin.SendAsync(HttpMethod.Get, "admin/stats");
        var text = await response.Content.ReadAsStringAsync();
        var body = await response.ReadAsync(HttpStatusCode.OK);

        Assert.Equal(2, body["data"]!.AsArray().Count);
        var keyId = Assert.Single(await host.Repository().ListApiKeysAsync()).Id;
        Assert.All(body["data"]!.AsArray(), r => Assert.Equal(keyId, (long)r!["apiKeyId"]!));
        Assert.DoesNotContain("0123456789", text);
    }

    /// <summary>
    /// A chat request through the client API records who made it by the name of its token (its position in
    /// Portal:Auth:ClientTokens, or admin), never the token, and the protocol it came in as; the admin read shows both
    /// and filters by them.
    /// </summary>
    [Theory]
    [InlineData(SecondClientToken, "client-2", false)]
    [InlineData(SecondClientToken, "client-2", true)]
    [InlineData(AdminTestKit.AdminToken, "admin", false)]
    public async Task ChatRequest_WithToken_StatRowHasTheTokensNameAndProtocolButNeverTheToken(string token, string name, bool stream)
    {
        await using var host = await Infrastructure.GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminTestKit.AdminToken;
            o.PortalJson = AdminTestKit.MockConfig;
            o.ClientTokens.Add(FirstClientToken);
            o.ClientTokens.Add(SecondClientToken);
        });
        var admin = host.CreateClient(AdminTestKit.AdminToken);
        string requestId;
        using (var chat = await host.CreateClient(token).PostAsync(
            "v1/chat/completions",
            new StringContent($$"""{"model":"x","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""")))
        {
            var answer = await chat.Content.ReadAsStringAsync();
            Assert.True(chat.StatusCode == HttpStatusCode.OK, answer);
            requestId = Assert.Single(chat.Headers.GetValues("X-Request-Id"));
        }

        // The request's log line is written once the gateway has finished with it (its stat queued); the admin read
        // writes queued stats before reading.
        await Operations.RequestLogTests.WaitForChatLogAsync(host);
        using var response = await admin.SendAsync(HttpMethod.Get, $"admin/stats?requestId={requestId}");
        var text = await response.Content.ReadAsStringAsync();
        var row = Assert.Single((await response.ReadAsync(HttpStatusCode.OK))["data"]!.AsArray())!;
        Assert.Equal(name, (string?)row["caller"]);
        Assert.Equal("openai-chat", (string?)row["protocol"]);
        Assert.Equal("mock", (string?)row["targetFormat"]); // the format of the platform the engine sent it to
        Assert.Equal(stream, (bool)row["isStream"]!);
        Assert.True((bool)row["success"]!);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);

        var mine = await admin.SendAsync(HttpMethod.Get, $"admin/stats?caller={name}&protocol=openai-chat", null, HttpStatusCode.OK);
        var others = await admin.SendAsync(HttpMethod.Get, "admin/stats?caller=client-1", null, HttpStatusCode.OK);
        Assert.Equal([(string)row["id"]!], Ids(mine));
        Assert.Empty(Ids(others));

        // Stored as the name: the row read from storage, and no byte of the database files or of the logs, holds the token.
        var stored = Assert.Single(await host.Repository().QueryRequestStatsAsync(new StatsQuery { RequestId = requestId }, CancellationToken.None));
        Assert.Equal((name, InboundProtocols.OpenAIChat), (stored.Caller, stored.Protocol));
        var files = Directory.GetFiles(host.Directory, "portal.db*");
        Assert.NotEmpty(files);
        var tokenBytes = Encoding.UTF8.GetBytes(token);
        foreach (var file in files)
        {
            await using var reader = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await reader.CopyToAsync(copy);
            Assert.True(copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(tokenBytes) < 0, $"{Path.GetFileName(file)} holds the token");
        }

        Assert.DoesNotContain(host.Logs.GetSnapshot(), r =>
            r.Message.Contains(token, StringComparison.Ordinal)
            || (r.StructuredState?.Any(p => p.Value?.Contains(token, StringComparison.Ordinal) == true) ?? false));
    }

    private const string FirstClientToken = "client-token-first-0123456789";
    private const string SecondClientToken = "client-token-second-0123456789";

    [Fact]
    public async Task Count_WithFilters_ReturnsTotalSuccessAndFailed()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var all = await admin.SendAsync(HttpMethod.Get, "admin/stats/count", null, HttpStatusCode.OK);
        var modelA = await admin.SendAsync(HttpMethod.Get, "admin/stats/count?modelName=a&limit=1", null, HttpStatusCode.OK);
        var client2 = await admin.SendAsync(HttpMethod.Get, "admin/stats/count?caller=client-2&protocol=openai-chat", null, HttpStatusCode.OK);
        var openai = await admin.SendAsync(HttpMethod.Get, "admin/stats/count?targetFormat=openai", null, HttpStatusCode.OK);

        Assert.Equal((4, 3, 1), ((long)all["totalRequests"]!, (long)all["successRequests"]!, (long)all["failedRequests"]!));
        Assert.Equal((3, 2, 1), ((long)modelA["totalRequests"]!, (long)modelA["successRequests"]!, (long)modelA["failedRequests"]!));
        Assert.Equal((1, 0, 1), ((long)client2["totalRequests"]!, (long)client2["successRequests"]!, (long)client2["failedRequests"]!));
        Assert.Equal((2, 1, 1), ((long)openai["totalRequests"]!, (long)openai["successRequests"]!, (long)openai["failedRequests"]!));

        // The rows have no request id (written before it was recorded): each is a request of its own.
        Assert.Equal((4, 3, 1), ((long)all["totalAttempts"]!, (long)all["successAttempts"]!, (long)all["failedAttempts"]!));
    }

    [Fact]
    public async Task Count_FailoverServedOnSecondAttempt_CountsOneServedRequestAndTwoAttempts()
    {
        var (host, admin) = await StartFailoverAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/stats/count?modelName=c", null, HttpStatusCode.OK);

        Assert.Equal((1, 1, 0), ((long)body["totalRequests"]!, (long)body["successRequests"]!, (long)body["failedRequests"]!));
        Assert.Equal((2, 1, 1), ((long)body["totalAttempts"]!, (long)body["successAttempts"]!, (long)body["failedAttempts"]!));
    }

    [Fact]
    public async Task Query_RequestId_ReturnsItsAttemptsInOrderWithIdAndNumber()
    {
        var (host, admin) = await StartFailoverAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, $"admin/stats?requestId={FailoverRequestId}", null, HttpStatusCode.OK);
        var old = await admin.SendAsync(HttpMethod.Get, "admin/stats?modelName=b", null, HttpStatusCode.OK);

        Assert.Equal(["f1", "f2"], Ids(body));
        Assert.All(body["data"]!.AsArray(), r => Assert.Equal(FailoverRequestId, (string?)r!["requestId"]));
        Assert.Equal([1, 2], body["data"]!.AsArray().Select(r => (int)r!["attempt"]!));
        Assert.Null(old["data"]![0]!["requestId"]);
        Assert.Equal(0, (int)old["data"]![0]!["attempt"]!);
    }

    [Fact]
    public async Task Query_EmptyRequestId_Returns400NamingIt()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, "admin/stats?requestId=", null, HttpStatusCode.BadRequest, "invalid_value", "requestId");
    }

    [Fact]
    public async Task Summary_FailoverServedOnSecondAttempt_CountsOneServedRequestAndTwoAttempts()
    {
        var (host, admin) = await StartFailoverAsync();
        await using var _ = host;

        var byModel = await admin.SendAsync(HttpMethod.Get, "admin/stats/summary", null, HttpStatusCode.OK);
        var byPlatform = await admin.SendAsync(HttpMethod.Get, "admin/stats/summary?groupBy=platform", null, HttpStatusCode.OK);

        var c = byModel["data"]!.AsArray().Single(d => (string?)d!["modelName"] == "c")!;
        Assert.Equal((1, 1, 0.0, 1), ((long)c["requests"]!, (long)c["successes"]!, (double)c["errorRate"]!, (long)c["failovers"]!));
        Assert.Equal((2, 1, 0.5), ((long)c["attempts"]!, (long)c["successAttempts"]!, (double)c["attemptErrorRate"]!));

        // The request tried both platforms: a request on each, served (after a failover) only on the second.
        var platforms = byPlatform["data"]!.AsArray().ToDictionary(d => (long)d!["platformId"]!);
        Assert.Equal((3, 1, 0), ((long)platforms[1]!["requests"]!, (long)platforms[1]!["successes"]!, (long)platforms[1]!["failovers"]!));
        Assert.Equal((3, 1), ((long)platforms[1]!["attempts"]!, (long)platforms[1]!["successAttempts"]!));
        Assert.Equal((2, 2, 1), ((long)platforms[2]!["requests"]!, (long)platforms[2]!["successes"]!, (long)platforms[2]!["failovers"]!));
    }

    [Fact]
    public async Task Series_FailoverServedOnSecondAttempt_CountsOneRequestAndTwoAttempts()
    {
        var (host, admin) = await StartFailoverAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/stats/series?bucket=minute&modelName=c", null, HttpStatusCode.OK);

        var bucket = Assert.Single(body["data"]!.AsArray())!;
        Assert.Equal((1, 0), ((long)bucket["requests"]!, (long)bucket["errors"]!));
        Assert.Equal((2, 1), ((long)bucket["attempts"]!, (long)bucket["failedAttempts"]!));
    }

    [Theory]
    [InlineData("success=nope", "success", "invalid_value")]
    [InlineData("startTime=bad", "startTime", "invalid_value")]
    [InlineData("groupBy=model", "groupBy", "unknown_parameter")]
    [InlineData("caller=", "caller", "invalid_value")]
    public async Task Count_BadParameter_Returns400NamingIt(string query, string param, string code)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, $"admin/stats/count?{query}", null, HttpStatusCode.BadRequest, code, param);
    }

    [Fact]
    public async Task Summary_Default_GroupsByModelOverTheLast24Hours()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/stats/summary", null, HttpStatusCode.OK);

        Assert.Equal("model", (string?)body["groupBy"]);
        var end = DateTimeOffset.Parse((string)body["endTime"]!, CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromHours(24), end - DateTimeOffset.Parse((string)body["startTime"]!, CultureInfo.InvariantCulture));
        var data = body["data"]!.AsArray();
        Assert.Equal(["a", "b"], data.Select(d => (string)d!["modelName"]!));
        var a = data[0]!;
        Assert.Equal(2, (long)a["requests"]!); // the two-day-old row is outside the range
        Assert.Equal(1, (long)a["successes"]!);
        Assert.Equal(0.5, (double)a["errorRate"]!);
        Assert.Equal(100, (double)a["p50DurationMs"]!);
        Assert.Equal(200, (double)a["p95DurationMs"]!);

        // Summed per group; r2 reported no cache use (and r4, written before it was recorded, is outside the range).
        Assert.Equal((50, 40, 0), ((long)a["promptTokens"]!, (long)a["cachedInputTokens"]!, (long)a["cacheWriteTokens"]!));
        Assert.Equal((900, 500, 300), ((long)data[1]!["promptTokens"]!, (long)data[1]!["cachedInputTokens"]!, (long)data[1]!["cacheWriteTokens"]!));
    }

    [Fact]
    public async Task Summary_GroupByPlatform_NamesThePlatformsThatExist()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;
        var start = Uri.EscapeDataString(Now.AddDays(-3).ToString("O", CultureInfo.InvariantCulture));

        var body = await admin.SendAsync(HttpMethod.Get, $"admin/stats/summary?groupBy=platform&startTime={start}", null, HttpStatusCode.OK);

        var data = body["data"]!.AsArray();
        Assert.Equal([1L, 2L], data.Select(d => (long)d!["platformId"]!));
        Assert.Equal(3, (long)data[0]!["requests"]!);
        Assert.Equal("m", (string?)data[0]!["platformName"]); // the config platform got id 1
        Assert.Null(data[1]!["platformName"]);
    }

    [Fact]
    public async Task Summary_GroupByKey_ReturnsOneGroupPerKey()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/stats/summary?groupBy=KEY", null, HttpStatusCode.OK);

        Assert.Equal("key", (string?)body["groupBy"]);
        var data = body["data"]!.AsArray();
        Assert.Equal([11L, 12L, 21L], data.Select(d => (long)d!["apiKeyId"]!));
        Assert.All(data, d => Assert.Equal(1, (long)d!["requests"]!));
        Assert.Equal(1.0, (double)data[1]!["errorRate"]!);
    }

    [Theory]
    [InlineData("groupBy=user", "groupBy", "invalid_value")]
    [InlineData("startTime=2025-02-01T00:00:00Z&endTime=2025-01-01T00:00:00Z", "endTime", "invalid_value")]
    [InlineData("endTime=tomorrow", "endTime", "invalid_value")]
    [InlineData("limit=5", "limit", "unknown_parameter")]
    public async Task Summary_BadParameter_Returns400NamingIt(string query, string param, string code)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, $"admin/stats/summary?{query}", null, HttpStatusCode.BadRequest, code, param);
    }

    [Fact]
    public async Task Series_PerMinuteForOneModel_ReturnsItsBuckets()
    {
        var (host, admin) = await StartSeededAsync();
        await using var _ = host;

        var body = await admin.SendAsync(HttpMethod.Get, "admin/stats/series?bucket=minute&modelName=a", null, HttpStatusCode.OK);

        Assert.Equal("minute", (string?)body["bucket"]);
        var data = body["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        Assert.Equal((1, 0), ((long)data[0]!["requests"]!, (long)data[0]!["errors"]!));
        Assert.Equal((1, 1), ((long)data[1]!["requests"]!, (long)data[1]!["errors"]!));
        var firstStart = DateTimeOffset.Parse((string)data[0]!["start"]!, CultureInfo.InvariantCulture);
        Assert.Equal(Rows[0].Timestamp.ToUnixTimeMilliseconds() / 60_000 * 60_000, firstStart.ToUnixTimeMilliseconds());
    }

    [Theory]
    [InlineData("bucket=day", "bucket")]
    [InlineData("platformId=x", "platformId")]
    [InlineData("startTime=2025-01-01T00:00:00Z&endTime=2025-01-01T00:00:00Z", "endTime")]
    public async Task Series_BadParameter_Returns400NamingIt(string query, string param)
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _ = host;

        await admin.SendErrorAsync(HttpMethod.Get, $"admin/stats/series?{query}", null, HttpStatusCode.BadRequest, "invalid_value", param);
    }

    private const string FailoverRequestId = "0190f00000000000000000000000000f";

    /// <summary>The seeded rows, with one request in the last hour that failed on platform 1 and was served by platform 2 (model c).</summary>
    private static async Task<(Infrastructure.GatewayHost Host, HttpClient Admin)> StartFailoverAsync()
    {
        var (host, admin) = await StartSeededAsync();
        var at = Now.AddMinutes(-5);
        await host.Repository().SaveRequestStatsAsync(
        [
            Stat("f2", at, "c", platformId: 2, apiKeyId: 21, success: true, stream: false, durationMs: 50) with { RequestId = FailoverRequestId, Attempt = 2 },
            Stat("f1", at, "c", platformId: 1, apiKeyId: 11, success: false, stream: false, durationMs: 20) with { RequestId = FailoverRequestId, Attempt = 1 },
        ], CancellationToken.None);
        return (host, admin);
    }

    private static async Task<(Infrastructure.GatewayHost Host, HttpClient Admin)> StartSeededAsync()
    {
        var (host, admin) = await AdminTestKit.StartAsync(AdminTestKit.MockConfig);
        await host.Repository().SaveRequestStatsAsync(Rows, CancellationToken.None);
        return (host, admin);
    }

    private static string[] Ids(JsonNode body) => [.. body["data"]!.AsArray().Select(r => (string)r!["id"]!)];

    private static RequestStat Stat(string id, DateTimeOffset time, string model, long platformId, long apiKeyId, bool success, bool stream, double durationMs) => new()
    {
        Id = id,
        Timestamp = time,
        ModelName = model,
        PlatformId = platformId,
        ApiKeyId = apiKeyId,
        ModelId = 1,
        Success = success,
        IsStream = stream,
        Duration = TimeSpan.FromMilliseconds(durationMs),
        FirstByteTime = stream ? TimeSpan.FromMilliseconds(durationMs / 2) : null,
        ErrorMessage = success ? null : "boom",
        StatusCode = success ? 200 : 500,
    };
}
