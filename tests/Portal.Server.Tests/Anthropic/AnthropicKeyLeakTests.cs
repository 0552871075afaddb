using System.Net;
using System.Text.Json.Nodes;
using Portal.Server.Tests.Infrastructure;
using Portal.Server.Tests.Integration;
using Portal.Testing;
using Xunit.Abstractions;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary>No Anthropic platform key (sent upstream as <c>x-api-key</c>) ever leaves the server, and no client token ever goes upstream.</summary>
public sealed class AnthropicKeyLeakTests(ITestOutputHelper output)
{
    private const string AdminToken = "admin-token-anthropic-leak-0123456789";

    // Distinctive values, shaped like Anthropic keys and not.
    private const string Key401 = "sk-ant-api03-leak401-Rf8Kq2Wz7Xn4Lp1Vb6";
    private const string Key529 = "sk-ant-api03-leak529-Jd3Hs9Ty5Gc0Mq8Ze2";
    private const string Key400 = "anthropicsecretLeak400Pw7Nx2Qk9Vr4";
    private const string KeyMidway = "sk-ant-api03-leakMid-Ub5Fe1Oi6Ya3Kt8Rs0";
    private const string Key500 = "sk-ant-api03-leak500-Wm4Cn7Bx2Dz9Lg5Hq1";
    private const string KeyOk = "sk-ant-api03-leakOk-Pv6Ts3Ej8Ax1Ni4Ko7";

    private static readonly string[] Keys = [Key401, Key529, Key400, KeyMidway, Key500, KeyOk];

    [Fact]
    public async Task Messages_UpstreamsEchoTheKey_NoKeyInAnswersEventsStatsHealthLogsOrMetrics_NoClientTokenUpstream()
    {
        await using var upstream = await FakeUpstream.StartAsync();

        // One upstream for every platform, each answering by the key it was sent, and echoing it as a careless platform might.
        upstream.Handler = request =>
        {
            var key = Header(request, "x-api-key") ?? "";
            var counting = request.Path.EndsWith("/count_tokens", StringComparison.Ordinal);
            var stream = request.BodyText.Contains("\"stream\":true", StringComparison.Ordinal);
            return key switch
            {
                Key401 => FakeResponse.Json(401, $$$"""{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: {{{key}}}"}}"""),
                Key529 => FakeResponse.Json(529, $$$"""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded while serving key {{{key}}}"}}"""),
                Key400 => FakeResponse.Json(400, $$$"""{"type":"error","error":{"type":"invalid_request_error","message":"messages: bad request sent with x-api-key {{{key}}}"}}"""),
                KeyMidway when stream => FakeResponse.SseRaw(
                    Event("message_start", MessageStart("msg_leak", input: 9)),
                    BlockStart(0, """{"type":"text","text":""}"""),
                    TextDelta(0, "partial"),
                    Event("error", $$$"""{"type":"error","error":{"type":"api_error","message":"Internal error for key {{{key}}}"}}""")),
                Key500 => FakeResponse.Text(500, $"<html>upstream broke; request had x-api-key: {key}</html>", "text/html"),
                _ when counting => FakeResponse.Json(200, """{"input_tokens":42}"""),
                _ => TextAnswer(stream),
            };
        };

        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminToken;
            o.ClientTokens.Add(ClientToken);
            o.Settings["Portal:Gateway:MaxAttempts"] = "1";
            o.PortalJson = PortalJson(
                Platform("p401", upstream.BaseUrl, "m401", Key401),
                Platform("p529", upstream.BaseUrl, "m529", Key529),
                Platform("p400", upstream.BaseUrl, "m400", Key400),
                Platform("pmid", upstream.BaseUrl, "mmid", KeyMidway),
                Platform("p500", upstream.BaseUrl, "m500", Key500),
                Platform("pok", upstream.BaseUrl, "mok", KeyOk));
        });
        using var client = RawClient(host);
        var seen = new List<(string Where, string Text)>();

        foreach (var stream in new[] { false, true })
        {
            foreach (var model in new[] { "m401", "m529", "m400", "mmid", "m500", "mok" })
            {
                using var response = await PostAsync(client, "v1/messages", MessagesBody(model, stream));
                var text = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
                    ? string.Join("\n", (await ReadEventsAsync(response)).Events.Select(e => $"{e.Type}: {e.Data}"))
                    : await response.Content.ReadAsStringAsync();
                seen.Add(($"POST /v1/messages {model} stream={stream} -> {(int)response.StatusCode}", text));
                if (model == "mok")
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    AssertAnthropicError(text, AnthropicErrorType(text));
                }

                host.Gateway.ResetHealth();
            }
        }

        foreach (var model in new[] { "m400", "mok" })
        {
            using var response = await PostAsync(client, "v1/messages/count_tokens", """{"model":"MODEL","messages":[{"role":"user","content":"Hi"}]}""".Replace("MODEL", model, StringComparison.Ordinal));
            seen.Add(($"POST /v1/messages/count_tokens {model} -> {(int)response.StatusCode}", await response.Content.ReadAsStringAsync()));
        }

        // The keys really went up as x-api-key, and the client's token never did.
        foreach (var key in Keys)
        {
            Assert.Contains(upstream.Requests, r => Header(r, "x-api-key") == key);
        }

        Assert.All(upstream.Requests, r =>
        {
            Assert.Null(Header(r, "authorization"));
            Assert.DoesNotContain(r.Headers.Values, v => v.Contains(ClientToken, StringComparison.Ordinal));
            Assert.DoesNotContain(ClientToken, r.BodyText, StringComparison.Ordinal);
        });

        // Fail again without a reset, so health keeps the last errors for the admin API.
        foreach (var model in new[] { "m401", "m529", "m500" })
        {
            using var response = await PostAsync(client, "v1/messages", MessagesBody(model));
            seen.Add(($"POST /v1/messages {model} again -> {(int)response.StatusCode}", await response.Content.ReadAsStringAsync()));
        }

        await host.Gateway.FlushStatsAsync();
        await host.Gateway.SaveHealthAsync();
        using var admin = RawClient(host, AdminToken);
        foreach (var path in new[] { "admin/keys", "admin/health", "admin/stats", "admin/stats?success=false", "metrics" })
        {
            using var response = await admin.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /{path} answered {(int)response.StatusCode}: {body}");
            seen.Add(("GET /" + path, body));
        }

        var stats = await host.Gateway.QueryStatsAsync(new StatsQuery { Limit = 1000 });
        Assert.Contains(stats, s => !s.Success && s.TargetFormat == "anthropic" && s.ErrorMessage is not null);
        seen.AddRange(stats.Select(s => ($"stat {s.Id} {s.ModelName}", s.ErrorMessage ?? "")));
        seen.AddRange(host.Gateway.GetAllHealth().Select(h => ($"health {h.ResourceKind} {h.ResourceId}", h.LastError ?? "")));
        seen.AddRange(host.Logs.GetSnapshot().Select(r => ($"log {r.Level} {r.Category} #{r.Id}", KeyLeakTests.LogText(r))));

        // The echoed texts do reach what is checked (scrubbed), so the check below is not vacuous.
        Assert.Contains(seen, e => e.Where.StartsWith("POST", StringComparison.Ordinal) && e.Text.Contains("invalid x-api-key", StringComparison.Ordinal));
        Assert.Contains(seen, e => e.Where.StartsWith("POST", StringComparison.Ordinal) && e.Text.Contains("bad request sent with x-api-key", StringComparison.Ordinal));
        Assert.Contains(seen, e => e.Where.StartsWith("stat", StringComparison.Ordinal) && e.Text.Contains("Overloaded while serving key", StringComparison.Ordinal));

        foreach (var entry in seen.Where(e => e.Where.StartsWith("POST", StringComparison.Ordinal)))
        {
            output.WriteLine($"{entry.Where}: {entry.Text.ReplaceLineEndings(" ")}");
        }

        var leaks = (from entry in seen
                     from key in Keys
                     where entry.Text.Contains(key, StringComparison.Ordinal) || entry.Text.Contains(key[^12..], StringComparison.Ordinal)
                     select $"{entry.Where}: {entry.Text.ReplaceLineEndings(" ")}").Distinct().ToList();
        Assert.True(leaks.Count == 0, "Key values leaked:\n" + string.Join("\n", leaks));
    }

    [Fact]
    public async Task ChatCompletions_AnthropicUpstreamEchoesTheKey_NoKeyInTheAnswerStatsOrLogs()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request => FakeResponse.Json(401,
            $$$"""{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key: {{{Header(request, "x-api-key")}}}"}}""");
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.ClientTokens.Add(ClientToken);
            o.PortalJson = PortalJson(Platform("p", upstream.BaseUrl, Alias, Key401));
        });
        using var client = RawClient(host, ClientToken);

        var result = await ChatAsync(client, ChatBody(Alias, stream: false));

        Assert.Equal(HttpStatusCode.BadGateway, result.Status);
        var message = AssertOpenAIError(result.Body);
        Assert.Contains("invalid x-api-key", message, StringComparison.Ordinal);
        var sent = Assert.Single(upstream.Requests);
        Assert.Equal(Key401, Header(sent, "x-api-key"));
        Assert.DoesNotContain(sent.Headers.Values, v => v.Contains(ClientToken, StringComparison.Ordinal));
        var stat = Assert.Single(await host.Gateway.QueryStatsAsync(new StatsQuery()));
        var texts = new List<string> { result.Body!, stat.ErrorMessage ?? "" };
        texts.AddRange(host.Logs.GetSnapshot().Select(KeyLeakTests.LogText));
        Assert.DoesNotContain(texts, t => t.Contains(Key401[^12..], StringComparison.Ordinal));
    }

    private static JsonObject Platform(string name, string baseUrl, string alias, string key) =>
        AnthropicPlatform(name, baseUrl, alias, "claude-" + name, key);

    private static string AnthropicErrorType(string body)
    {
        var error = JsonNode.Parse(body)?["error"]?["type"]?.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(error), "Not an Anthropic error: " + body);
        return error!;
    }
}
