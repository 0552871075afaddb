using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Portal.Diagnostics;
using Portal.Server.Hosting;
using Portal.Server.Operations;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Operations;

public sealed class OperationsTests
{
    [Fact]
    public async Task Healthz_Running_Returns200()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_Running_Returns200()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.GetAsync("readyz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ready", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_StorageUnreachableLongerThanThreshold_Returns503ThenRecovers()
    {
        var storageDown = true;
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.Settings["Portal:Readiness:StorageUnavailableAfter"] = "00:00:00.300";
            o.Settings["Portal:Readiness:ProbeInterval"] = "00:00:00.050";
            o.ConfigureServices = services => services.AddSingleton(new StoragePing(_ =>
                Volatile.Read(ref storageDown) ? Task.FromException(new IOException("database unreachable")) : Task.CompletedTask));
        });

        var body = await PollReadyzAsync(host, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("storage_unavailable", body.GetProperty("reason").GetString());
        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 2030);

        Volatile.Write(ref storageDown, false);
        await PollReadyzAsync(host, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Metrics_AfterRequest_ExposesPortalAndHttpServerMetrics()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        using (var chat = await host.Client.PostChatAsync(ChatJson("mock-1")))
        {
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }

        // The first scrape may predate the request's last measurement; scrape until both appear.
        string text = "";
        for (var i = 0; i < 50 && !(text.Contains("portal_requests_total", StringComparison.Ordinal) && text.Contains("http_server_request_duration_seconds", StringComparison.Ordinal)); i++)
        {
            using var response = await host.Client.GetAsync("metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = await response.Content.ReadAsStringAsync();
            await Task.Delay(100);
        }

        Assert.Contains("portal_requests_total{", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/v1/chat/completions\"", text, StringComparison.Ordinal);

        // The cardinality view keeps each instrument's own histogram buckets (ASP.NET Core advises 5 ms to 10 s).
        Assert.Matches("http_server_request_duration_seconds_bucket\\{[^}]*le=\"0.005\"", text);
        Assert.Matches("http_server_request_duration_seconds_bucket\\{[^}]*le=\"10\"", text);
    }

    [Fact]
    public void FrameworkMetricLimit_FrameworkInstrument_CapsCardinality()
    {
        using var meter = new Meter("Microsoft.AspNetCore.Hosting");
        var instrument = meter.CreateHistogram<double>("http.server.request.duration");

        var view = ServerServices.FrameworkMetricLimit(instrument);

        Assert.NotNull(view);
        Assert.Equal(ServerServices.FrameworkCardinalityLimit, view.CardinalityLimit);
    }

    [Fact]
    public void FrameworkMetricLimit_PortalInstrument_KeepsDefault()
    {
        using var meter = new Meter(PortalTelemetry.Name);
        var instrument = meter.CreateCounter<long>(PortalTelemetry.Requests);

        Assert.Null(ServerServices.FrameworkMetricLimit(instrument));
    }

    [Fact]
    public async Task OpenApi_Document_ListsClientApiAndOperations()
    {
        await using var host = await GatewayHost.StartAsync();
        using var response = await host.Client.GetAsync("openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var paths = document.RootElement.GetProperty("paths");
        var chat = paths.GetProperty("/v1/chat/completions").GetProperty("post");
        Assert.Equal("CreateChatCompletion", chat.GetProperty("operationId").GetString());
        Assert.False(string.IsNullOrEmpty(chat.GetProperty("summary").GetString()));
        Assert.True(paths.TryGetProperty("/v1/models", out _));
        Assert.True(paths.TryGetProperty("/readyz", out _));

        // The admin API appears once it is mapped (Admin/AdminApi.cs).
        var adminPaths = paths.EnumerateObject().Where(p => p.Name.StartsWith("/admin", StringComparison.Ordinal)).ToList();
        if (adminPaths.Count > 0)
        {
            Assert.All(adminPaths, p => Assert.StartsWith("/admin/", p.Name, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task HostShutdownTimeout_ExceedsDrainTimeoutWithFlushMargin()
    {
        await using var host = await GatewayHost.StartAsync(o => o.Settings["Portal:Shutdown:Timeout"] = "00:00:40");
        var hostOptions = host.Services.GetRequiredService<IOptions<HostOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(40), host.Gateway.ShutdownTimeout);
        Assert.True(hostOptions.ShutdownTimeout >= TimeSpan.FromSeconds(50), $"Host shutdown timeout {hostOptions.ShutdownTimeout}");
    }

    [Theory]
    [InlineData("Portal:Gateway:MaxAttempts", "0", "Portal:Gateway:MaxAttempts")]
    [InlineData("Portal:Gateway:AttemptTimeout", "-00:00:01", "Portal:Gateway:AttemptTimeout")]
    [InlineData("Portal:Limits:MaxRequestBodyBytes", "0", "Portal:Limits:MaxRequestBodyBytes")]
    [InlineData("Portal:Shutdown:Timeout", "-00:00:01", "Portal:Shutdown:Timeout")]
    [InlineData("Portal:Readiness:StorageUnavailableAfter", "00:00:00", "Portal:Readiness:StorageUnavailableAfter")]
    [InlineData("Portal:Gateway:MaxAttempt", "3", "MaxAttempt")]
    [InlineData("Portal:Auth:ClientTokens:0", " ", "Portal:Auth:ClientTokens:0")]
    public async Task Start_InvalidSetting_FailsNamingIt(string key, string value, string expected)
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var host = await GatewayHost.StartAsync(o => o.Settings[key] = value);
        });
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stop_StreamInFlight_DrainsWhileReadinessIs503()
    {
        // About 20 words at 4 words a second: the stream outlives the 1 s drain.
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = MockConfig("latency=0ms&tokensPerSecond=4");
            o.Settings["Portal:Shutdown:Timeout"] = "00:00:01";
        });
        var probe = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = Json(ChatJson("mock-1", stream: true, "one two three four five six seven eight nine ten eleven twelve")),
        };
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reading = ReadEventsAsync(response);

        var stopping = host.StopAsync();
        var readiness = await PollReadyzAsync(probe, HttpStatusCode.ServiceUnavailable, stopping);
        Assert.Equal("shutting_down", readiness.GetProperty("reason").GetString());

        using (var refused = await host.Client.PostChatAsync(ChatJson("mock-1")))
        {
            if (!stopping.IsCompleted)
            {
                await AssertErrorAsync(refused, 503, "service_unavailable_error", "shutting_down");
            }
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        var events = await reading.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotEmpty(events);
        if (events[^1] != "[DONE]")
        {
            using var last = JsonDocument.Parse(events[^1]);
            Assert.Equal("shutting_down", last.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        Assert.Contains(host.Logs.GetSnapshot(), r => r.Id.Id == 2020);
    }

    private static Task<JsonElement> PollReadyzAsync(GatewayHost host, HttpStatusCode expected) => PollReadyzAsync(host.Client, expected, null);

    private static async Task<JsonElement> PollReadyzAsync(HttpClient client, HttpStatusCode expected, Task? giveUpWhenDone)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            using var response = await client.GetAsync("readyz");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (response.StatusCode == expected)
            {
                return body;
            }

            Assert.False(giveUpWhenDone?.IsCompleted == true, "The host stopped before /readyz answered " + expected);
            Assert.True(DateTime.UtcNow < deadline, $"/readyz never answered {expected}; last {response.StatusCode} {body}");
            await Task.Delay(20);
        }
    }
}
