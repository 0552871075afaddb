using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Server.Tests.Integration;

/// <summary>Shared helpers of the end-to-end tests: portal.json builders, clients, SSE reading, OpenAI payloads and assertions.</summary>
internal static class IntegrationKit
{
    /// <summary>The alias clients ask for in most tests.</summary>
    public const string Alias = "m";

    /// <summary>The upstream name of the model behind <see cref="Alias"/>.</summary>
    public const string UpstreamModel = "up-model";

    /// <summary>Long enough for any local request on a loaded 2-core machine, short enough to end a broken test.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>A portal.json with the given platforms (objects from <see cref="OpenAIPlatform"/> / <see cref="MockPlatform"/>).</summary>
    public static string PortalJson(params JsonObject[] platforms)
    {
        var array = new JsonArray();
        foreach (var platform in platforms)
        {
            array.Add(platform);
        }

        return new JsonObject { ["platforms"] = array }.ToJsonString();
    }

    /// <summary>An <c>openai</c> platform serving <paramref name="upstreamModel"/> under <paramref name="alias"/>, with the given keys.</summary>
    public static JsonObject OpenAIPlatform(string name, string baseUrl, string alias = Alias, string upstreamModel = UpstreamModel, params string[] keys)
    {
        var keyArray = new JsonArray();
        foreach (var key in keys.Length == 0 ? ["sk-test-aaaa1111"] : keys)
        {
            keyArray.Add(key);
        }

        return new JsonObject
        {
            ["name"] = name,
            ["format"] = "openai",
            ["baseUrl"] = baseUrl,
            ["models"] = new JsonArray(new JsonObject { ["name"] = upstreamModel, ["alias"] = alias }),
            ["keys"] = keyArray,
        };
    }

    /// <summary>The built-in <c>mock</c> platform: model <c>mock-1</c>, alias <c>fast</c>.</summary>
    public static JsonObject MockPlatform(string query = "latency=10ms") => new()
    {
        ["name"] = "mock",
        ["format"] = "mock",
        ["baseUrl"] = "mock://local?" + query,
        ["models"] = new JsonArray(new JsonObject { ["name"] = "mock-1", ["alias"] = "fast" }),
        ["keys"] = new JsonArray("mock-key"),
    };

    /// <summary>The id the server's storage gave to platform <paramref name="platformName"/> serving <paramref name="model"/>.</summary>
    public static async Task<long> PlatformIdAsync(GatewayHost host, string platformName, string model = Alias)
    {
        var repository = (IPortalRepository)host.Services.GetService(typeof(IPortalRepository))!;
        foreach (var candidate in await repository.FindModelsByNameAsync(model, CancellationToken.None))
        {
            var platform = await repository.GetPlatformAsync(candidate.PlatformId, CancellationToken.None);
            if (platform?.Name == platformName)
            {
                return platform.Id;
            }
        }

        throw new InvalidOperationException($"No platform '{platformName}' serves '{model}'.");
    }

    /// <summary>The model row behind <paramref name="model"/> on platform <paramref name="platformId"/>.</summary>
    public static async Task<Model> ModelAsync(GatewayHost host, long platformId, string model = Alias)
    {
        var repository = (IPortalRepository)host.Services.GetService(typeof(IPortalRepository))!;
        var models = await repository.FindModelsByNameAsync(model, CancellationToken.None);
        return models.Single(m => m.PlatformId == platformId);
    }

    /// <summary>The keys of platform <paramref name="platformId"/>.</summary>
    public static async Task<IReadOnlyList<ApiKey>> KeysAsync(GatewayHost host, long platformId)
    {
        var repository = (IPortalRepository)host.Services.GetService(typeof(IPortalRepository))!;
        return await repository.GetApiKeysAsync(platformId, CancellationToken.None);
    }

    /// <summary>
    /// An HTTP client to the server that closes its connection as soon as a response is disposed or a read cancelled
    /// (no draining), so a client abort reaches the server at once. The caller disposes it.
    /// </summary>
    public static HttpClient RawClient(GatewayHost host, string? token = null)
    {
        var handler = new SocketsHttpHandler { MaxResponseDrainSize = 0, PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
        var client = new HttpClient(handler) { BaseAddress = new Uri(host.BaseUrl + "/"), Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    /// <summary>A chat completion request body for <paramref name="model"/>.</summary>
    public static string ChatBody(string model, bool stream, string text = "Hello") =>
        new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }),
            ["stream"] = stream,
        }.ToJsonString();

    /// <summary>POSTs <paramref name="json"/> to <c>/v1/chat/completions</c>, returning once the headers arrived.</summary>
    public static Task<HttpResponseMessage> PostChatAsync(HttpClient client, string json, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        return client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
    }

    /// <summary>Sends a chat request and reads the whole answer: the JSON body, or every SSE event for a stream.</summary>
    public static async Task<ChatResult> ChatAsync(HttpClient client, string json, CancellationToken cancellationToken = default)
    {
        using var response = await PostChatAsync(client, json, cancellationToken);
        var contentType = response.Content.Headers.ContentType?.MediaType;
        if (contentType == "text/event-stream")
        {
            var sse = await SseStream.OpenAsync(response, cancellationToken);
            var events = await sse.ReadAllAsync(cancellationToken);
            return new ChatResult(response.StatusCode, contentType, null, events.Events, events.Done, events.Error);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new ChatResult(response.StatusCode, contentType, body, [], false, null);
    }

    /// <summary>The text of a non-streaming answer (<c>choices[0].message.content</c>).</summary>
    public static string MessageText(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    /// <summary>The concatenated <c>choices[*].delta.content</c> of SSE data events (non-JSON events such as <c>[DONE]</c> are skipped).</summary>
    public static string DeltaText(IEnumerable<string> events)
    {
        var text = new StringBuilder();
        foreach (var data in events)
        {
            if (!data.StartsWith('{'))
            {
                continue;
            }

            using var document = JsonDocument.Parse(data);
            if (!document.RootElement.TryGetProperty("choices", out var choices))
            {
                continue;
            }

            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }
            }
        }

        return text.ToString();
    }

    /// <summary>Asserts <paramref name="body"/> is an error in OpenAI's shape and returns <c>error.message</c>.</summary>
    public static string AssertOpenAIError(string? body)
    {
        Assert.False(string.IsNullOrEmpty(body), "The error response has no body.");
        using var document = JsonDocument.Parse(body!);
        var error = document.RootElement.GetProperty("error");
        Assert.Equal(JsonValueKind.Object, error.ValueKind);
        var message = error.GetProperty("message");
        Assert.Equal(JsonValueKind.String, message.ValueKind);
        Assert.False(string.IsNullOrWhiteSpace(message.GetString()));
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.TryGetProperty("param", out _), "error.param is missing: " + body);
        Assert.True(error.TryGetProperty("code", out _), "error.code is missing: " + body);
        return message.GetString()!;
    }

    /// <summary>An official OpenAI SDK chat client for the server (no retries, so every call is exactly one request).</summary>
    public static ChatClient SdkClient(GatewayHost host, string model = Alias, HttpClient? transport = null, string token = "no-token-needed")
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(host.BaseUrl + "/v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        };
        if (transport is not null)
        {
            options.Transport = new HttpClientPipelineTransport(transport);
        }

        // Without client tokens configured the server needs none, but the SDK insists on a credential.
        return new ChatClient(model, new ApiKeyCredential(token), options);
    }

    /// <summary>A non-streaming OpenAI answer with one function tool call.</summary>
    public static string ToolCallCompletion(string callId, string function, string arguments) =>
        new JsonObject
        {
            ["id"] = "chatcmpl-tool",
            ["object"] = "chat.completion",
            ["created"] = 1700000000,
            ["model"] = UpstreamModel,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = null,
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["id"] = callId,
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = function, ["arguments"] = arguments },
                    }),
                },
                ["finish_reason"] = "tool_calls",
            }),
            ["usage"] = Usage(9, 4),
        }.ToJsonString();

    /// <summary>The SSE events of a streamed tool call: id and name first, the arguments in pieces, then finish reason with usage and [DONE].</summary>
    public static string[] ToolCallStreamEvents(string callId, string function, params string[] argumentPieces)
    {
        var events = new List<string>();
        for (var i = 0; i < argumentPieces.Length; i++)
        {
            var call = new JsonObject { ["index"] = 0 };
            var fn = new JsonObject { ["arguments"] = argumentPieces[i] };
            if (i == 0)
            {
                call["id"] = callId;
                call["type"] = "function";
                fn["name"] = function;
            }

            call["function"] = fn;
            var delta = new JsonObject { ["tool_calls"] = new JsonArray(call) };
            if (i == 0)
            {
                delta["role"] = "assistant";
                delta["content"] = null;
            }

            events.Add(Event(Chunk(delta, finishReason: null, usage: null)));
        }

        events.Add(Event(Chunk(new JsonObject(), "tool_calls", Usage(9, 4))));
        events.Add("data: [DONE]\n\n");
        return [.. events];
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                return await condition();
            }
        }
    }

    private static JsonObject Usage(int prompt, int completion) => new()
    {
        ["prompt_tokens"] = prompt,
        ["completion_tokens"] = completion,
        ["total_tokens"] = prompt + completion,
    };

    private static JsonObject Chunk(JsonObject delta, string? finishReason, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = "chatcmpl-tool",
            ["object"] = "chat.completion.chunk",
            ["created"] = 1700000000,
            ["model"] = UpstreamModel,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason }),
        };
        if (usage is not null)
        {
            chunk["usage"] = usage;
        }

        return chunk;
    }

    private static string Event(JsonObject json) => "data: " + json.ToJsonString() + "\n\n";
}

/// <summary>A whole chat answer read over raw HTTP.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="ContentType">The media type.</param>
/// <param name="Body">The body of a non-SSE response.</param>
/// <param name="Events">The data of every SSE event, in order (including <c>[DONE]</c>).</param>
/// <param name="Done">Whether the stream ended with <c>data: [DONE]</c>.</param>
/// <param name="Error">What broke reading the stream (the connection dropped), if anything.</param>
internal sealed record ChatResult(HttpStatusCode Status, string? ContentType, string? Body, IReadOnlyList<string> Events, bool Done, Exception? Error);

/// <summary>Reads server-sent events from a response one at a time.</summary>
internal sealed class SseStream
{
    private readonly StreamReader _reader;

    private SseStream(StreamReader reader) => _reader = reader;

    /// <summary>Opens the body of <paramref name="response"/>.</summary>
    public static async Task<SseStream> OpenAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new SseStream(new StreamReader(stream, Encoding.UTF8));
    }

    /// <summary>Returns the data of the next event (lines joined with \n), or null at the end of the body.</summary>
    /// <exception cref="IOException">The connection broke.</exception>
    public async Task<string?> ReadEventAsync(CancellationToken cancellationToken)
    {
        var data = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return data.Count > 0 ? string.Join('\n', data) : null;
            }

            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    return string.Join('\n', data);
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line.AsSpan(5).TrimStart(' ').ToString());
            }
        }
    }

    /// <summary>Reads every remaining event until the body ends or breaks.</summary>
    public async Task<(List<string> Events, bool Done, Exception? Error)> ReadAllAsync(CancellationToken cancellationToken)
    {
        var events = new List<string>();
        try
        {
            while (await ReadEventAsync(cancellationToken) is { } data)
            {
                events.Add(data);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return (events, events.LastOrDefault() == "[DONE]", ex);
        }

        return (events, events.LastOrDefault() == "[DONE]", null);
    }
}

/// <summary>Records every request body an <see cref="HttpClient"/> sends (the official SDKs' transport), in order.</summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    private readonly Lock _gate = new();
    private readonly List<byte[]> _bodies = [];

    public RecordingHandler()
        : base(new SocketsHttpHandler { MaxResponseDrainSize = 0 })
    {
    }

    public IReadOnlyList<byte[]> Bodies
    {
        get
        {
            lock (_gate)
            {
                return [.. _bodies];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is { } content)
        {
            var bytes = await content.ReadAsByteArrayAsync(cancellationToken);
            lock (_gate)
            {
                _bodies.Add(bytes);
            }

            var copy = new ByteArrayContent(bytes);
            foreach (var header in content.Headers)
            {
                copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            request.Content = copy;
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
