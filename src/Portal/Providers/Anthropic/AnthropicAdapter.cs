using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Portal.Contracts;
using Portal.DependencyInjection;
using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal.Providers.Anthropic;

/// <summary>Calls platforms that speak the Anthropic Messages API, streaming and not.</summary>
/// <remarks>
/// <para>
/// Requests go to <c>{baseUrl}/v1/messages</c> (a base URL ending in <c>/v1</c> gets <c>/messages</c>), with
/// <c>x-api-key</c> and <c>anthropic-version</c> (the client's when its request is relayed, else
/// <see cref="Platform.ApiVersion"/>, else <c>2023-06-01</c>). Anthropic Messages clients are relayed as bytes
/// (<see cref="AnthropicRelayAttempt"/>); OpenAI-shaped requests and the typed API are converted both ways
/// (<see cref="AnthropicOutbound"/>, <see cref="AnthropicOutboundStream"/>).
/// </para>
/// <para>
/// Errors: 401 and 403 blame the key, 404 the model, 429 the key (with <c>retry-after</c>), 529 and 5xx the platform;
/// a 400 is the client's fault, except a "credit balance is too low" 400 and <c>billing_error</c>, which blame the key.
/// A stream that ends without <c>message_stop</c> is a failure.
/// </para>
/// </remarks>
internal sealed class AnthropicAdapter : IProviderAdapter, IMessagesRelayProvider, IBuiltIn
{
    /// <summary>The <c>anthropic-version</c> sent when neither the client nor the platform sets one.</summary>
    public const string DefaultVersion = "2023-06-01";

    /// <summary>The <c>max_tokens</c> sent for a converted request that sets none, when the platform sets no <see cref="Platform.DefaultMaxTokens"/>.</summary>
    public const int DefaultMaxTokens = 4096;

    private static readonly MediaTypeWithQualityHeaderValue AcceptJson = new("application/json");
    private static readonly MediaTypeWithQualityHeaderValue AcceptEventStream = new("text/event-stream");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly Func<UpstreamHttp> _http;
    private readonly Lazy<Settings> _settings;
    private readonly ConcurrentDictionary<string, Uri> _messages = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Uri> _countTokens = new(StringComparer.Ordinal);

    /// <param name="http">What upstream calls go through.</param>
    /// <param name="setup">The gateway's setup, read at the first request (the adapter describes its format to configuration import before the options exist).</param>
    public AnthropicAdapter(Func<UpstreamHttp> http, Func<PortalSetup> setup)
    {
        _http = http;
        _settings = new(() =>
        {
            var bound = setup();
            return new Settings(new RetryAfterReader(bound.Time, bound.Logger), bound.Time);
        });
    }

    public string Format => PlatformFormats.Anthropic;

    /// <summary>A Messages client's bytes go upstream with only <c>model</c> rewritten.</summary>
    public MessagesAttempt CreateMessagesRelay(Channel channel, MessagesRelayRequest request) => new AnthropicRelayAttempt(this, channel, request);

    public UpstreamErrorVerdict? ClassifyError(UpstreamException error) =>
        AnthropicErrors.IsBilling(error) ? new UpstreamErrorVerdict(UpstreamBlame.ApiKey, Failover: true) : null;

    public async Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        var body = AnthropicOutbound.ToAnthropic(request, channel.Model.Name, stream: false, channel.Platform.DefaultMaxTokens ?? DefaultMaxTokens);
        using var message = CreateRequest(channel, body, stream: false, version: null, beta: null);
        using var response = await SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        var json = await UpstreamBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        ThrowIfError(json, (int)response.StatusCode, channel);
        return AnthropicOutbound.FromAnthropic(json, _settings.Value.Time.GetUtcNow().ToUnixTimeSeconds());
    }

    public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var body = AnthropicOutbound.ToAnthropic(request, channel.Model.Name, stream: true, channel.Platform.DefaultMaxTokens ?? DefaultMaxTokens);
        using var message = CreateRequest(channel, body, stream: true, version: null, beta: null);
        using var response = await SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        var stream = await OpenEventStreamAsync(response, channel, cancellationToken).ConfigureAwait(false);
        await using var _ = stream.ConfigureAwait(false);
        var events = new SseReader(stream);
        await using var __ = events.ConfigureAwait(false);
        var decoder = new AnthropicOutboundStream(_settings.Value.Time.GetUtcNow().ToUnixTimeSeconds());
        while (!decoder.Finished && await events.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            ChatCompletionChunk? chunk;
            try
            {
                chunk = decoder.Read(events.EventType, events.Data.Span);
            }
            catch (UpstreamException ex) when (ex.Kind == UpstreamErrorKind.Http)
            {
                // An error event: its message is the upstream's, and may quote the request; scrub it like any other.
                throw new UpstreamException(ex.Kind, SecretScrubber.Scrub(ex.Message, channel.ApiKey.Value), ex.StatusCode, ex.ErrorCode, ex.RetryAfter, ex);
            }

            if (chunk is not null)
            {
                yield return chunk;
            }
        }

        if (!decoder.Finished)
        {
            throw EndedEarly(status);
        }
    }

    /// <summary>Counts a Messages request's input tokens with the upstream's <c>/v1/messages/count_tokens</c>.</summary>
    /// <returns>The upstream's <c>input_tokens</c>.</returns>
    /// <exception cref="UpstreamException">The upstream failed or answered something else.</exception>
    public async Task<int> CountTokensAsync(Channel channel, MessagesRelayRequest request, CancellationToken cancellationToken)
    {
        using var message = CreateRequest(channel, request.BodyFor(channel.Model.Name), stream: false, request.AnthropicVersion, request.AnthropicBeta, _countTokens, "messages/count_tokens");
        using var response = await SendAsync(message, channel, cancellationToken).ConfigureAwait(false);
        var json = await UpstreamBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        ThrowIfError(json, (int)response.StatusCode, channel);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("input_tokens", out var tokens) && tokens.TryGetInt32(out var count))
            {
                return count;
            }
        }
        catch (JsonException)
        {
            // Reported below, as any answer without a count.
        }

        throw new UpstreamException(UpstreamErrorKind.Protocol, "Upstream answered count_tokens without an input_tokens count.", (int)response.StatusCode);
    }

    /// <summary>Where <paramref name="path"/> (<c>messages</c>, <c>messages/count_tokens</c>) is for a base URL, with or without <c>/v1</c>.</summary>
    internal static Uri ResolveEndpoint(string baseUrl, string path)
    {
        if (!Uri.TryCreate(baseUrl.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new UpstreamException(UpstreamErrorKind.Connection, "Platform base URL is not an absolute http(s) URL.");
        }

        var basePath = uri.AbsolutePath.TrimEnd('/');
        if (!basePath.EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            basePath += "/v1";
        }

        return new UriBuilder(uri) { Path = basePath + "/" + path, Query = uri.Query.TrimStart('?') }.Uri;
    }

    /// <summary>A Messages request to <paramref name="channel"/>'s platform; <paramref name="version"/> and <paramref name="beta"/> are the client's headers, when relayed.</summary>
    internal HttpRequestMessage CreateRequest(Channel channel, ReadOnlyMemory<byte> body, bool stream, string? version, string? beta) =>
        CreateRequest(channel, body, stream, version, beta, _messages, "messages");

    private static HttpRequestMessage CreateRequest(Channel channel, ReadOnlyMemory<byte> body, bool stream, string? version, string? beta, ConcurrentDictionary<string, Uri> endpoints, string path)
    {
        var endpoint = endpoints.GetOrAdd(channel.Platform.BaseUrl, static (url, path) => ResolveEndpoint(url, path), path);
        var message = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ReadOnlyMemoryContent(body) };
        message.Content.Headers.ContentType = JsonContentType;
        message.Headers.TryAddWithoutValidation("x-api-key", channel.ApiKey.Value);
        message.Headers.TryAddWithoutValidation("anthropic-version", version ?? channel.Platform.ApiVersion ?? DefaultVersion);
        if (beta is not null)
        {
            message.Headers.TryAddWithoutValidation("anthropic-beta", beta);
        }

        message.Headers.Accept.Add(stream ? AcceptEventStream : AcceptJson);
        return message;
    }

    /// <summary>Sends a request; a non-success status becomes an <see cref="UpstreamException"/> read from Anthropic's error body.</summary>
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
            throw await ErrorFromResponseAsync(response, channel, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The body of a streaming response, after checking it is an event stream and not an error sent as JSON.</summary>
    internal async Task<Stream> OpenEventStreamAsync(HttpResponseMessage response, Channel channel, CancellationToken cancellationToken)
    {
        if (UpstreamBody.IsJson(response))
        {
            throw await ErrorFromResponseAsync(response, channel, cancellationToken).ConfigureAwait(false);
        }

        return await UpstreamBody.OpenStreamAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws the error a 2xx JSON body holds (<c>"type": "error"</c>); does nothing for any other body.</summary>
    internal static void ThrowIfError(ReadOnlySpan<byte> json, int status, Channel channel)
    {
        JsonElement error;
        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UpstreamException(UpstreamErrorKind.Protocol, "Upstream sent a response that is not a JSON object.", status);
            }

            if (!root.TryGetProperty("type", out var type) || !type.ValueEquals("error"u8) || !root.TryGetProperty("error", out var found))
            {
                return;
            }

            error = found.Clone();
        }
        catch (JsonException ex)
        {
            throw new UpstreamException(UpstreamErrorKind.Protocol,
                $"Upstream sent a response that is not valid JSON (at byte {ex.BytePositionInLine ?? 0} of line {(ex.LineNumber ?? 0) + 1}).", status, innerException: ex);
        }

        throw AnthropicErrors.FromError(error, status: null, channel.ApiKey.Value, retryAfter: null);
    }

    /// <summary>The failure of a stream that ended before <c>message_stop</c>.</summary>
    internal static UpstreamException EndedEarly(int status) =>
        new(UpstreamErrorKind.Protocol, "Upstream stream ended before message_stop: the answer is incomplete.", status);

    private async Task<UpstreamException> ErrorFromResponseAsync(HttpResponseMessage response, Channel channel, CancellationToken cancellationToken)
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
                return AnthropicErrors.FromError(error, response.IsSuccessStatusCode ? null : status, channel.ApiKey.Value, retryAfter);
            }
        }
        catch (JsonException)
        {
            // Not JSON: a message built from the text follows.
        }

        if (response.IsSuccessStatusCode)
        {
            return new UpstreamException(UpstreamErrorKind.Protocol, "Upstream answered a streaming request with JSON instead of an event stream.", status);
        }

        var text = SecretScrubber.Scrub(System.Text.Encoding.UTF8.GetString(body).Trim(), channel.ApiKey.Value);
        return new UpstreamException(UpstreamErrorKind.Http,
            text.Length == 0 ? $"Upstream returned HTTP {status}." : $"Upstream returned HTTP {status}: {ClientText(text)}", status, retryAfter: retryAfter);
    }

    /// <summary>At most 500 characters of a non-JSON error body (an HTML error page says little more).</summary>
    private static string ClientText(string text) => text.Length <= 500 ? text : string.Concat(text.AsSpan(0, 500), "…");

    private sealed record Settings(RetryAfterReader RetryAfter, TimeProvider Time);
}
