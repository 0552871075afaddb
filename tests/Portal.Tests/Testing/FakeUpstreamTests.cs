using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Portal.Testing;

namespace Portal.Tests.Testing;

public sealed class FakeUpstreamTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _client = new();
    private FakeUpstream _upstream = null!;

    public async Task InitializeAsync() => _upstream = await FakeUpstream.StartAsync();

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public void BaseUrl_IsLoopbackWithPortAndNoTrailingSlash()
    {
        var uri = new Uri(_upstream.BaseUrl);

        Assert.Equal("127.0.0.1", uri.Host);
        Assert.NotEqual(0, uri.Port);
        Assert.False(_upstream.BaseUrl.EndsWith('/'));
    }

    [Fact]
    public async Task Enqueue_ScriptedResponses_AreServedFifoThenDefault()
    {
        _upstream
            .Enqueue(FakeResponse.Text(201, "first"))
            .Enqueue(FakeResponse.Text(202, "second"));

        var first = await PostAsync("{}");
        var second = await PostAsync("{}");
        var third = await PostAsync("{}");

        Assert.Equal(201, (int)first.StatusCode);
        Assert.Equal("first", await first.Content.ReadAsStringAsync());
        Assert.Equal(202, (int)second.StatusCode);
        Assert.Equal("second", await second.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        using var json = JsonDocument.Parse(await third.Content.ReadAsStringAsync());
        Assert.Equal("Hello from fake upstream", json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(3, _upstream.RequestCount);
    }

    [Fact]
    public async Task Handler_WhenSet_TakesPrecedenceOverQueue()
    {
        _upstream.Enqueue(FakeResponse.Text(201, "queued"));
        _upstream.Handler = request => FakeResponse.Text(203, "handled " + request.Path);

        var response = await PostAsync("{}");

        Assert.Equal(203, (int)response.StatusCode);
        Assert.Equal("handled /v1/chat/completions", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ChatCompletion_WritesOpenAiShape()
    {
        _upstream.DefaultResponse = FakeResponse.ChatCompletion("Hi \"there\"", model: "m1", promptTokens: 3, completionTokens: 4, finishReason: "length");

        var response = await PostAsync("{}");

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal("chatcmpl-fake", root.GetProperty("id").GetString());
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal(1700000000, root.GetProperty("created").GetInt64());
        Assert.Equal("m1", root.GetProperty("model").GetString());
        var choice = root.GetProperty("choices")[0];
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("Hi \"there\"", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        AssertUsage(root.GetProperty("usage"), 3, 4);
    }

    [Fact]
    public async Task Error_WritesStatusAndOpenAiErrorShape()
    {
        _upstream.Enqueue(FakeResponse.Error(400, "bad model", code: "model_not_found"));
        _upstream.Enqueue(FakeResponse.Error(500, "boom", type: "server_error"));

        var withCode = await PostAsync("{}");
        var withoutCode = await PostAsync("{}");

        Assert.Equal(HttpStatusCode.BadRequest, withCode.StatusCode);
        Assert.Equal("application/json", withCode.Content.Headers.ContentType?.MediaType);
        using (var json = JsonDocument.Parse(await withCode.Content.ReadAsStringAsync()))
        {
            var error = json.RootElement.GetProperty("error");
            Assert.Equal("bad model", error.GetProperty("message").GetString());
            Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
            Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
            Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        }

        Assert.Equal(HttpStatusCode.InternalServerError, withoutCode.StatusCode);
        using (var json = JsonDocument.Parse(await withoutCode.Content.ReadAsStringAsync()))
        {
            var error = json.RootElement.GetProperty("error");
            Assert.Equal("server_error", error.GetProperty("type").GetString());
            Assert.Equal(JsonValueKind.Null, error.GetProperty("code").ValueKind);
        }
    }

    [Fact]
    public async Task RateLimited_Returns429WithRetryAfterRoundedUp()
    {
        _upstream.Enqueue(FakeResponse.RateLimited(TimeSpan.FromMilliseconds(2100), "slow down"));

        var response = await PostAsync("{}");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), response.Headers.RetryAfter?.Delta);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("slow down", json.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task WithStatusAndWithHeader_AreApplied()
    {
        _upstream.Enqueue(FakeResponse.Json(200, "{\"a\":1}").WithStatus(418).WithHeader("x-request-id", "abc"));

        var response = await PostAsync("{}");

        Assert.Equal(418, (int)response.StatusCode);
        Assert.Equal("abc", Assert.Single(response.Headers.GetValues("x-request-id")));
        Assert.Equal("{\"a\":1}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Stream_WritesOpenAiChunksUsageAndDone()
    {
        _upstream.Enqueue(FakeResponse.Stream("Hel", "lo \"wörld\""));

        var response = await PostAsync("{}");

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = ParseSse(await response.Content.ReadAsStringAsync());
        Assert.Equal(4, events.Count);
        Assert.Equal("[DONE]", events[3]);
        var chunks = events.Take(3).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.All(chunks, c => Assert.Equal("chatcmpl-fake", c.GetProperty("id").GetString()));
        Assert.All(chunks, c => Assert.Equal("fake-model", c.GetProperty("model").GetString()));
        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("Hel", first.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("finish_reason").ValueKind);
        var second = chunks[1].GetProperty("choices")[0];
        Assert.False(second.GetProperty("delta").TryGetProperty("role", out _));
        Assert.Equal("lo \"wörld\"", second.GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal("stop", chunks[2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        AssertUsage(chunks[2].GetProperty("usage"), 5, 7);
    }

    [Fact]
    public async Task Stream_WithoutDone_OmitsFinishChunkAndDone()
    {
        _upstream.Enqueue(FakeResponse.Stream("a", "b").WithoutDone());

        var response = await PostAsync("{}");

        var events = ParseSse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, events.Count);
        Assert.DoesNotContain("[DONE]", events);
        Assert.All(events, e => Assert.Equal(
            JsonValueKind.Null,
            JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
    }

    [Fact]
    public async Task Stream_EventsArriveAsTheyAreWritten()
    {
        _upstream.Enqueue(FakeResponse.Stream("a", "b").WithDelayBetweenWrites(TimeSpan.FromSeconds(30)));
        using var request = new HttpRequestMessage(HttpMethod.Post, _upstream.BaseUrl + "/v1/chat/completions");

        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var firstLine = await reader.ReadLineAsync().WaitAsync(Timeout);

        // The second event is 30 s away, so the first one must have been flushed on its own.
        Assert.StartsWith("data: {", firstLine);
        Assert.Contains("\"content\":\"a\"", firstLine);
    }

    [Fact]
    public async Task SseRaw_WritesEventsVerbatim()
    {
        _upstream.Enqueue(FakeResponse.SseRaw("data: one\n\n", ": comment\n\n", "data: [DONE]\n\n"));

        var response = await PostAsync("{}");

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data: one\n\n: comment\n\ndata: [DONE]\n\n", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SplitEvery_DeliversTheSameBytes(bool streaming)
    {
        var whole = streaming ? FakeResponse.Stream("héllo ", "wörld ✓") : FakeResponse.ChatCompletion("héllo wörld ✓");
        _upstream.Enqueue(whole).Enqueue(whole.SplitEvery(1)).Enqueue(whole.SplitEvery(7));

        var expected = await (await PostAsync("{}")).Content.ReadAsByteArrayAsync();
        var byOne = await (await PostAsync("{}")).Content.ReadAsByteArrayAsync();
        var bySeven = await (await PostAsync("{}")).Content.ReadAsByteArrayAsync();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, byOne);
        Assert.Equal(expected, bySeven);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Gzip_SendsTheSameBytesCompressed(bool streaming)
    {
        var whole = streaming ? FakeResponse.Stream("héllo ", "wörld ✓") : FakeResponse.ChatCompletion("héllo wörld ✓");
        _upstream.Enqueue(whole).Enqueue(whole.Gzip());

        var expected = await (await PostAsync("{}")).Content.ReadAsByteArrayAsync();
        using var gzipped = await PostAsync("{}"); // _client does not decompress.
        var compressed = await gzipped.Content.ReadAsByteArrayAsync();

        Assert.Equal(["gzip"], gzipped.Content.Headers.ContentEncoding);
        Assert.NotEqual(expected, compressed);
        using var decompressed = new MemoryStream();
        await using (var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            await gzip.CopyToAsync(decompressed);
        }

        Assert.Equal(expected, decompressed.ToArray());
        Assert.Throws<InvalidOperationException>(() => whole.Gzip().ResetAfterBytes(1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ResetAfterBytes_ClientReadsExactlyThoseBytesThenBodyReadThrows(bool streaming)
    {
        var response = streaming ? FakeResponse.Stream("a", "b", "c") : FakeResponse.ChatCompletion("hello");
        _upstream.Enqueue(response.ResetAfterBytes(10));
        using var request = new HttpRequestMessage(HttpMethod.Post, _upstream.BaseUrl + "/v1/chat/completions");

        using var message = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, message.StatusCode);
        using var body = await message.Content.ReadAsStreamAsync();
        var received = 0;
        var buffer = new byte[256];
        var error = await Record.ExceptionAsync(async () =>
        {
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        });

        Assert.IsAssignableFrom<IOException>(error);
        Assert.Equal(10, received);
        Assert.False(_upstream.Requests[0].ClientAborted);
    }

    [Fact]
    public async Task ResetAfterBytes_BufferedRead_ThrowsHttpRequestException()
    {
        _upstream.Enqueue(FakeResponse.ChatCompletion("hello").ResetAfterBytes(5));

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync("{}"));
    }

    [Fact]
    public async Task Hang_ClientCancels_SetsClientAborted()
    {
        _upstream.Enqueue(FakeResponse.Hang());
        using var cts = new CancellationTokenSource();

        var call = PostAsync("{}", cts.Token);
        var request = await _upstream.WaitForRequestsAsync(1, Timeout);
        Assert.False(request.ClientAborted);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await request.Aborted.WaitAsync(Timeout);
        Assert.True(request.ClientAborted);
        await request.Finished.WaitAsync(Timeout);
    }

    [Fact]
    public async Task WithDelayBeforeHeaders_ClientTimesOut_SetsClientAborted()
    {
        _upstream.Enqueue(FakeResponse.ChatCompletion("late").WithDelayBeforeHeaders(TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource();

        // The client gives up only once the upstream has the request (a fixed delay could fire before it arrives).
        var call = PostAsync("{}", cts.Token);
        var request = await _upstream.WaitForRequestsAsync(1, Timeout);
        cts.CancelAfter(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await request.Aborted.WaitAsync(Timeout);
    }

    [Fact]
    public async Task CompletedResponse_IsNotMarkedClientAborted()
    {
        var response = await PostAsync("{}");
        await response.Content.ReadAsByteArrayAsync();
        _client.Dispose();

        // Once the server has finished with the request its abort state is final: no sleep needed to see that it stays false.
        var request = Assert.Single(_upstream.Requests);
        await request.Finished.WaitAsync(Timeout);
        Assert.False(request.ClientAborted);
    }

    [Fact]
    public async Task DisposeAsync_WithHangingRequest_StopsAndClientSeesError()
    {
        _upstream.Enqueue(FakeResponse.Hang());
        var call = PostAsync("{}");
        await _upstream.WaitForRequestsAsync(1, Timeout);

        await _upstream.DisposeAsync().AsTask().WaitAsync(Timeout);

        await Assert.ThrowsAsync<HttpRequestException>(() => call.WaitAsync(Timeout));
    }

    [Fact]
    public async Task UnusedBaseUrl_ConnectionIsRefused()
    {
        var url = FakeUpstream.UnusedBaseUrl();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => _client.GetAsync(url + "/v1/models"));

        Assert.StartsWith("http://127.0.0.1:", url);
        Assert.Equal(HttpRequestError.ConnectionError, error.HttpRequestError);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(error.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task Requests_RecordMethodPathHeadersAndBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _upstream.BaseUrl + "/v1/chat/completions?x=1")
        {
            Content = new StringContent("{\"model\":\"gpt-x\",\"stream\":true}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", "sk-test");

        using var response = await _client.SendAsync(request);

        var recorded = Assert.Single(_upstream.Requests);
        Assert.Equal("POST", recorded.Method);
        Assert.Equal("/v1/chat/completions", recorded.Path);
        Assert.Equal("Bearer sk-test", recorded.Headers["authorization"]);
        Assert.StartsWith("application/json", recorded.Headers["Content-Type"]);
        Assert.Equal("{\"model\":\"gpt-x\",\"stream\":true}", recorded.BodyText);
        Assert.Equal(Encoding.UTF8.GetBytes(recorded.BodyText), recorded.Body);
        Assert.Equal("gpt-x", recorded.BodyJson.GetProperty("model").GetString());
        Assert.True(recorded.BodyJson.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public async Task Requests_RepeatedHeaderLines_AreJoinedWithComma()
    {
        // HttpClient folds repeated values into one line, so write the request by hand.
        var uri = new Uri(_upstream.BaseUrl);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        using var stream = tcp.GetStream();
        var raw = "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Multi: a\r\nX-Multi: b\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        using var reader = new StreamReader(stream);
        var response = await reader.ReadToEndAsync().WaitAsync(Timeout);

        Assert.StartsWith("HTTP/1.1 200", response);
        var recorded = Assert.Single(_upstream.Requests);
        Assert.Equal("GET", recorded.Method);
        Assert.Equal("/v1/models", recorded.Path);
        Assert.Equal("a,b", recorded.Headers["x-multi"]);
        Assert.Empty(recorded.Body);
    }

    [Fact]
    public async Task Requests_BodyLargerThanKestrelDefaultLimit_IsRecorded()
    {
        var body = new byte[40 * 1024 * 1024];
        body.AsSpan().Fill((byte)'x');

        using var response = await _client.PostAsync(_upstream.BaseUrl + "/v1/files", new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body.Length, Assert.Single(_upstream.Requests).Body.Length);
    }

    [Fact]
    public async Task Handler_Throws_ClientGets500()
    {
        _upstream.Handler = _ => throw new InvalidOperationException("test");

        var response = await PostAsync("{}");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(1, _upstream.RequestCount);
    }

    [Fact]
    public async Task BodyJson_NotJson_Throws()
    {
        await PostAsync("not json");

        Assert.ThrowsAny<JsonException>(() => _upstream.Requests[0].BodyJson);
    }

    [Fact]
    public async Task WaitForRequestsAsync_ReturnsTheCountThRequest()
    {
        var waiting = _upstream.WaitForRequestsAsync(2, Timeout);
        await PostAsync("{\"n\":1}");
        Assert.False(waiting.IsCompleted);
        await PostAsync("{\"n\":2}");

        var second = await waiting;

        Assert.Equal(2, second.BodyJson.GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task WaitForRequestsAsync_TooFewRequests_ThrowsTimeoutException()
    {
        await PostAsync("{}");

        await Assert.ThrowsAsync<TimeoutException>(() => _upstream.WaitForRequestsAsync(2, TimeSpan.FromMilliseconds(50)));
    }

    [Fact]
    public async Task ConcurrentRequests_AreAllRecordedAndEachQueuedResponseUsedOnce()
    {
        const int Count = 1000;
        for (var i = 0; i < Count; i++)
        {
            _upstream.Enqueue(FakeResponse.Text(200, i.ToString()));
        }

        var bodies = await Task.WhenAll(Enumerable.Range(0, Count).Select(async i =>
        {
            using var response = await PostAsync("{\"i\":" + i + "}");
            return await response.Content.ReadAsStringAsync();
        }));

        Assert.Equal(Count, _upstream.RequestCount);
        Assert.Equal(Count, _upstream.Requests.Select(r => r.BodyJson.GetProperty("i").GetInt32()).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, Count), bodies.Select(int.Parse).Order());
    }

    private static List<string> ParseSse(string text) =>
        [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e =>
        {
            Assert.StartsWith("data: ", e);
            return e["data: ".Length..];
        })];

    private static void AssertUsage(JsonElement usage, int prompt, int completion)
    {
        Assert.Equal(prompt, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(completion, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(prompt + completion, usage.GetProperty("total_tokens").GetInt32());
    }

    private Task<HttpResponseMessage> PostAsync(string json, CancellationToken cancellationToken = default) =>
        _client.PostAsync(
            _upstream.BaseUrl + "/v1/chat/completions",
            new StringContent(json, Encoding.UTF8, "application/json"),
            cancellationToken);
}
