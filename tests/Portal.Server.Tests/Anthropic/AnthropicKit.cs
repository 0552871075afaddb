using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Core;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary>Shared helpers of the Anthropic Messages end-to-end tests: platforms, the official SDK, Anthropic payloads, SSE with event names.</summary>
internal static class AnthropicKit
{
    /// <summary>The client token the tests' servers accept (sent by the SDK as <c>x-api-key</c>).</summary>
    public const string ClientToken = "client-token-anthropic-0123456789";

    /// <summary>The key of the Anthropic platform, which only the upstream may see.</summary>
    public const string PlatformKey = "sk-ant-api03-platformKey-Q7w3Zr9Xy2Lm5Kd8";

    /// <summary>The key of the OpenAI-format platform.</summary>
    public const string OpenAIKey = "sk-openai-platformKey-H4j8Nv2Bc6Tx1Wz0";

    /// <summary>The <c>anthropic-version</c> the SDK sends.</summary>
    public const string AnthropicVersion = "2023-06-01";

    /// <summary>An <c>anthropic-beta</c> value as Claude Code sends it.</summary>
    public const string Beta = "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14";

    /// <summary>The input schema of the <c>get_weather</c> tool.</summary>
    public const string WeatherSchema = """{"type":"object","properties":{"city":{"type":"string","description":"The city"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}""";

    /// <summary>The arguments the fake upstreams call <c>get_weather</c> with.</summary>
    public const string WeatherArguments = """{"city":"Zürich","unit":"celsius"}""";

    /// <summary>An <c>anthropic</c> platform serving <paramref name="upstreamModel"/> under <paramref name="alias"/>.</summary>
    public static JsonObject AnthropicPlatform(string name, string baseUrl, string alias = Alias, string upstreamModel = UpstreamModel, string key = PlatformKey) => new()
    {
        ["name"] = name,
        ["format"] = "anthropic",
        ["baseUrl"] = baseUrl,
        ["models"] = new JsonArray(new JsonObject { ["name"] = upstreamModel, ["alias"] = alias }),
        ["keys"] = new JsonArray(key),
    };

    /// <summary>A server with the given platforms that accepts <see cref="ClientToken"/> (and nothing else).</summary>
    public static Task<GatewayHost> StartAsync(params JsonObject[] platforms) => GatewayHost.StartAsync(o =>
    {
        o.PortalJson = PortalJson(platforms);
        o.ClientTokens.Add(ClientToken);
    });

    /// <summary>
    /// The official Anthropic SDK pointed at the server, with no retries, its HTTP traffic going through
    /// <paramref name="recorder"/> when given, and no credential read from the environment. The token goes as
    /// <c>x-api-key</c>, as Claude Code sends it, or with <paramref name="bearer"/> the way the SDK sends its
    /// <c>ApiKey</c> since version 13 (<c>Authorization: Bearer</c>).
    /// </summary>
    public static AnthropicClient Sdk(GatewayHost host, SdkRecorder? recorder = null, string token = ClientToken, IReadOnlyDictionary<string, string>? extraHeaders = null, bool bearer = false)
    {
        var headers = new Dictionary<string, string>(extraHeaders ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
        if (!bearer)
        {
            headers["x-api-key"] = token;
        }

        var options = new ClientOptions
        {
            BaseUrl = host.BaseUrl,
            ApiKey = bearer ? token : null,
            MaxRetries = 0,
            Timeout = TimeSpan.FromSeconds(30),
            ExtraHeaders = headers,
        };
        if (recorder is not null)
        {
            options.HttpClient = new HttpClient(recorder) { Timeout = Timeout.InfiniteTimeSpan };
        }

        return new AnthropicClient(options);
    }

    /// <summary>A JSON value for the SDK's dictionaries of raw JSON (tool schemas and inputs).</summary>
    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The properties of a JSON object, as the SDK takes them.</summary>
    public static Dictionary<string, JsonElement> Properties(string json) =>
        Json(json).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());

    /// <summary>
    /// The body the upstream must receive when <paramref name="clientBody"/> is relayed: the same bytes with only the value of
    /// the top-level <c>model</c> replaced by <paramref name="upstreamModel"/>.
    /// </summary>
    public static byte[] WithModel(byte[] clientBody, string upstreamModel)
    {
        var reader = new Utf8JsonReader(clientBody);
        Assert.True(reader.Read() && reader.TokenType == JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = reader.CurrentDepth == 1 && reader.ValueTextEquals("model"u8);
            Assert.True(reader.Read());
            if (isModel)
            {
                var start = (int)reader.TokenStartIndex;
                var end = (int)reader.BytesConsumed;
                var model = JsonSerializer.SerializeToUtf8Bytes(upstreamModel);
                return [.. clientBody.AsSpan(0, start), .. model, .. clientBody.AsSpan(end)];
            }

            reader.Skip();
        }

        throw new InvalidOperationException("The body has no top-level model: " + Encoding.UTF8.GetString(clientBody));
    }

    /// <summary>One Anthropic SSE event, framed: <c>event: {type}\ndata: {json}\n\n</c>.</summary>
    public static string Event(string type, string json) => $"event: {type}\ndata: {json}\n\n";

    /// <summary>A non-streaming Anthropic message (the shape of the API reference's example), with usage including the prompt cache.</summary>
    public static string Message(string id, string contentJson, string stopReason, int input, int output, int cacheWrite = 0, int cacheRead = 0) =>
        $$$"""{"id":"{{{id}}}","type":"message","role":"assistant","model":"claude-opus-4-6","content":{{{contentJson}}},"stop_reason":"{{{stopReason}}}","stop_sequence":null,"usage":{"input_tokens":{{{input}}},"cache_creation_input_tokens":{{{cacheWrite}}},"cache_read_input_tokens":{{{cacheRead}}},"output_tokens":{{{output}}}}}""";

    /// <summary>A <c>message_start</c> event's data.</summary>
    public static string MessageStart(string id, int input, int cacheWrite = 0, int cacheRead = 0) =>
        $$$"""{"type":"message_start","message":{"id":"{{{id}}}","type":"message","role":"assistant","model":"claude-opus-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":{{{input}}},"cache_creation_input_tokens":{{{cacheWrite}}},"cache_read_input_tokens":{{{cacheRead}}},"output_tokens":1}}""" + "}";

    /// <summary>A <c>content_block_delta</c> event.</summary>
    public static string Delta(int index, string deltaJson) =>
        Event("content_block_delta", $$"""{"type":"content_block_delta","index":{{index}},"delta":{{deltaJson}}}""");

    /// <summary>A <c>text_delta</c> event.</summary>
    public static string TextDelta(int index, string text) =>
        Delta(index, $$"""{"type":"text_delta","text":{{JsonSerializer.Serialize(text)}}}""");

    /// <summary>An <c>input_json_delta</c> event.</summary>
    public static string InputJsonDelta(int index, string partialJson) =>
        Delta(index, $$"""{"type":"input_json_delta","partial_json":{{JsonSerializer.Serialize(partialJson)}}}""");

    /// <summary>A <c>content_block_start</c> event.</summary>
    public static string BlockStart(int index, string blockJson) =>
        Event("content_block_start", $$"""{"type":"content_block_start","index":{{index}},"content_block":{{blockJson}}}""");

    /// <summary>A <c>content_block_stop</c> event.</summary>
    public static string BlockStop(int index) => Event("content_block_stop", $$"""{"type":"content_block_stop","index":{{index}}}""");

    /// <summary>A <c>message_delta</c> event with the stop reason and output usage.</summary>
    public static string MessageDelta(string stopReason, int output) =>
        Event("message_delta", $$$"""{"type":"message_delta","delta":{"stop_reason":"{{{stopReason}}}","stop_sequence":null},"usage":{"output_tokens":{{{output}}}}}""");

    /// <summary>The <c>message_stop</c> event.</summary>
    public static string MessageStop() => Event("message_stop", """{"type":"message_stop"}""");

    /// <summary>An Anthropic answer that is just text, streamed or not: usage 9 in, 4 out.</summary>
    public static FakeResponse TextAnswer(bool stream, string text = "Hello, portal!") => stream
        ? FakeResponse.SseRaw(
            Event("message_start", MessageStart("msg_text", input: 9)),
            BlockStart(0, """{"type":"text","text":""}"""),
            TextDelta(0, text[..(text.Length / 2)]),
            TextDelta(0, text[(text.Length / 2)..]),
            BlockStop(0),
            MessageDelta("end_turn", 4),
            MessageStop())
        : FakeResponse.Json(200, Message("msg_text", $$"""[{"type":"text","text":{{JsonSerializer.Serialize(text)}}}]""", "end_turn", 9, 4));

    /// <summary>An Anthropic answer calling <c>get_weather</c> with <see cref="WeatherArguments"/>, the arguments streamed in pieces: usage 9 in, 4 out.</summary>
    public static FakeResponse ToolAnswer(bool stream) => stream
        ? FakeResponse.SseRaw(
            Event("message_start", MessageStart("msg_tool", input: 9)),
            BlockStart(0, """{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{}}"""),
            InputJsonDelta(0, ""),
            InputJsonDelta(0, """{"city":"Zü"""),
            InputJsonDelta(0, """rich","unit":"cel"""),
            InputJsonDelta(0, """sius"}"""),
            BlockStop(0),
            MessageDelta("tool_use", 4),
            MessageStop())
        : FakeResponse.Json(200, Message("msg_tool", $$"""[{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{{WeatherArguments}}}]""", "tool_use", 9, 4));

    /// <summary>The ways an Anthropic stream breaks after its first events (<see cref="BrokenStream"/>).</summary>
    public static readonly string[] BrokenStreams = ["ends-early", "connection-reset", "error-event"];

    /// <summary>
    /// An Anthropic stream that sends message_start, a text block's start and the text "Half an answer" in two deltas,
    /// then breaks: it ends without message_stop (<c>ends-early</c>), the connection drops (<c>connection-reset</c>), or
    /// it sends an overloaded <c>error</c> event (<c>error-event</c>).
    /// </summary>
    public static FakeResponse BrokenStream(string how)
    {
        string[] head =
        [
            Event("message_start", MessageStart("msg_cut", input: 9)),
            BlockStart(0, """{"type":"text","text":""}"""),
            TextDelta(0, "Half an "),
            TextDelta(0, "answer"),
        ];
        return how switch
        {
            "ends-early" => FakeResponse.SseRaw(head),
            "connection-reset" => FakeResponse.SseRaw([.. head, BlockStop(0), MessageDelta("end_turn", 4), MessageStop()])
                .ResetAfterBytes(head.Sum(e => Encoding.UTF8.GetByteCount(e))),
            "error-event" => FakeResponse.SseRaw([.. head, Event("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""")]),
            _ => throw new ArgumentOutOfRangeException(nameof(how), how, "Not a way to break a stream."),
        };
    }

    /// <summary>POSTs <paramref name="json"/> to <paramref name="path"/> with Anthropic's headers (and <c>x-api-key</c> when a token is given), returning once the headers arrived.</summary>
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string json, string? apiKey = ClientToken, string? version = AnthropicVersion)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (apiKey is not null)
        {
            message.Headers.TryAddWithoutValidation("x-api-key", apiKey);
        }

        if (version is not null)
        {
            message.Headers.TryAddWithoutValidation("anthropic-version", version);
        }

        return client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>A Messages request body for <paramref name="model"/>.</summary>
    /// <remarks>Without <paramref name="maxTokens"/> the body has no <c>max_tokens</c> at all.</remarks>
    public static string MessagesBody(string model = Alias, bool stream = false, string text = "Hello", int? maxTokens = 256)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
            ["stream"] = stream,
        };
        if (maxTokens is { } max)
        {
            body["max_tokens"] = max;
        }

        return body.ToJsonString();
    }

    /// <summary>Asserts <paramref name="body"/> is an error in Anthropic's shape of type <paramref name="type"/>, and returns its message.</summary>
    public static string AssertAnthropicError(string body, string type)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        var error = root.GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message), "An error without a message: " + body);
        return message!;
    }

    /// <summary>Reads every event of an Anthropic SSE body (name and data), until the body ends or breaks.</summary>
    public static async Task<(List<(string Type, string Data)> Events, Exception? Error)> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<(string, string)>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        string? type = null;
        var data = new List<string>();
        try
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Count > 0)
                    {
                        events.Add((type ?? "message", string.Join('\n', data)));
                    }

                    type = null;
                    data.Clear();
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    type = line[6..].Trim();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Add(line[5..].TrimStart(' '));
                }
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return (events, ex);
        }

        return (events, null);
    }

    /// <summary>The stat rows of the server, oldest attempt first.</summary>
    public static async Task<List<RequestStat>> StatsAsync(GatewayHost host)
    {
        var rows = await host.Gateway.QueryStatsAsync(new StatsQuery { Limit = 1000 });
        return [.. rows.OrderBy(r => r.Timestamp).ThenBy(r => r.Attempt)];
    }

    /// <summary>A header of an upstream request, or <see langword="null"/> when it was not sent.</summary>
    public static string? Header(FakeRequest request, string name) => request.Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// The SDK's transport: records every request it sends (headers and body bytes, as they go on the wire) and every JSON
/// response body, and passes streams through untouched.
/// </summary>
internal sealed class SdkRecorder : DelegatingHandler
{
    private readonly Lock _gate = new();
    private readonly List<SentRequest> _requests = [];

    public SdkRecorder()
        : base(new SocketsHttpHandler { MaxResponseDrainSize = 0 })
    {
    }

    /// <summary>What the SDK sent, in order.</summary>
    public IReadOnlyList<SentRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        byte[] body = [];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = string.Join(',', header.Value);
        }

        if (request.Content is { } content)
        {
            body = await content.ReadAsByteArrayAsync(cancellationToken);
            foreach (var header in content.Headers)
            {
                headers[header.Key] = string.Join(',', header.Value);
            }

            var copy = new ByteArrayContent(body);
            foreach (var header in content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            request.Content = copy;
        }

        var sent = new SentRequest(request.Method.Method, request.RequestUri!, headers, body);
        lock (_gate)
        {
            _requests.Add(sent);
        }

        var response = await base.SendAsync(request, cancellationToken);
        sent.Status = response.StatusCode;
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            sent.ResponseBody = bytes;
            var copy = new ByteArrayContent(bytes);
            foreach (var header in response.Content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            response.Content = copy;
        }

        return response;
    }
}

/// <summary>A request the SDK sent.</summary>
internal sealed class SentRequest(string method, Uri uri, IReadOnlyDictionary<string, string> headers, byte[] body)
{
    public string Method { get; } = method;

    public Uri Uri { get; } = uri;

    public IReadOnlyDictionary<string, string> Headers { get; } = headers;

    public byte[] Body { get; } = body;

    public HttpStatusCode? Status { get; set; }

    /// <summary>The response body, when it was JSON.</summary>
    public byte[]? ResponseBody { get; set; }
}
