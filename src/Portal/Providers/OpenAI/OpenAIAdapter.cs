using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Portal.Contracts;
using Portal.Contracts.Internal;
using Portal.DependencyInjection;

namespace Portal.Providers.OpenAI;

/// <summary>Calls platforms that speak the OpenAI Chat Completions API, streaming (SSE) and not.</summary>
/// <remarks>
/// A base URL of <c>https://host</c> gets <c>/v1</c> appended; one with a path (<c>https://host/v1</c>,
/// <c>https://host/api/openai</c>) is used as given. Errors become <see cref="UpstreamException"/>s whose messages are
/// scrubbed of keys. An error body sent with status 200 is an error; so is a stream that ends without <c>[DONE]</c> or
/// a finish reason (<see cref="OpenAIEventStream"/> holds the stream rules, which the byte relay shares).
/// </remarks>
internal sealed class OpenAIAdapter : IProviderAdapter, IByteRelayProvider, DependencyInjection.IBuiltIn
{
    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue AcceptEventStream = new("text/event-stream");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private static readonly JsonTypeInfo<ChatCompletionRequest> UpstreamRequestInfo = WireJson.Context.ChatCompletionRequest;

    private readonly Func<UpstreamHttp> _http;
    private readonly Lazy<Settings> _settings;
    private readonly ConcurrentDictionary<string, Uri> _endpoints = new(StringComparer.Ordinal);

    /// <param name="http">What upstream calls go through.</param>
    /// <param name="setup">The gateway's setup, read at the first request: the adapter exists before the options do (it describes its format to configuration import, which runs while storage opens).</param>
    public OpenAIAdapter(Func<UpstreamHttp> http, Func<PortalSetup> setup)
    {
        _http = http;
        _settings = new(() =>
        {
            var bound = setup();
            return new Settings(new RetryAfterReader(bound.Time, bound.Logger), bound.Options.RequestStreamUsage);
        });
    }

    public string Format => PlatformFormats.OpenAI;

    /// <summary>The client's bytes go upstream with only <c>model</c> rewritten.</summary>
    public Relay.Internal.RelayAttempt CreateRelay(Channel channel, Relay.ChatRelayRequest request) => new OpenAIRelayAttempt(this, channel, request);

    public async Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        using var message = CreateRequest(channel, request, stream: false);
        using var response = await SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var body = await UpstreamBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        ChatCompletionResponse? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, PortalJsonContext.Default.ChatCompletionResponse);
        }
        catch (JsonException ex)
        {
            throw NotJsonObject("a response", ex, status);
        }

        if (parsed is null)
        {
            throw new UpstreamException(UpstreamErrorKind.Protocol, "Upstream sent an empty response.", status);
        }

        if (parsed.Choices.Count == 0 && parsed.AdditionalProperties?.TryGetValue("error", out var error) == true)
        {
            throw ErrorFromBody(error, status, channel, retryAfter: null);
        }

        return parsed;
    }

    public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var message = CreateRequest(channel, request, stream: true);
        using var response = await SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var body = await OpenEventStreamAsync(response, channel, cancellationToken).ConfigureAwait(false);
        await using var _ = body.ConfigureAwait(false);
        var events = new OpenAIEventStream(body, status, channel);
        await using var __ = events.ConfigureAwait(false);
        while (await events.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var chunk = ParseChunk(events.Data.Span, status);
            var finished = false;
            foreach (var choice in chunk.Choices)
            {
                finished |= choice.FinishReason is not null;
            }

            events.Check(chunk.AdditionalProperties?.TryGetValue("error", out var error) == true ? error : null, finished);
            yield return chunk;
        }
    }

    /// <summary>The body of a streaming response, after checking it is an event stream and not an error sent as JSON.</summary>
    /// <exception cref="UpstreamException">The upstream answered with JSON, or the connection was lost.</exception>
    internal async Task<Stream> OpenEventStreamAsync(HttpResponseMessage response, Channel channel, CancellationToken cancellationToken)
    {
        if (UpstreamBody.IsJson(response))
        {
            throw await ErrorFromResponseAsync(response, channel, cancellationToken).ConfigureAwait(false)
                ?? new UpstreamException(UpstreamErrorKind.Protocol, "Upstream answered a streaming request with JSON instead of an event stream.", (int)response.StatusCode);
        }

        return await UpstreamBody.OpenStreamAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where chat completions are posted for a base URL: <c>/v1</c> is added when the URL has no path.</summary>
    internal static Uri ResolveEndpoint(string baseUrl)
    {
        if (!Uri.TryCreate(baseUrl.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UpstreamException(UpstreamErrorKind.Connection, "Platform base URL is not an absolute http(s) URL.");
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        if (path.Length == 0)
        {
            path = "/v1";
        }

        return new UriBuilder(uri) { Path = path + "/chat/completions", Query = uri.Query.TrimStart('?') }.Uri;
    }

    /// <summary>Whether streams ask the upstream for a final usage chunk (<see cref="PortalOptions.RequestStreamUsage"/>).</summary>
    internal bool RequestStreamUsage => _settings.Value.RequestStreamUsage;

    /// <summary>A request whose body is already serialized: the relay path.</summary>
    internal HttpRequestMessage CreateRequest(Channel channel, ReadOnlyMemory<byte> body, bool stream)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, _endpoints.GetOrAdd(channel.Platform.BaseUrl, ResolveEndpoint))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = JsonContentType;
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.ApiKey.Value);
        message.Headers.Accept.Add(stream ? AcceptEventStream : AcceptJson);
        return message;
    }

    private HttpRequestMessage CreateRequest(Channel channel, ChatCompletionRequest request, bool stream)
    {
        var endpoint = _endpoints.GetOrAdd(channel.Platform.BaseUrl, ResolveEndpoint);
        var upstream = request.ShallowClone();
        upstream.Model = channel.Model.Name;
        upstream.Stream = stream ? true : null;
        if (!stream)
        {
            upstream.StreamOptions = null;
        }
        else if (RequestStreamUsage && request.StreamOptions?.IncludeUsage != true)
        {
            upstream.StreamOptions = new StreamOptions
            {
                IncludeUsage = true,
                IncludeObfuscation = request.StreamOptions?.IncludeObfuscation,
                AdditionalProperties = request.StreamOptions?.AdditionalProperties,
            };
        }

        var message = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(upstream, UpstreamRequestInfo)),
        };
        message.Content.Headers.ContentType = JsonContentType;
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", channel.ApiKey.Value);
        message.Headers.Accept.Add(stream ? AcceptEventStream : AcceptJson);
        return message;
    }

    internal async Task<HttpResponseMessage> SendAsync(HttpRequestMessage message, Channel channel, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http().SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new UpstreamException(UpstreamErrorKind.Connection, UpstreamException.Describe(ex), innerException: ex);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ErrorFromResponseAsync(response, channel, cancellationToken).ConfigureAwait(false)
                ?? new UpstreamException(UpstreamErrorKind.Http, $"Upstream returned HTTP {(int)response.StatusCode}.", (int)response.StatusCode, retryAfter: _settings.Value.RetryAfter.Read(response.Headers, channel.Platform.Id));
        }
    }

    /// <summary>Reads an error body (OpenAI shape or not) into an exception; null when a 2xx body holds no error.</summary>
    private async Task<UpstreamException?> ErrorFromResponseAsync(HttpResponseMessage response, Channel channel, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var retryAfter = _settings.Value.RetryAfter.Read(response.Headers, channel.Platform.Id);
        byte[] body;
        try
        {
            body = await UpstreamBody.ReadLimitedAsync(response.Content, UpstreamBody.MaxErrorBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return new UpstreamException(UpstreamErrorKind.Http, $"Upstream returned HTTP {status} and the connection was lost while reading its body.", status, retryAfter: retryAfter, innerException: ex);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                return ErrorFromBody(error, status, channel, retryAfter);
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall through to a message built from the text.
        }

        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        var text = SecretScrubber.Scrub(System.Text.Encoding.UTF8.GetString(body).Trim(), channel.ApiKey.Value);
        return new UpstreamException(UpstreamErrorKind.Http,
            text.Length == 0 ? $"Upstream returned HTTP {status}." : $"Upstream returned HTTP {status}: {text}",
            status, retryAfter: retryAfter);
    }

    /// <summary>The error for an answer (<paramref name="what"/>: "a response", "an event") whose JSON does not parse, typed or scanned alike.</summary>
    internal static UpstreamException NotJsonObject(string what, JsonException ex, int status) =>
        new(UpstreamErrorKind.Protocol, $"Upstream sent {what} that is not a valid JSON object (at byte {ex.BytePositionInLine ?? 0} of line {(ex.LineNumber ?? 0) + 1}).", status, innerException: ex);

    internal static UpstreamException ErrorFromBody(JsonElement error, int status, Channel channel, TimeSpan? retryAfter)
    {
        string? message = null, type = null, code = null;
        int? numericCode = null;
        if (error.ValueKind == JsonValueKind.Object)
        {
            message = GetString(error, "message");
            type = GetString(error, "type");
            if (error.TryGetProperty("code", out var codeElement))
            {
                if (codeElement.ValueKind == JsonValueKind.Number && codeElement.TryGetInt32(out var n))
                {
                    numericCode = n;
                    code = n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (codeElement.ValueKind == JsonValueKind.String)
                {
                    code = codeElement.GetString();
                }
            }
        }
        else if (error.ValueKind == JsonValueKind.String)
        {
            message = error.GetString();
        }

        // An error inside a 200 response carries no status of its own: take it from the error where it says one.
        if (status is >= 200 and < 300)
        {
            status = InferStatus(numericCode, type, code) ?? status;
        }

        var text = SecretScrubber.Scrub(message, channel.ApiKey.Value);
        return new UpstreamException(UpstreamErrorKind.Http,
            text.Length == 0 ? $"Upstream returned an error (HTTP {status})." : text,
            status, SecretScrubber.Scrub(code, channel.ApiKey.Value) is { Length: > 0 } c ? c : null, retryAfter);
    }

    private static int? InferStatus(int? numericCode, string? type, string? code)
    {
        if (numericCode is >= 400 and < 600)
        {
            return numericCode;
        }

        var text = (type + " " + code).ToUpperInvariant();
        return text switch
        {
            _ when text.Contains("RATE_LIMIT", StringComparison.Ordinal) || text.Contains("INSUFFICIENT_QUOTA", StringComparison.Ordinal) => 429,
            _ when text.Contains("AUTHENTICATION", StringComparison.Ordinal) || text.Contains("INVALID_API_KEY", StringComparison.Ordinal) => 401,
            _ when text.Contains("PERMISSION", StringComparison.Ordinal) => 403,
            _ when text.Contains("MODEL_NOT_FOUND", StringComparison.Ordinal) || text.Contains("NOT_FOUND", StringComparison.Ordinal) => 404,
            _ when text.Contains("INVALID_REQUEST", StringComparison.Ordinal) => 400,
            _ when text.Contains("SERVER_ERROR", StringComparison.Ordinal) || text.Contains("OVERLOADED", StringComparison.Ordinal) => 500,
            _ => null,
        };
    }

    private static ChatCompletionChunk ParseChunk(ReadOnlySpan<byte> data, int status)
    {
        ChatCompletionChunk? chunk;
        try
        {
            chunk = JsonSerializer.Deserialize(data, PortalJsonContext.Default.ChatCompletionChunk);
        }
        catch (JsonException ex)
        {
            throw NotJsonObject("an event", ex, status);
        }

        return chunk ?? throw new UpstreamException(UpstreamErrorKind.Protocol, "Upstream sent an event with null data.", status);
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private sealed record Settings(RetryAfterReader RetryAfter, bool RequestStreamUsage);
}
