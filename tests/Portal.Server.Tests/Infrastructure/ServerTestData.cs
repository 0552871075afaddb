using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Portal.Server.Tests.Infrastructure;

/// <summary>Configuration files, request bodies and response checks shared by the server tests.</summary>
public static class ServerTestData
{
    /// <summary>The upstream key configured for the fake OpenAI platform.</summary>
    public const string UpstreamKey = "sk-upstream-test-key-0001";

    /// <summary>A portal.json with one OpenAI platform at <paramref name="baseUrl"/>: model <c>fake-model</c>, alias <c>fast</c>, key <see cref="UpstreamKey"/>.</summary>
    public static string OpenAiConfig(string baseUrl) => $$"""
        { "platforms": [ { "name": "fake", "format": "openai", "baseUrl": "{{baseUrl}}",
          "models": [ { "name": "fake-model", "alias": "fast" } ], "keys": [ "{{UpstreamKey}}" ] } ] }
        """;

    /// <summary>A portal.json with one mock platform serving <paramref name="models"/>.</summary>
    public static string MockConfig(string query = "latency=0ms", params string[] models) => $$"""
        { "platforms": [ { "name": "mock", "format": "mock", "baseUrl": "mock://local?{{query}}",
          "models": [ {{string.Join(", ", (models.Length == 0 ? ["mock-1"] : models).Select(m => $"\"{m}\""))}} ], "keys": [ "mock-key" ] } ] }
        """;

    /// <summary>A chat completion request body.</summary>
    public static string ChatJson(string model, bool stream = false, string text = "Hello") =>
        JsonSerializer.Serialize(new Dictionary<string, object> { ["model"] = model, ["stream"] = stream, ["messages"] = new[] { new Dictionary<string, string> { ["role"] = "user", ["content"] = text } } });

    /// <summary>A JSON request body.</summary>
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>Posts a chat completion request.</summary>
    public static Task<HttpResponseMessage> PostChatAsync(this HttpClient client, string json, CancellationToken cancellationToken = default) =>
        client.PostAsync("v1/chat/completions", Json(json), cancellationToken);

    /// <summary>Asserts an OpenAI-shaped error body and returns its <c>error</c> object.</summary>
    public static async Task<JsonElement> AssertErrorAsync(HttpResponseMessage response, int status, string type, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var error = document.RootElement.GetProperty("error").Clone();
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (code is not null)
        {
            Assert.Equal(code, error.GetProperty("code").GetString());
        }

        return error;
    }

    /// <summary>Reads the <c>data:</c> payloads of a server-sent event stream until it ends.</summary>
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(line["data: ".Length..]);
            }
        }

        return events;
    }

    /// <summary>A request with an explicit bearer token header value.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? authorization = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    /// <summary>Adds <c>Authorization: Bearer token</c>.</summary>
    public static HttpRequestMessage WithBearer(this HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
