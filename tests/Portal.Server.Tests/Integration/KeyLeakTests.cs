using System.Collections;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>No upstream key ever leaves the server: not in logs, error bodies, the admin API or metrics.</summary>
public sealed class KeyLeakTests(ITestOutputHelper output)
{
    private const string AdminToken = "admin-token-leak-test-0123456789";

    // Distinctive values, some shaped like keys and some not (so scrubbing by pattern alone would miss them).
    private const string Key401A = "sk-leak401-A7f3K9m2Q8x5Z1w4";
    private const string Key401B = "pk401Zq8XyW3vT5uR7pN2Lm4Kd9Hf";
    private const string Key500 = "sk-leak500-C5h1M7o0S6z3X9u2";
    private const string KeySlow = "slowsecretD4i0N6p9T5a2W8t1Qz";
    private const string KeyOk = "okkeyE3j9O5q8U4b1V7s0Xy2wRt5";

    private static readonly string[] Keys = [Key401A, Key401B, Key500, KeySlow, KeyOk];

    [Fact]
    public async Task Failures_KeysEchoedByUpstreams_NoKeyInLogsErrorsAdminApiOrMetrics()
    {
        await using var up401 = await FakeUpstream.StartAsync();
        await using var up500 = await FakeUpstream.StartAsync();
        await using var upSlow = await FakeUpstream.StartAsync();
        await using var upOk = await FakeUpstream.StartAsync();

        // Upstreams that echo the key they were sent, in full, as a careless platform might.
        up401.Handler = request => FakeResponse.Error(
            401,
            $"Incorrect API key provided: {Bearer(request)}. You can find your API key at https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key");
        up500.Handler = request => FakeResponse.Error(500, $"Internal error while serving Authorization: Bearer {Bearer(request)} (key {Bearer(request)})", "server_error");
        upSlow.Handler = request => (IsStream(request) ? FakeResponse.Stream("too", "late") : FakeResponse.ChatCompletion("too late"))
            .WithDelayBeforeHeaders(TimeSpan.FromSeconds(5));
        upOk.Handler = request => IsStream(request) ? FakeResponse.Stream("fine ", "answer") : FakeResponse.ChatCompletion("fine answer");

        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminToken;
            o.Settings["Portal:Gateway:AttemptTimeout"] = "00:00:00.300";
            o.PortalJson = PortalJson(
                OpenAIPlatform("p401", up401.BaseUrl, "m401", "gpt-401", Key401A, Key401B),
                OpenAIPlatform("p500", up500.BaseUrl, "m500", "gpt-500", Key500),
                OpenAIPlatform("pslow", upSlow.BaseUrl, "mslow", "gpt-slow", KeySlow),
                OpenAIPlatform("pok", upOk.BaseUrl, "mok", "gpt-ok", KeyOk));
        });
        using var client = RawClient(host);
        var seen = new List<(string Where, string Text)>();

        foreach (var stream in new[] { false, true })
        {
            foreach (var model in new[] { "m401", "m500", "mslow", "mok" })
            {
                var result = await ChatAsync(client, ChatBody(model, stream));
                var text = result.Body ?? string.Join("\n", result.Events);
                seen.Add(($"POST {model} stream={stream} -> {(int)result.Status}", text));
                if (model == "mok")
                {
                    Assert.Equal(HttpStatusCode.OK, result.Status);
                }
                else if (result.Status != HttpStatusCode.OK)
                {
                    AssertOpenAIError(result.Body);
                }
                else
                {
                    // Committed before failing (not expected here, but then the error must be an event).
                    Assert.Contains(result.Events, e => e.Contains("\"error\"", StringComparison.Ordinal));
                }

                // Every failure leaves its resource backing off; reset so the next request reaches the upstream again.
                host.Gateway.ResetHealth();
            }
        }

        // The keys really were sent, and really were echoed back.
        Assert.Contains(up401.Requests, r => Bearer(r) == Key401A);
        Assert.Contains(up401.Requests, r => Bearer(r) == Key401B);
        Assert.Contains(up500.Requests, r => Bearer(r) == Key500);
        Assert.Contains(upSlow.Requests, r => Bearer(r) == KeySlow);
        Assert.Contains(upOk.Requests, r => Bearer(r) == KeyOk);

        // Fail the failures again, without a reset, so health keeps their last errors for the admin API.
        foreach (var model in new[] { "m401", "m500", "mslow" })
        {
            var result = await ChatAsync(client, ChatBody(model, stream: false));
            seen.Add(($"POST {model} again -> {(int)result.Status}", result.Body ?? ""));
        }

        await host.Gateway.FlushStatsAsync();
        await host.Gateway.SaveHealthAsync();
        using var admin = RawClient(host, AdminToken);
        foreach (var path in new[] { "admin/keys", "admin/health", "admin/stats", "admin/stats?success=false", "admin/stats/count", "metrics" })
        {
            using var response = await admin.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /{path} answered {(int)response.StatusCode}: {body}");
            Assert.False(string.IsNullOrWhiteSpace(body), $"GET /{path} answered an empty body.");
            seen.Add(("GET /" + path, body));
        }

        var stats = await host.Gateway.QueryStatsAsync(new StatsQuery { Limit = 1000 });
        Assert.Contains(stats, s => !s.Success && s.ErrorMessage is not null);
        seen.AddRange(stats.Select(s => ($"stat {s.Id}", s.ErrorMessage ?? "")));
        seen.AddRange(host.Gateway.GetAllHealth().Select(h => ($"health {h.ResourceKind} {h.ResourceId}", h.LastError ?? "")));

        var logs = host.Logs.GetSnapshot();
        Assert.Contains(logs, r => r.Level >= LogLevel.Warning && (r.Category ?? "").StartsWith("Portal", StringComparison.Ordinal));
        seen.AddRange(logs.Select(r => ($"log {r.Level} {r.Category} #{r.Id}", LogText(r))));

        // The echoed text does reach what is checked (scrubbed), so the check below is not vacuous.
        Assert.Contains(seen, e => e.Text.Contains("Incorrect API key provided", StringComparison.Ordinal));

        foreach (var entry in seen.Where(e => e.Where.StartsWith("POST", StringComparison.Ordinal)))
        {
            output.WriteLine($"{entry.Where}: {entry.Text.ReplaceLineEndings(" ")}");
        }

        var leaks = (from entry in seen
                     from key in Keys
                     where entry.Text.Contains(key, StringComparison.Ordinal) || entry.Text.Contains(key[^12..], StringComparison.Ordinal)
                     select $"{entry.Where}: {Shorten(entry.Text, key)}").ToList();
        Assert.True(leaks.Count == 0, "Key values leaked:\n" + string.Join("\n", leaks));
    }

    public static TheoryData<string> AlteredEchoes => ["upper", "base64", "base64url", "percent", "json", "fragment", "masked"];

    [Theory]
    [MemberData(nameof(AlteredEchoes))]
    public async Task Failure_KeyEchoedInAlteredForm_NoRunOfItInTheAnswerStatsLogsOrAdminHealth(string form)
    {
        const string Key = "hunter2/Zq+Lm9=Xp4Kd7Wc1Nv6Bt3Yh5Rt8Vw";
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request =>
        {
            var key = Bearer(request);
            var echo = form switch
            {
                "upper" => key.ToUpperInvariant(),
                "base64" => Convert.ToBase64String(Encoding.UTF8.GetBytes("Bearer " + key)),
                "base64url" => Convert.ToBase64String(Encoding.UTF8.GetBytes(key)).Replace('+', '-').Replace('/', '_').TrimEnd('='),
                "percent" => Uri.EscapeDataString(key),
                "json" => System.Text.Json.JsonEncodedText.Encode(key).ToString(),
                "fragment" => key[10..30],
                _ => key[..6] + "..." + key[^6..],
            };
            return FakeResponse.Text(401, $"Unauthorized: credential {echo} is not valid");
        };
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminToken;
            o.PortalJson = PortalJson(OpenAIPlatform("p", upstream.BaseUrl, "m", "gpt-m", Key));
        });
        using var client = RawClient(host);

        var result = await ChatAsync(client, ChatBody("m", stream: false));

        Assert.Equal(HttpStatusCode.BadGateway, result.Status);
        Assert.Equal(Key, Bearer(Assert.Single(upstream.Requests)));
        await host.Gateway.FlushStatsAsync();
        using var admin = RawClient(host, AdminToken);
        var health = await admin.GetStringAsync("admin/health");
        var stat = Assert.Single(await host.Gateway.QueryStatsAsync(new StatsQuery()));
        var seen = new List<(string Where, string Text)>
        {
            ("502 body", result.Body ?? ""),
            ("GET /admin/health", health),
            ("stat row", stat.ErrorMessage ?? ""),
        };
        seen.AddRange(host.Logs.GetSnapshot().Select(r => ($"log {r.Category} #{r.Id}", LogText(r))));

        // The upstream's text does arrive (scrubbed), so the check is not vacuous.
        Assert.Contains("credential [redacted] is not valid", result.Body, StringComparison.Ordinal);
        Assert.Contains("credential [redacted] is not valid", health, StringComparison.Ordinal);
        Assert.Contains("credential [redacted] is not valid", stat.ErrorMessage, StringComparison.Ordinal);
        var lowerKey = Key.ToLowerInvariant();
        var leaks = (from entry in seen
                     from i in Enumerable.Range(0, Key.Length - 7)
                     where entry.Text.Contains(lowerKey.Substring(i, 8), StringComparison.OrdinalIgnoreCase)
                     select $"{entry.Where}: {entry.Text.ReplaceLineEndings(" ")}").Distinct().ToList();
        Assert.True(leaks.Count == 0, "Key characters leaked:\n" + string.Join("\n", leaks));
        Assert.DoesNotContain(seen, e => e.Text.Contains("hunter...", StringComparison.Ordinal));
    }

    private static string Bearer(FakeRequest request) =>
        request.Headers.TryGetValue("Authorization", out var value) && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value[7..] : "";

    private static bool IsStream(FakeRequest request) =>
        request.BodyJson.TryGetProperty("stream", out var stream) && stream.ValueKind == System.Text.Json.JsonValueKind.True;

    /// <summary>Everything a log sink could write for a record: message, exception (with inner ones), structured state and scopes.</summary>
    internal static string LogText(Microsoft.Extensions.Logging.Testing.FakeLogRecord record)
    {
        var text = new StringBuilder();
        text.AppendLine(record.Message);
        text.AppendLine(record.Exception?.ToString());
        foreach (var (name, value) in record.StructuredState ?? [])
        {
            text.Append(name).Append('=').AppendLine(value);
        }

        text.AppendLine(record.State?.ToString());
        foreach (var scope in record.Scopes)
        {
            text.AppendLine(scope?.ToString());
            if (scope is IEnumerable items and not string)
            {
                foreach (var item in items)
                {
                    text.AppendLine(item?.ToString());
                }
            }
        }

        return text.ToString();
    }

    private static string Shorten(string text, string key)
    {
        var at = Math.Max(text.IndexOf(key[^12..], StringComparison.Ordinal), 0);
        var start = Math.Max(0, at - 120);
        return text.Substring(start, Math.Min(text.Length - start, 260)).ReplaceLineEndings(" ");
    }
}
