using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Portal.Server.Tests.Infrastructure;
using Portal.Server.Tests.Operations;
using Portal.Testing;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Client;

public sealed class ChatCompletionsTests : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private Task<GatewayHost> StartAsync(Action<GatewayHostOptions>? configure = null) => GatewayHost.StartAsync(o =>
    {
        o.PortalJson = OpenAiConfig(_upstream.BaseUrl);
        o.Settings["Portal:Gateway:AttemptTimeout"] = "00:00:10";
        configure?.Invoke(o);
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_UpstreamAnswers_RelaysAnswer(bool stream)
    {
        _upstream.DefaultResponse = stream ? FakeResponse.Stream("Hello", " world") : FakeResponse.ChatCompletion("Hello world");
        await using var host = await StartAsync();

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream)) };
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (!stream)
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("Hello world", body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            return;
        }

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache);
        Assert.Equal("no", Assert.Single(response.Headers.GetValues("X-Accel-Buffering")));
        Assert.False(response.Content.Headers.ContentEncoding.Count > 0);
        var events = await ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var text = string.Concat(events[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices") is { ValueKind: JsonValueKind.Array } c && c.GetArrayLength() > 0
            && c[0].GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : ""));
        Assert.Equal("Hello world", text);
    }

    [Fact]
    public async Task Post_StreamLoneEvent_ReachesClientWhileUpstreamHoldsTheRest()
    {
        // The upstream sends one chunk, then holds the rest until the client has read that chunk: a gateway that waited
        // for more events before flushing would never deliver it.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.DefaultResponse = FakeResponse.Stream("first", " second").HoldAfter(1, release.Task);
        await using var host = await StartAsync();
        using var timeout = new CancellationTokenSource(Integration.IntegrationKit.Wait);

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream: true)) };
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var events = await Integration.SseStream.OpenAsync(response, timeout.Token);
        var first = await events.ReadEventAsync(timeout.Token);

        Assert.Contains("\"first\"", first, StringComparison.Ordinal);
        release.SetResult();
        var (rest, done, error) = await events.ReadAllAsync(timeout.Token);
        Assert.Null(error);
        Assert.True(done);
        Assert.Contains("\" second\"", string.Concat(rest), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_MalformedJson_Returns400()
    {
        await using var host = await StartAsync();
        using var response = await host.Client.PostChatAsync("{\"model\": \"fast\", ");
        await AssertErrorAsync(response, 400, "invalid_request_error", "invalid_request");
        Assert.Equal(0, _upstream.RequestCount);
    }

    [Fact]
    public async Task Post_JsonNestedTooDeep_Returns400()
    {
        await using var host = await StartAsync();
        var deep = new string('[', 100) + new string(']', 100);
        using var response = await host.Client.PostChatAsync($"{{\"model\":\"fast\",\"messages\":[{{\"role\":\"user\",\"content\":\"x\"}}],\"x\":{deep}}}");
        var error = await AssertErrorAsync(response, 400, "invalid_request_error", "invalid_request");
        Assert.Contains("64", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Post_NoModel_Returns400()
    {
        await using var host = await StartAsync();
        using var response = await host.Client.PostChatAsync("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        var error = await AssertErrorAsync(response, 400, "invalid_request_error", "invalid_request");
        Assert.Contains("model", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Post_UnknownModel_Returns404ModelNotFound()
    {
        await using var host = await StartAsync();
        using var response = await host.Client.PostChatAsync(ChatJson("no-such-model"));
        await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found");
    }

    [Fact]
    public async Task Post_ContentLengthOverLimit_Returns413BeforeReading()
    {
        await using var host = await StartAsync(o => o.Settings["Portal:Limits:MaxRequestBodyBytes"] = "1024");
        using var response = await host.Client.PostChatAsync(ChatJson("fast", text: new string('a', 4096)));
        await AssertErrorAsync(response, 413, "invalid_request_error", "request_too_large");
        Assert.Equal(0, _upstream.RequestCount);
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_Returns413()
    {
        await using var host = await StartAsync(o => o.Settings["Portal:Limits:MaxRequestBodyBytes"] = "1024");
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(ChatJson("fast", text: new string('a', 4096)))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await host.Client.SendAsync(request);
        await AssertErrorAsync(response, 413, "invalid_request_error", "request_too_large");
        Assert.Equal(0, _upstream.RequestCount);
    }

    [Fact]
    public async Task Post_BodyUnderLimit_IsServed()
    {
        await using var host = await StartAsync(o => o.Settings["Portal:Limits:MaxRequestBodyBytes"] = "1024");
        using var response = await host.Client.PostChatAsync(ChatJson("fast", text: "short"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_EveryKeyRateLimited_Returns429WithRetryAfter()
    {
        _upstream.DefaultResponse = FakeResponse.RateLimited(TimeSpan.FromSeconds(2.2));
        await using var host = await StartAsync();
        using var response = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(response, 429, "rate_limit_error", "rate_limit_exceeded");
        Assert.Equal("3", Assert.Single(response.Headers.GetValues("Retry-After")));
    }

    [Theory]
    [InlineData(null, "900")]
    [InlineData("00:02:00", "120")]
    [InlineData("90s", "90")]
    public async Task Post_UpstreamAsksForHours_RetryAfterCappedAtMaxRetryAfter(string? setting, string expected)
    {
        _upstream.DefaultResponse = FakeResponse.RateLimited(TimeSpan.FromHours(2));
        await using var host = await StartAsync(o =>
        {
            if (setting is not null)
            {
                o.Settings["Portal:Health:MaxRetryAfter"] = setting;
            }
        });

        using var first = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(first, 429, "rate_limit_error", "rate_limit_exceeded");
        Assert.Equal(expected, Assert.Single(first.Headers.GetValues("Retry-After")));

        // The key now backs off for the capped time, and a caller is told no longer.
        using var next = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(next, 429, "rate_limit_error", "rate_limit_exceeded");
        Assert.True(int.Parse(Assert.Single(next.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture) <= int.Parse(expected, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, _upstream.RequestCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_LoneSurrogateInToolSchema_400AndNothingBlamed(bool stream)
    {
        // The body the fuzzer found: valid JSON, but "\ud800" cannot be decoded. It put the platform into backoff, and the
        // next 102 requests of other clients got 503.
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig());
        var body = "{\"model\":\"mock-1\",\"stream\":" + (stream ? "true" : "false")
            + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
            + "\"parameters\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"description\":\"\\ud800\"}}}}}]}";

        using var response = await host.Client.PostChatAsync(body);

        await AssertErrorAsync(response, 400, "invalid_request_error", "invalid_request");
        Assert.All(host.Gateway.GetAllHealth(), h => Assert.Equal(0, h.ErrorCount));
        using var next = await host.Client.PostChatAsync(ChatJson("mock-1"));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Post_HugeModelName_404EchoesItCut()
    {
        await using var host = await StartAsync();
        var model = new string('m', 100_000);

        using var response = await host.Client.PostChatAsync(ChatJson(model));

        var error = await AssertErrorAsync(response, 404, "invalid_request_error", "model_not_found");
        var message = error.GetProperty("message").GetString()!;
        Assert.True(message.Length < 2_000, $"The message is {message.Length} characters long.");
        Assert.Contains(new string('m', 256) + "…", message, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('m', 257), message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_HugeModelIdOrRoute_404EchoesItCut()
    {
        await using var host = await StartAsync();
        var name = new string('q', 5_000);

        foreach (var path in new[] { "v1/models/" + name, "v1/" + name })
        {
            using var response = await host.Client.GetAsync(path);
            var text = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.True(text.Length < 2_000, $"The error body is {text.Length} characters long.");
            Assert.Contains("qqq…", text, StringComparison.Ordinal);
            Assert.DoesNotContain(new string('q', 257), text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Post_RateLimitedWithoutRetryAfter_Returns429WithoutHeader()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = MockConfig(models: "mock-error-429"));
        using var response = await host.Client.PostChatAsync(ChatJson("mock-error-429"));
        await AssertErrorAsync(response, 429, "rate_limit_error", "rate_limit_exceeded");
        Assert.False(response.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Post_UpstreamFailsAfterFailover_Returns502()
    {
        _upstream.DefaultResponse = FakeResponse.Error(500, "boom", "server_error");
        await using var host = await StartAsync();
        using var response = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(response, 502, "upstream_error", "upstream_failed");
    }

    [Theory]
    [InlineData(400, 400)]
    [InlineData(422, 422)]
    public async Task Post_UpstreamRejectsRequest_ReturnsUpstreamClientStatus(int upstreamStatus, int expected)
    {
        _upstream.DefaultResponse = FakeResponse.Error(upstreamStatus, "bad parameter 'temperature'");
        await using var host = await StartAsync();
        using var response = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(response, expected, "invalid_request_error", "invalid_request");
        Assert.Equal(1, _upstream.RequestCount);
    }

    [Fact]
    public async Task Post_NoEnabledChannel_Returns503NoAvailableChannel()
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = """
            { "platforms": [ { "name": "mock", "format": "mock", "baseUrl": "mock://local",
              "models": [ "mock-1" ], "keys": [ { "value": "k1", "enabled": false } ] } ] }
            """);
        using var response = await host.Client.PostChatAsync(ChatJson("mock-1"));
        await AssertErrorAsync(response, 503, "service_unavailable_error", "no_available_channel");
    }

    [Fact]
    public async Task Post_AttemptTimesOut_Returns504()
    {
        _upstream.DefaultResponse = FakeResponse.Hang();
        await using var host = await StartAsync(o =>
        {
            o.Settings["Portal:Gateway:AttemptTimeout"] = "00:00:00.500";
            o.Settings["Portal:Gateway:MaxAttempts"] = "1";
        });
        using var response = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(response, 504, "timeout_error", "timeout");
    }

    [Fact]
    public async Task Post_WhileShuttingDown_Returns503ShuttingDown()
    {
        await using var host = await StartAsync();
        await host.Gateway.ShutdownAsync(TimeSpan.FromSeconds(1));
        using var response = await host.Client.PostChatAsync(ChatJson("fast"));
        await AssertErrorAsync(response, 503, "service_unavailable_error", "shutting_down");
    }

    [Fact]
    public async Task Post_StreamBreaksMidway_EndsWithErrorEventAndNoDone()
    {
        _upstream.DefaultResponse = FakeResponse.Stream("one", " two", " three").WithoutDone();
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream: true)) };
        using var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await ReadEventsAsync(response);
        Assert.DoesNotContain("[DONE]", events);
        using var last = JsonDocument.Parse(events[^1]);
        var error = last.RootElement.GetProperty("error");
        Assert.Equal("upstream_error", error.GetProperty("type").GetString());
        Assert.Equal("upstream_failed", error.GetProperty("code").GetString());
        Assert.Contains(events[..^1], e => e.Contains("one", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_BodyNamesAnotherUpstream_OnlyConfiguredUpstreamIsCalled()
    {
        await using var other = await FakeUpstream.StartAsync();
        await using var host = await StartAsync();
        var json = $$"""
            {"model":"fast","messages":[{"role":"user","content":"hi"}],
             "api_base":"{{other.BaseUrl}}/v1","base_url":"{{other.BaseUrl}}/v1","baseURL":"{{other.BaseUrl}}","api_key":"sk-attacker"}
            """;
        using var response = await host.Client.PostChatAsync(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, _upstream.RequestCount);
        Assert.Equal(0, other.RequestCount);
        Assert.Equal("Bearer " + UpstreamKey, _upstream.Requests[0].Headers["Authorization"]);
    }

    [Fact]
    public async Task Post_ClientCredentialsAndHopByHopHeaders_AreNotForwarded()
    {
        await using var host = await StartAsync(o => o.ClientTokens.Add("client-token-1"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast")) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "client-token-1");
        request.Headers.TryAddWithoutValidation("Cookie", "session=client-cookie");
        request.Headers.TryAddWithoutValidation("x-api-key", "client-x-api-key");
        request.Headers.TryAddWithoutValidation("api-key", "client-api-key");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", "Basic Y2xpZW50");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.0.0.1");
        request.Headers.TryAddWithoutValidation("Keep-Alive", "timeout=99");
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = Assert.Single(_upstream.Requests);
        Assert.Equal("Bearer " + UpstreamKey, received.Headers["Authorization"]);
        AssertNotForwarded(received, ["Cookie", "x-api-key", "api-key", "Proxy-Authorization", "X-Forwarded-For", "Keep-Alive"], "client-");
    }

    // Upstreams are third parties: the caller's trace context and baggage (which can carry anything) stay in the gateway.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Post_ClientTraceContextAndBaggage_AreNotForwarded(bool stream)
    {
        _upstream.DefaultResponse = stream ? FakeResponse.Stream("Hello") : FakeResponse.ChatCompletion("Hello");
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream)) };
        request.Headers.TryAddWithoutValidation("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        request.Headers.TryAddWithoutValidation("tracestate", "vendor=client-state");
        request.Headers.TryAddWithoutValidation("baggage", "user=client-baggage");
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertNotForwarded(
            Assert.Single(_upstream.Requests),
            ["traceparent", "tracestate", "baggage", "Request-Id", "Correlation-Context"],
            "client-",
            "0af7651916cd43dd8448eb211c80319c");
    }

    /// <summary>Asserts that the upstream request has none of the headers and no header value holding a client marker.</summary>
    private static void AssertNotForwarded(FakeRequest received, string[] headers, params string[] clientMarkers)
    {
        foreach (var header in headers)
        {
            Assert.False(received.Headers.ContainsKey(header), $"{header} was forwarded upstream");
        }

        Assert.DoesNotContain(received.Headers.Values, v => clientMarkers.Any(m => v.Contains(m, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Post_ClientDisconnectsMidStream_LogsStatus499()
    {
        _upstream.DefaultResponse = FakeResponse.Stream("a", "b", "c", "d", "e", "f").WithDelayBetweenWrites(TimeSpan.FromMilliseconds(500));
        await using var host = await StartAsync();
        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json(ChatJson("fast", stream: true)) })
        using (var response = await host.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            Assert.StartsWith("data: ", await reader.ReadLineAsync());
        }

        var record = await RequestLogTests.WaitForChatLogAsync(host);
        Assert.Equal("499", record.GetStructuredStateValue("Status"));
        Assert.Equal("client_closed", record.GetStructuredStateValue("Outcome"));
    }
}
