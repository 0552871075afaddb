using Portal.Contracts;

namespace Portal.Testing;

/// <summary>Short ways to fill an <see cref="InMemoryPortalRepository"/> and build requests in tests.</summary>
public static class RepositorySeed
{
    /// <summary>Adds an OpenAI-format platform, one model on it and one key per given key value (ids: key ids are <c>platformId * 100 + i</c>, 1-based).</summary>
    /// <returns>The keys added, in order.</returns>
    public static IReadOnlyList<ApiKey> AddOpenAIChannel(this InMemoryPortalRepository repository, long platformId, string baseUrl, long modelId, string modelName, string? alias = null, params string[] keyValues)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(keyValues);
        repository.Add(new Platform { Id = platformId, Name = $"platform-{platformId}", Format = "openai", BaseUrl = baseUrl });
        repository.Add(new Model { Id = modelId, PlatformId = platformId, Name = modelName, Alias = alias });
        var keys = new List<ApiKey>();
        var values = keyValues.Length == 0 ? [$"sk-test-platform{platformId}-key1-0123456789abcdef"] : keyValues;
        for (var i = 0; i < values.Length; i++)
        {
            var key = new ApiKey { Id = (platformId * 100) + i + 1, PlatformId = platformId, Value = values[i] };
            repository.Add(key);
            keys.Add(key);
        }

        return keys;
    }

    /// <summary>Adds a platform of format <c>anthropic</c> with one model and its keys (ids <c>platformId * 100 + n</c>); returns the keys.</summary>
    public static IReadOnlyList<ApiKey> AddAnthropicChannel(this InMemoryPortalRepository repository, long platformId, string baseUrl, long modelId, string modelName, string? alias = null, params string[] keyValues)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(keyValues);
        repository.Add(new Platform { Id = platformId, Name = $"anthropic-{platformId}", Format = "anthropic", BaseUrl = baseUrl });
        repository.Add(new Model { Id = modelId, PlatformId = platformId, Name = modelName, Alias = alias });
        var keys = new List<ApiKey>();
        var values = keyValues.Length == 0 ? [$"sk-ant-platform{platformId}-key1-0123456789abcdef"] : keyValues;
        for (var i = 0; i < values.Length; i++)
        {
            var key = new ApiKey { Id = (platformId * 100) + i + 1, PlatformId = platformId, Value = values[i] };
            repository.Add(key);
            keys.Add(key);
        }

        return keys;
    }

    /// <summary>A one-message chat request for <paramref name="model"/>.</summary>
    public static ChatCompletionRequest Chat(string model, string text = "Hello")
        => new() { Model = model, Messages = [new ChatMessage("user", text)] };

    /// <summary>Reads a whole stream into a list.</summary>
    public static async Task<List<ChatCompletionChunk>> ToListAsync(this IAsyncEnumerable<ChatCompletionChunk> stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var chunks = new List<ChatCompletionChunk>();
        await foreach (var chunk in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            chunks.Add(chunk);
        }

        return chunks;
    }
}
