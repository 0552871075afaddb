using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Operations;

public sealed class RequestLogTests
{
    private const int ChatRequestCompleted = 2001;
    private const int RequestCompleted = 2000;

    /// <summary>The request log line is written when the response has been sent: wait for it.</summary>
    internal static async Task<FakeLogRecord> WaitForChatLogAsync(GatewayHost host, int eventId = ChatRequestCompleted)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            var record = host.Logs.GetSnapshot().FirstOrDefault(r => r.Id.Id == eventId);
            if (record is not null)
            {
                return record;
            }

            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"No log record {eventId} within 10 s.");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Chat_Served_LogsOneLineWithFields(bool stream)
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = MockConfig();
            o.ClientTokens.Add("log-test-token-123");
        });
        using var response = await host.CreateClient("log-test-token-123").PostChatAsync(ChatJson("mock-1", stream, "Tell me something"));
        var body = await response.Content.ReadAsStringAsync();

        var record = await WaitForChatLogAsync(host);
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Equal("Portal.Server", record.Category);
        Assert.Equal("ChatRequestCompleted", record.Id.Name);
        Assert.Equal("POST", record.GetStructuredStateValue("Method"));
        Assert.Equal("/v1/chat/completions", record.GetStructuredStateValue("Path"));
        Assert.Equal("200", record.GetStructuredStateValue("Status"));
        Assert.True(double.Parse(record.GetStructuredStateValue("DurationMs")!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
        Assert.Equal("mock-1", record.GetStructuredStateValue("Model"));
        Assert.Equal(stream.ToString(), record.GetStructuredStateValue("Stream"));
        Assert.Equal("ok", record.GetStructuredStateValue("Outcome"));
        Assert.Equal("1", record.GetStructuredStateValue("Attempts"));
        Assert.NotNull(record.GetStructuredStateValue("PlatformId"));
        Assert.NotNull(record.GetStructuredStateValue("ModelId"));
        Assert.NotNull(record.GetStructuredStateValue("ApiKeyId"));
        if (!stream)
        {
            Assert.NotNull(record.GetStructuredStateValue("PromptTokens"));
            Assert.NotNull(record.GetStructuredStateValue("CompletionTokens"));
        }

        Assert.Single(host.Logs.GetSnapshot(), r => r.Id.Id == ChatRequestCompleted);
        Assert.DoesNotContain("Tell me", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("log-test-token-123", record.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("mock response", record.Message, StringComparison.Ordinal);
        Assert.Contains(stream ? "mock" : "mock response", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_Failed_LogsStatusAndOutcome()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        using var response = await host.Client.PostChatAsync(ChatJson("no-such-model"));
        Assert.Equal(404, (int)response.StatusCode);

        var record = await WaitForChatLogAsync(host);
        Assert.Equal("404", record.GetStructuredStateValue("Status"));
        Assert.Equal("model_not_found", record.GetStructuredStateValue("Outcome"));
        Assert.Equal("no-such-model", record.GetStructuredStateValue("Model"));
        Assert.Null(record.GetStructuredStateValue("PlatformId"));
    }

    [Theory]
    [InlineData("evil\ninfo: forged line", "evil?info: forged line")] // C0: a line break could forge a record
    [InlineData("tab\there", "tab?here")]
    [InlineData("del\u007fc1\u0085nel\u009fend", "del?c1?nel?end")] // DEL and C1 (U+0085 is a line break too)
    [InlineData("plain-model \u00a0ok", "plain-model \u00a0ok")] // U+00A0 is just past C1: kept
    public async Task Chat_ModelWithControlCharacters_LoggedWithQuestionMarks(string model, string logged)
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        using var response = await host.Client.PostChatAsync(ChatJson(model));
        Assert.Equal(404, (int)response.StatusCode);

        var record = await WaitForChatLogAsync(host);
        Assert.Equal(logged, record.GetStructuredStateValue("Model"));
    }

    [Fact]
    public async Task Chat_LongModelName_LoggedCutTo200Characters()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        var model = new string('m', 150) + "\n" + new string('x', 150);
        using var response = await host.Client.PostChatAsync(ChatJson(model));
        Assert.Equal(404, (int)response.StatusCode);

        var record = await WaitForChatLogAsync(host);
        Assert.Equal(new string('m', 150) + "?" + new string('x', 49) + "…", record.GetStructuredStateValue("Model"));
    }

    [Fact]
    public async Task OtherRequest_LogsMethodPathStatus()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.GetAsync("v1/models");

        var record = await WaitForChatLogAsync(host, RequestCompleted);
        Assert.Equal(LogLevel.Information, record.Level);
        Assert.Equal("GET", record.GetStructuredStateValue("Method"));
        Assert.Equal("/v1/models", record.GetStructuredStateValue("Path"));
        Assert.Equal("200", record.GetStructuredStateValue("Status"));
    }

    [Fact]
    public async Task Chat_StreamBrokenMidway_LogsChannelAndAttemptsAndStoresStatus200()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("partial").WithoutDone();
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = OpenAiConfig(upstream.BaseUrl));

        using var response = await host.Client.PostChatAsync(ChatJson("fast", stream: true));
        await ReadEventsAsync(response);

        var record = await WaitForChatLogAsync(host);
        Assert.Equal("200", record.GetStructuredStateValue("Status"));
        Assert.Equal("upstream_failed", record.GetStructuredStateValue("Outcome"));
        Assert.Equal("1", record.GetStructuredStateValue("Attempts"));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("PlatformId")));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("ModelId")));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("ApiKeyId")));

        // The client got 200 and then a broken stream: the stat row says 200 too, and carries the id the client was given.
        var requestId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Equal(requestId, record.GetStructuredStateValue("RequestId"));
        var row = Assert.Single(await host.Gateway.QueryStatsAsync(new StatsQuery()));
        Assert.False(row.Success);
        Assert.Equal(200, row.StatusCode);
        Assert.Equal(requestId, row.RequestId);
        Assert.Equal(1, row.Attempt);
    }

    [Fact]
    public async Task Chat_ClientDisconnectsMidStream_Logs499WithChannel()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream([.. Enumerable.Range(0, 50).Select(i => $"chunk-{i} ")]).WithDelayBetweenWrites(TimeSpan.FromMilliseconds(200));
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = OpenAiConfig(upstream.BaseUrl));

        using (var response = await host.Client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream: true)) },
            HttpCompletionOption.ResponseHeadersRead))
        {
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        }

        var record = await WaitForChatLogAsync(host);
        Assert.Equal("499", record.GetStructuredStateValue("Status"));
        Assert.Equal("client_closed", record.GetStructuredStateValue("Outcome"));
        Assert.Equal("1", record.GetStructuredStateValue("Attempts"));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("PlatformId")));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("ApiKeyId")));
    }

    [Fact]
    public async Task Chat_CancelledByShutdown_LogsChannelAndAttempts()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream([.. Enumerable.Range(0, 50).Select(i => $"chunk-{i} ")]).WithDelayBetweenWrites(TimeSpan.FromSeconds(1));
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = OpenAiConfig(upstream.BaseUrl);
            o.Settings["Portal:Shutdown:Timeout"] = "00:00:00.200";
        });

        using var response = await host.Client.SendAsync(
            new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream: true)) },
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith("data: ", await reader.ReadLineAsync(), StringComparison.Ordinal);
        await host.StopAsync();

        var record = await WaitForChatLogAsync(host);
        Assert.Equal("shutting_down", record.GetStructuredStateValue("Outcome"));
        Assert.Equal("1", record.GetStructuredStateValue("Attempts"));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("PlatformId")));
        Assert.False(string.IsNullOrEmpty(record.GetStructuredStateValue("ApiKeyId")));
    }

    [Fact]
    public async Task Chat_ErrorAnswer_CarriesRequestIdHeader()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());

        using var response = await host.Client.PostChatAsync(ChatJson("no-such-model"));

        var requestId = Assert.Single(response.Headers.GetValues("X-Request-Id"));
        Assert.Matches("^[0-9a-f]{32}$", requestId);
        var record = await WaitForChatLogAsync(host);
        Assert.Equal(requestId, record.GetStructuredStateValue("RequestId"));
    }
}
