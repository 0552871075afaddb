using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Mock;

/// <summary>Answers locally and deterministically, streamed or not, without any network call: for demos, load tests and tests.</summary>
/// <remarks>
/// <para>
/// The reply is derived from the request alone: <c>This is a mock response from {model} to: {first 60 characters of the
/// last user message}</c>, with one "token" per word (prompt tokens are the words of all messages). The completion ID is
/// a hash of the model name and the request, so the same request gets the same answer.
/// </para>
/// <para>
/// Settings come from the query string of the platform's base URL (host and path are ignored; <c>mock</c>, <c>http</c>
/// and <c>https</c> schemes are accepted), for example <c>mock://local?latency=200ms&amp;tokensPerSecond=50</c>:
/// <c>latency</c> is the delay before the first token (or the response), as <c>200ms</c>, <c>2s</c>, <c>1m</c> or a bare
/// number of milliseconds, default 0; <c>tokensPerSecond</c> paces the words after the first, default 0 (unlimited).
/// A non-streamed response takes as long as the whole stream would.
/// </para>
/// <para>The model name <c>mock-error-&lt;status&gt;</c> (for example <c>mock-error-429</c>) fails with that HTTP status.</para>
/// <para>Delays use the gateway's <see cref="TimeProvider"/> and honour cancellation.</para>
/// </remarks>
internal sealed class MockAdapter : IProviderAdapter, DependencyInjection.IBuiltIn
{
    private const string ErrorModelPrefix = "mock-error-";
    private const int SnippetLength = 60;
    private static readonly TimeSpan MaxLatency = TimeSpan.FromHours(1);

    private readonly TimeProvider _timeProvider;

    public MockAdapter(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    public string Format => PlatformFormats.Mock;

    /// <summary>A mock, http or https URL whose settings parse (<c>mock://local?latency=200ms</c>).</summary>
    public string? CheckBaseUrl(string baseUrl)
    {
        if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("mock" or "http" or "https"))
        {
            return "must be an absolute mock, http or https URL";
        }

        try
        {
            MockSettings.Parse(baseUrl);
            return null;
        }
        catch (UpstreamException ex)
        {
            return "has invalid mock settings: " + ex.Message;
        }
    }

    public async Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken)
    {
        var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var settings = MockSettings.Parse(channel.Platform.BaseUrl);
        var reply = Reply(channel, request);
        var words = SplitWords(reply);
        await DelayAsync(settings.Latency + (settings.WordInterval * Math.Max(words.Count - 1, 0)), cancellationToken).ConfigureAwait(false);
        ThrowIfErrorModel(channel.Model.Name);

        return new ChatCompletionResponse
        {
            Id = CompletionId(channel, request),
            Created = created,
            Model = channel.Model.Name,
            Choices = [new ChatChoice { Index = 0, Message = new ChatMessage("assistant", reply), FinishReason = "stop" }],
            Usage = CreateUsage(request, words.Count),
        };
    }

    public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var created = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        var settings = MockSettings.Parse(channel.Platform.BaseUrl);
        var reply = Reply(channel, request);
        var words = SplitWords(reply);
        var id = CompletionId(channel, request);
        var model = channel.Model.Name;
        await DelayAsync(settings.Latency, cancellationToken).ConfigureAwait(false);
        ThrowIfErrorModel(model);

        for (var i = 0; i < words.Count; i++)
        {
            if (i > 0)
            {
                await DelayAsync(settings.WordInterval, cancellationToken).ConfigureAwait(false);
            }

            yield return Chunk(id, created, model, new ChatMessageDelta { Role = i == 0 ? "assistant" : null, Content = words[i] }, finishReason: null);
        }

        yield return Chunk(id, created, model, new ChatMessageDelta(), finishReason: "stop");

        // Always sent: the gateway needs it for stats and hides it from callers who did not ask for include_usage.
        yield return new ChatCompletionChunk { Id = id, Created = created, Model = model, Choices = [], Usage = CreateUsage(request, words.Count) };
    }

    private static ChatCompletionChunk Chunk(string id, long created, string model, ChatMessageDelta delta, string? finishReason) => new()
    {
        Id = id,
        Created = created,
        Model = model,
        Choices = [new ChatChunkChoice { Index = 0, Delta = delta, FinishReason = finishReason }],
    };

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return delay > TimeSpan.Zero ? Task.Delay(delay, _timeProvider, cancellationToken) : Task.CompletedTask;
    }

    private static void ThrowIfErrorModel(string model)
    {
        if (!model.StartsWith(ErrorModelPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var text = model[ErrorModelPrefix.Length..];
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 400 or > 599)
        {
            throw new UpstreamException(UpstreamErrorKind.Protocol, $"Mock model '{model}' must be named mock-error-<status> with an HTTP error status from 400 to 599.");
        }

        throw new UpstreamException(UpstreamErrorKind.Http, $"Mock upstream returned HTTP {status} as model '{model}' asks.", status);
    }

    private static string Reply(Channel channel, ChatCompletionRequest request)
    {
        var last = "";
        for (var i = request.Messages.Count - 1; i >= 0; i--)
        {
            if (request.Messages[i] is { Role: "user" } message)
            {
                last = message.Content?.Text ?? "";
                break;
            }
        }

        if (last.Length > SnippetLength)
        {
            // Never cut a surrogate pair in half.
            last = last[..(char.IsHighSurrogate(last[SnippetLength - 1]) ? SnippetLength - 1 : SnippetLength)];
        }

        return $"This is a mock response from {channel.Model.Name} to: {last}";
    }

    /// <summary>Splits text into words, each with the whitespace before it (trailing whitespace joins the last word), so the pieces concatenate to the text.</summary>
    private static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var start = 0;
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            while (i < text.Length && !char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i == text.Length && words.Count > 0 && string.IsNullOrWhiteSpace(text[start..]))
            {
                words[^1] += text[start..];
            }
            else if (i > start)
            {
                words.Add(text[start..i]);
            }

            start = i;
        }

        return words;
    }

    private static int CountWords(string? text) =>
        text is null ? 0 : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static Usage CreateUsage(ChatCompletionRequest request, int completionTokens)
    {
        var promptTokens = 0;
        foreach (var message in request.Messages)
        {
            promptTokens += CountWords(message.Content?.Text);
        }

        return new Usage { PromptTokens = promptTokens, CompletionTokens = completionTokens, TotalTokens = promptTokens + completionTokens };
    }

    private static string CompletionId(Channel channel, ChatCompletionRequest request)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(request, PortalJsonContext.Default.ChatCompletionRequest);
        var model = Encoding.UTF8.GetBytes(channel.Model.Name + "\n");
        var hash = SHA256.HashData([.. model, .. json]);
        return "chatcmpl-mock-" + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }

    /// <summary>The settings read from a mock platform's base URL.</summary>
    private readonly record struct MockSettings(TimeSpan Latency, TimeSpan WordInterval)
    {
        public static MockSettings Parse(string baseUrl)
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("mock" or "http" or "https"))
            {
                throw new UpstreamException(UpstreamErrorKind.Protocol, "Mock platform base URL must be an absolute mock://, http:// or https:// URL, such as mock://local?latency=200ms&tokensPerSecond=50.");
            }

            var latency = TimeSpan.Zero;
            var interval = TimeSpan.Zero;
            foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var separator = pair.IndexOf('=', StringComparison.Ordinal);
                var name = Uri.UnescapeDataString(separator < 0 ? pair : pair[..separator]);
                var value = separator < 0 ? "" : Uri.UnescapeDataString(pair[(separator + 1)..]).Trim();
                if (string.Equals(name, "latency", StringComparison.OrdinalIgnoreCase))
                {
                    latency = ParseLatency(value);
                }
                else if (string.Equals(name, "tokensPerSecond", StringComparison.OrdinalIgnoreCase))
                {
                    interval = ParseTokensPerSecond(value);
                }
                else
                {
                    throw new UpstreamException(UpstreamErrorKind.Protocol, $"Mock platform base URL has an unknown setting '{name}'; expected latency or tokensPerSecond.");
                }
            }

            return new MockSettings(latency, interval);
        }

        private static TimeSpan ParseLatency(string value)
        {
            var (number, unit) = value.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (value[..^2], 1.0)
                : value.EndsWith('s') || value.EndsWith('S') ? (value[..^1], 1000.0)
                : value.EndsWith('m') || value.EndsWith('M') ? (value[..^1], 60_000.0)
                : (value, 1.0);
            if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                || !double.IsFinite(amount) || amount * unit > MaxLatency.TotalMilliseconds)
            {
                throw new UpstreamException(UpstreamErrorKind.Protocol,
                    $"Mock setting latency '{value}' is not a duration from 0 to 1 hour, such as 200ms, 1.5s or 1m (a bare number is milliseconds).");
            }

            return TimeSpan.FromMilliseconds(amount * unit);
        }

        private static TimeSpan ParseTokensPerSecond(string value)
        {
            if (!double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var rate) || !double.IsFinite(rate))
            {
                throw new UpstreamException(UpstreamErrorKind.Protocol, $"Mock setting tokensPerSecond '{value}' is not a non-negative number (0 means unlimited).");
            }

            return rate == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(1 / rate);
        }
    }
}
