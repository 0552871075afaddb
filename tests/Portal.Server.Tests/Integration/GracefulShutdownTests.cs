using System.Net;
using Portal.Server.Tests.Infrastructure;
using Portal.Storage;
using Portal.Testing;
using Xunit.Abstractions;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>Stopping the server under load: readiness turns 503, short streams finish, long ones end at the timeout, every stat reaches SQLite.</summary>
public sealed class GracefulShutdownTests(ITestOutputHelper output)
{
    private const int Streams = 20;
    private const int ShortChunks = 8;   // about 1.6 s of chunks: finishes well within the shutdown timeout
    private const int LongChunks = 150;  // about 30 s of chunks: must be cut at the timeout
    private static readonly TimeSpan ChunkInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task StopAsync_OpenStreams_ShortOnesCompleteLongOnesEndAtTimeoutAndEveryStatIsStored()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request =>
        {
            var isLong = request.BodyText.Contains("long stream", StringComparison.Ordinal);
            var chunks = Enumerable.Range(0, isLong ? LongChunks : ShortChunks).Select(i => $"c{i} ").ToArray();
            return FakeResponse.Stream(chunks).WithDelayBetweenWrites(ChunkInterval);
        };
        var expectedShortText = string.Concat(Enumerable.Range(0, ShortChunks).Select(i => $"c{i} "));
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.Settings["Portal:Shutdown:Timeout"] = ShutdownTimeout.ToString();
            o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl));
        });
        using var client = RawClient(host);
        using var probe = RawClient(host);
        using (var ready = await probe.GetAsync("readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var opened = Enumerable.Range(0, Streams).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var streams = Enumerable.Range(0, Streams)
            .Select(i => RunStreamAsync(client, isLong: i % 2 == 1, opened[i], bound.Token))
            .ToArray();
        await Task.WhenAll(opened.Select(o => o.Task)).WaitAsync(Wait);
        Assert.Equal(Streams, upstream.RequestCount);
        Assert.Equal(Streams, host.Gateway.InFlightRequests);

        var stopping = host.StopAsync();
        var saw503 = false;
        string? refusedBody = null;
        HttpStatusCode? refusedStatus = null;
        while (!stopping.IsCompleted && !saw503)
        {
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var ready = await probe.GetAsync("readyz", attempt.Token);
                saw503 = ready.StatusCode == HttpStatusCode.ServiceUnavailable;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                // Not accepting any more: keep polling until the stop completes.
            }

            if (saw503)
            {
                // The server still answers: a new chat request must be refused as shutting down.
                var refused = await ChatAsync(probe, ChatBody(Alias, stream: false), bound.Token);
                refusedStatus = refused.Status;
                refusedBody = refused.Body;
            }
            else
            {
                await Task.Delay(25);
            }
        }

        Assert.True(saw503, "/readyz never answered 503 while the server drained.");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedStatus);
        AssertOpenAIError(refusedBody);

        // The long streams would run for about 30 s; cut at the 5 s timeout they all end well before that.
        var results = await Task.WhenAll(streams).WaitAsync(TimeSpan.FromSeconds(20));
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        foreach (var result in results)
        {
            output.WriteLine($"{(result.IsLong ? "long" : "short")}: {result.Events.Count} events, done={result.Done}, last={result.Events.LastOrDefault()}, error={result.Error?.GetType().Name}");
        }

        foreach (var result in results.Where(r => !r.IsLong))
        {
            Assert.True(result.Done, "A short stream did not complete: " + string.Join(" | ", result.Events.TakeLast(3)) + " " + result.Error?.Message);
            Assert.Equal(expectedShortText, DeltaText(result.Events));
        }

        foreach (var result in results.Where(r => r.IsLong))
        {
            Assert.False(result.Done, "A 30 s stream completed although the shutdown timeout was 5 s.");
            Assert.True(result.Events.Count < LongChunks, "A long stream was not cut.");

            // Paced like the short ones, a long stream must outlive them: the drain lets in-flight streams run.
            Assert.True(result.Events.Count > ShortChunks + 2, $"A long stream was cut after {result.Events.Count} events, before the short ones finished.");
            var last = result.Events.LastOrDefault() ?? "";
            if (result.Error is null && last.Contains("\"error\"", StringComparison.Ordinal))
            {
                Assert.Contains("shut", last, StringComparison.OrdinalIgnoreCase);
            }
        }

        // Every attempt is in the database: the completed streams as successes, the cut ones as cancelled.
        var database = Path.Combine(host.Directory, "portal.db");
        await using var repository = await EfPortalRepository.OpenAsync(new StorageOptions { ConnectionString = $"Data Source={database}" });
        var rows = await repository.QueryRequestStatsAsync(new StatsQuery { Limit = 1000 }, CancellationToken.None);
        Assert.Equal(Streams, rows.Count);
        Assert.All(rows, row => Assert.True(row.IsStream));
        Assert.Equal(Streams / 2, rows.Count(r => r.Success));
        Assert.All(rows.Where(r => !r.Success), row => Assert.Contains("cancel", row.ErrorMessage ?? "", StringComparison.OrdinalIgnoreCase));
        var count = await repository.CountRequestStatsAsync(new StatsQuery(), CancellationToken.None);
        Assert.Equal(Streams, count.TotalRequests);
        Assert.Equal(Streams / 2, count.SuccessRequests);
    }

    private static async Task<StreamResult> RunStreamAsync(HttpClient client, bool isLong, TaskCompletionSource opened, CancellationToken cancellationToken)
    {
        var events = new List<string>();
        try
        {
            using var response = await PostChatAsync(client, ChatBody(Alias, stream: true, isLong ? "long stream" : "short stream"), cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                opened.TrySetException(new InvalidOperationException($"The stream was refused with {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}"));
                return new StreamResult(isLong, events, false, null);
            }

            var sse = await SseStream.OpenAsync(response, cancellationToken);
            while (await sse.ReadEventAsync(cancellationToken) is { } data)
            {
                events.Add(data);
                opened.TrySetResult();
            }

            opened.TrySetException(new InvalidOperationException("The stream ended before its first event."));
            return new StreamResult(isLong, events, events.LastOrDefault() == "[DONE]", null);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            opened.TrySetException(ex);
            return new StreamResult(isLong, events, false, ex);
        }
    }

    private sealed record StreamResult(bool IsLong, List<string> Events, bool Done, Exception? Error);
}
