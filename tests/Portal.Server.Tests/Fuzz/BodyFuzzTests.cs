using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using Xunit.Abstractions;

namespace Portal.Server.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of client and admin request bodies against the real server, seeded and bounded: whatever a client
/// sends, the server answers without a 5xx of its own, no platform, model or key is blamed, and the process lives on.
/// </summary>
/// <remarks>
/// Both upstreams are healthy (the built-in mock platform, reached through the typed path, and a fake OpenAI platform
/// that always answers 200, reached through the byte relay), so no answer here may be a 5xx at all: a 502/503/504 would
/// mean an upstream was blamed for a client's body. Set <c>PORTAL_FUZZ_SEED</c> to replay another seed and
/// <c>PORTAL_FUZZ_CASES</c> to run more cases; a failure names the seed, the case and the body (base64).
/// </remarks>
public sealed class BodyFuzzTests(ITestOutputHelper output)
{
    private const string AdminToken = "fuzz-admin-token-0123456789";
    private const int DefaultSeed = 20261207;
    private const int DefaultChatCases = 2500;
    private const int DefaultAdminCases = 1500;

    private static readonly string[] ChatSeeds =
    [
        """{"model":"fuzz-mock","messages":[{"role":"user","content":"Hello there"}]}""",
        """{"model":"fuzz-relay","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}]}""",
        """{"model":"fuzz-mock","stream":true,"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"}}]}]}""",
        """{"model":"fuzz-mock","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string","enum":["Paris","Zürich"]},"unit":{"type":"string"}},"required":["city"]}}}],"tool_choice":{"type":"function","function":{"name":"get_weather"}}}""",
        """{"model":"fuzz-relay","messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"18 C"}],"temperature":0.2,"top_p":0.9,"max_tokens":64,"stop":["\n\n","END"],"seed":7}""",
        """{"model":"fuzz-mock","messages":[{"role":"developer","content":"JSON only"},{"role":"user","content":"List 3 colors"}],"response_format":{"type":"json_schema","json_schema":{"name":"colors","strict":true,"schema":{"type":"object","properties":{"colors":{"type":"array","items":{"type":"string"}}}}}},"n":1,"logit_bias":{"50256":-100},"user":"u-1","metadata":{"k":"v"}}""",
        """{"model":"fuzz-mock","stream":true,"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},{"type":"file","file":{"file_id":"file-1"}}]}],"parallel_tool_calls":false,"reasoning_effort":"low"}""",
        """{"model":"fuzz-relay","messages":[{"role":"user","content":"\u00e9\u4e2d\ud83d\ude00 \"quoted\" \\ back"}],"stop":"STOP","frequency_penalty":0.5,"presence_penalty":-0.5}""",
    ];

    private static readonly string[] AdminSeeds =
    [
        """{"name":"fz-platform","format":"mock","baseUrl":"mock://local?latency=0ms","rateLimit":{"rpm":60,"tpm":1000},"enabled":true}""",
        """{"name":"fz-openai","format":"openai","baseUrl":"https://api.example.test/v1"}""",
        """{"platformId":1,"name":"fz-model","alias":"fz-alias","enabled":false}""",
        """{"platformId":1,"value":"sk-fuzz-0123456789abcdef","enabled":false}""",
        """{"rateLimit":null,"enabled":false}""",
        """{"alias":null}""",
    ];

    private static readonly string[] AdminTargets =
    [
        "POST admin/platforms",
        "POST admin/models",
        "POST admin/keys",
        "PATCH admin/platforms/{fuzz}",
        "PUT admin/platforms/{fuzz}",
    ];

    /// <summary>Fragments that have broken JSON readers and converters before.</summary>
    private static readonly string[] Tokens =
    [
        "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u0000", "\\\"", "\\\\", "\\/", "\\x", "\\", "null", "true", "false", "[]", "{}",
        "[{}]", "0", "-0", "1e999", "-1e999", "1.5", "9223372036854775808", "-1", "\"\"", "\"a\"", ",", ":", "\"model\":\"fuzz-mock\"",
        "\"stream\":true", "\"role\":\"tool\"", "\"content\":null", "\"type\":\"image_url\"", "\"tool_calls\":[{}]", "\"parameters\":\"x\"",
        "NaN", "Infinity", "{\"a\":", "[[[[[[[[", "]]]]", "\u00e9", "\ud83d\ude00", "\t", "\r\n", "/*", "//",
    ];

    private static readonly byte[][] RawBytes = [[0xFF], [0xFE, 0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x00], [0xF4, 0x90, 0x80, 0x80]];

    [Fact]
    public async Task MutatedBodies_NoServerErrorNoBlameProcessAlive()
    {
        var seed = EnvironmentNumber("PORTAL_FUZZ_SEED", DefaultSeed);
        var chatCases = EnvironmentNumber("PORTAL_FUZZ_CASES", DefaultChatCases);
        var adminCases = chatCases * DefaultAdminCases / DefaultChatCases;
        var random = new Random(seed);

        await using var upstream = await FakeUpstream.StartAsync();
        upstream.Handler = request => Streams(request) ? FakeResponse.Stream("fine") : FakeResponse.ChatCompletion("fine");
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.AdminToken = AdminToken;
            o.PortalJson = $$"""
                { "platforms": [
                  { "name": "mock", "format": "mock", "baseUrl": "mock://local", "models": [ { "name": "mock-1", "alias": "fuzz-mock" } ], "keys": [ "mock-key" ] },
                  { "name": "relay", "format": "openai", "baseUrl": "{{upstream.BaseUrl}}", "models": [ { "name": "up-1", "alias": "fuzz-relay" } ], "keys": [ "sk-fuzz-upstream-0123456789" ] } ] }
                """;
        });
        using var admin = host.CreateClient(AdminToken);
        var fuzzPlatform = await CreateFuzzPlatformAsync(admin);
        var statuses = new SortedDictionary<int, int>();

        for (var i = 0; i < chatCases; i++)
        {
            var body = Mutate(random, ChatSeeds);
            var status = await SendAsync(admin, HttpMethod.Post, "v1/chat/completions", body);
            Check(status, seed, $"chat case {i}", body, statuses);
        }

        for (var i = 0; i < adminCases; i++)
        {
            var target = AdminTargets[random.Next(AdminTargets.Length)].Split(' ');
            var body = Mutate(random, AdminSeeds);
            var status = await SendAsync(admin, new HttpMethod(target[0]), target[1].Replace("{fuzz}", fuzzPlatform.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), body);
            Check(status, seed, $"admin case {i} ({target[0]} {target[1]})", body, statuses);
        }

        output.WriteLine($"seed {seed}: {chatCases} chat and {adminCases} admin bodies; statuses {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}");

        // Both paths were exercised for real: some mutated bodies were served by each platform.
        Assert.True(statuses.GetValueOrDefault(200) > 0, "No mutated body was served: the fuzzer only produced rejects.");
        Assert.True(upstream.RequestCount > 0, "No mutated body reached the relay path.");
        Assert.True(statuses.GetValueOrDefault(400) > 0, "No mutated body was rejected: the mutations are too weak.");

        // No resource took any blame.
        var blamed = host.Gateway.GetAllHealth().Where(h => h.ErrorCount > 0 || h.Status is HealthStatus.Warning or HealthStatus.Unavailable).ToList();
        Assert.True(blamed.Count == 0, "Blamed: " + string.Join("; ", blamed.Select(h => $"{h.ResourceKind} {h.ResourceId}: {h.LastError}")));

        // Nothing failed inside the server.
        var errors = host.Logs.GetSnapshot().Where(r => r.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, "Errors logged: " + string.Join("\n", errors.Take(5).Select(r => $"{r.Category}: {r.Message} {r.Exception}")));

        // And the process serves on.
        using var healthz = await host.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, healthz.StatusCode);
        using var served = await host.Client.PostAsync("v1/chat/completions", new StringContent(ChatSeeds[0], Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private static void Check(int status, int seed, string what, byte[] body, SortedDictionary<int, int> statuses)
    {
        statuses[status] = statuses.GetValueOrDefault(status) + 1;
        Assert.True(status < 500,
            $"Seed {seed}, {what}: answered {status} for body (base64) {Convert.ToBase64String(body)}");
    }

    private static async Task<int> SendAsync(HttpClient client, HttpMethod method, string path, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        return (int)response.StatusCode;
    }

    private static async Task<long> CreateFuzzPlatformAsync(HttpClient admin)
    {
        using var response = await admin.PostAsync("admin/platforms",
            new StringContent("""{"name":"fuzz-target","format":"mock","baseUrl":"mock://local"}""", Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("id").GetInt64();
    }

    private static bool Streams(FakeRequest request)
    {
        try
        {
            return request.BodyJson.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>JSON values a structure-aware mutation puts in place of another.</summary>
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1.5", "1e999", "-0", "9223372036854775808", "\"\"", "\"\\ud800\"", "\"x\\udc00\"",
        "\"\\u0000\"", "[]", "{}", "[{}]", "[null]", "{\"a\":null}", "[[[[[[[[[[]]]]]]]]]]", "\"" + new string('w', 3000) + "\"",
        "{\"type\":\"text\"}", "[{\"type\":\"image_url\",\"image_url\":{}}]", "{\"role\":\"tool\",\"content\":[]}",
    ];

    /// <summary>Half the cases keep the JSON valid (a value replaced, or text put inside a string), half mutate bytes.</summary>
    private static byte[] Mutate(Random random, string[] seeds) =>
        random.Next(2) == 0 ? MutateStructure(random, seeds) : MutateBytes(random, seeds);

    /// <summary>Replaces one to three values of a seed with other JSON values, or puts a token inside a string: mostly still valid JSON.</summary>
    private static byte[] MutateStructure(Random random, string[] seeds)
    {
        var data = Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]);
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits; e++)
        {
            var values = new List<(int Start, int End, bool IsString)>();
            var reader = new Utf8JsonReader(data);
            try
            {
                while (reader.Read())
                {
                    if (reader.TokenType is JsonTokenType.String or JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
                    {
                        values.Add(((int)reader.TokenStartIndex, (int)reader.BytesConsumed, reader.TokenType == JsonTokenType.String));
                    }
                }
            }
            catch (JsonException)
            {
                // An earlier edit broke the syntax: edit what was read so far.
            }

            if (values.Count == 0)
            {
                break;
            }

            var (start, end, isString) = values[random.Next(values.Count)];
            var replacement = isString && random.Next(2) == 0
                ? [.. data.AsSpan(start, end - start - 1), .. Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]), (byte)'"']
                : Encoding.UTF8.GetBytes(Values[random.Next(Values.Length)]);
            data = [.. data.AsSpan(0, start), .. replacement, .. data.AsSpan(end)];
        }

        return data;
    }

    /// <summary>One to four mutations of a seed's bytes: flips, inserted tokens or bad bytes, deletions, duplications, splices, truncation.</summary>
    private static byte[] MutateBytes(Random random, string[] seeds)
    {
        var data = new List<byte>(Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]));
        var mutations = 1 + random.Next(4);
        for (var m = 0; m < mutations && data.Count > 0; m++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0:
                    data[at] = (byte)random.Next(256);
                    break;
                case 1:
                    data.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
                case 2:
                    data.InsertRange(at, RawBytes[random.Next(RawBytes.Length)]);
                    break;
                case 3:
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(16)));
                    break;
                case 4:
                    var length = Math.Min(data.Count - at, 1 + random.Next(32));
                    data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                    break;
                case 5:
                    var other = Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]);
                    var from = random.Next(other.Length);
                    data.InsertRange(at, other.AsSpan(from, Math.Min(other.Length - from, 1 + random.Next(64))).ToArray());
                    break;
                case 6:
                    data.RemoveRange(at, data.Count - at);
                    break;
                default:
                    // A value inside a string: the most common place for a converter to break.
                    var quote = data.IndexOf((byte)'"', at);
                    data.InsertRange(quote < 0 ? at : quote + 1, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)]));
                    break;
            }
        }

        return [.. data];
    }

    private static int EnvironmentNumber(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}
