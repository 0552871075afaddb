using System.Text.Json.Serialization;
using Portal.Server.Errors;
using Portal.Server.Hosting;
using Portal.Storage;

namespace Portal.Server.Client;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the public model names, in OpenAI's list shape.</summary>
internal static class ModelsEndpoint
{
    private const string SharedOwner = "portal";

    public static async Task<IResult> ListAsync(HttpContext context, IPortalRepository repository, CancellationToken cancellationToken)
    {
        var models = await ReadAsync(repository, cancellationToken);
        return AnthropicShape.Applies(context)
            ? AnthropicList(context.Request.Query, models)
            : Results.Json(new ModelList { Data = models }, ClientJsonContext.Default.ModelList);
    }

    /// <summary>
    /// Anthropic's model list, for a request with <c>anthropic-version</c>: a page of <c>limit</c> (1–1000, default 20)
    /// models after <c>after_id</c> or before <c>before_id</c>, with <c>has_more</c>, <c>first_id</c> and <c>last_id</c>.
    /// </summary>
    private static IResult AnthropicList(IQueryCollection query, List<ModelCard> models)
    {
        var limit = int.TryParse(query["limit"], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : DefaultPage;
        if (limit is < 1 or > MaxPage)
        {
            return ApiErrors.Result(StatusCodes.Status400BadRequest, $"limit: must be an integer from 1 to {MaxPage}.", ApiErrors.Types.InvalidRequest, "invalid_request", "limit");
        }

        int start = 0, end = models.Count;
        if (query["after_id"].ToString() is { Length: > 0 } after)
        {
            start = models.FindIndex(m => string.Equals(m.Id, after, StringComparison.Ordinal)) + 1;
        }

        if (query["before_id"].ToString() is { Length: > 0 } before)
        {
            var at = models.FindIndex(m => string.Equals(m.Id, before, StringComparison.Ordinal));
            end = at < 0 ? models.Count : at;
            start = Math.Max(start, end - limit);
        }

        var page = models.Skip(start).Take(Math.Min(limit, Math.Max(0, end - start))).Select(AnthropicModel.From).ToList();
        return Results.Json(new AnthropicModelList
        {
            Data = page,
            HasMore = start + page.Count < end || (query.ContainsKey("before_id") && start > 0),
            FirstId = page.Count > 0 ? page[0].Id : null,
            LastId = page.Count > 0 ? page[^1].Id : null,
        }, ClientJsonContext.Default.AnthropicModelList);
    }

    private const int DefaultPage = 20;
    private const int MaxPage = 1000;

    public static async Task<IResult> GetAsync(HttpContext httpContext, string id, IPortalRepository repository, CancellationToken cancellationToken)
    {
        var models = await ReadAsync(repository, cancellationToken);
        var model = models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));
        return model is null
            ? ApiErrors.Result(StatusCodes.Status404NotFound, $"The model '{ClientText.Echo(id)}' does not exist. {Suggest(id, models)}", ApiErrors.Types.InvalidRequest, "model_not_found", "model")
            : AnthropicShape.Applies(httpContext)
                ? Results.Json(AnthropicModel.From(model), ClientJsonContext.Default.AnthropicModel)
                : Results.Json(model, ClientJsonContext.Default.ModelCard);
    }

    /// <summary>How many model names an unknown model's error lists.</summary>
    public const int MaxSuggestions = 10;

    /// <summary>
    /// What a client asking for an unknown or disabled model can ask for instead: up to <see cref="MaxSuggestions"/>
    /// available names, closest to <paramref name="asked"/> first, and where to find the rest.
    /// </summary>
    /// <remarks>A storage failure here must not turn a 404 into a 500: the answer then only points to <c>GET /v1/models</c>.</remarks>
    public static async Task<string> SuggestAsync(string asked, IPortalRepository repository, CancellationToken cancellationToken)
    {
        try
        {
            return Suggest(asked, await ReadAsync(repository, cancellationToken));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return "GET /v1/models lists the available models.";
        }
    }

    private static string Suggest(string asked, List<ModelCard> models)
    {
        if (models.Count == 0)
        {
            return "No model is available: add platforms and models to the config file (Portal:ConfigFile) or through the admin API.";
        }

        // The first characters are enough to rank by; a 100 KB name must not cost 100 KB of work per candidate.
        var typed = asked.Length <= ClientText.MaxEcho ? asked : asked[..ClientText.MaxEcho];
        var names = models.Select(m => m.Id)
            .OrderBy(name => Spelling.Distance(typed, name))
            .ThenBy(name => name, StringComparer.Ordinal)
            .Take(MaxSuggestions)
            .ToList();
        return models.Count <= MaxSuggestions
            ? $"Available models: {string.Join(", ", names)}."
            : $"Closest of the {models.Count} available models: {string.Join(", ", names)}; GET /v1/models lists them all.";
    }

    /// <summary>The names (and aliases) of enabled models on enabled platforms, each once, sorted.</summary>
    /// <remarks>A name served by one platform is owned by it; a name several platforms serve is owned by <c>portal</c>.</remarks>
    internal static async Task<List<ModelCard>> ReadAsync(IPortalRepository repository, CancellationToken cancellationToken)
    {
        IReadOnlyList<Platform> platforms;
        IReadOnlyList<Model> models;
        switch (repository)
        {
            case EfPortalRepository stored:
                platforms = await stored.ListPlatformsAsync(cancellationToken);
                models = await stored.ListModelsAsync(cancellationToken);
                break;
            case InMemoryPortalRepository memory:
                platforms = memory.Platforms;
                models = memory.Models;
                break;
            default:
                return [];
        }

        var enabled = platforms.Where(p => p.Enabled).ToDictionary(p => p.Id, p => p.Name);
        var owners = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            if (!model.Enabled || !enabled.TryGetValue(model.PlatformId, out var platform))
            {
                continue;
            }

            Add(model.Name, platform);
            if (!string.IsNullOrEmpty(model.Alias))
            {
                Add(model.Alias, platform);
            }
        }

        return [.. owners.Select(o => new ModelCard { Id = o.Key, OwnedBy = o.Value })];

        void Add(string name, string platform)
        {
            owners[name] = owners.TryGetValue(name, out var owner) && owner != platform ? SharedOwner : platform;
        }
    }
}

/// <summary>OpenAI's model list.</summary>
internal sealed class ModelList
{
    public string Object { get; init; } = "list";

    public required List<ModelCard> Data { get; init; }
}

/// <summary>One model of the list.</summary>
internal sealed class ModelCard
{
    public required string Id { get; init; }

    public string Object { get; init; } = "model";

    /// <summary>Unix seconds; Portal does not track when a model appeared, so always 0.</summary>
    public long Created { get; init; }

    public required string OwnedBy { get; init; }
}

/// <summary>Anthropic's model list (<c>GET /v1/models</c> with <c>anthropic-version</c>).</summary>
internal sealed class AnthropicModelList
{
    public required List<AnthropicModel> Data { get; init; }

    public bool HasMore { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? FirstId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public string? LastId { get; init; }
}

/// <summary>One model in Anthropic's shape.</summary>
internal sealed class AnthropicModel
{
    public string Type { get; init; } = "model";

    public required string Id { get; init; }

    /// <summary>The name clients ask for; Portal has no separate display name.</summary>
    public required string DisplayName { get; init; }

    /// <summary>RFC 3339; Portal does not track when a model appeared, so always the Unix epoch.</summary>
    public string CreatedAt { get; init; } = "1970-01-01T00:00:00Z";

    public static AnthropicModel From(ModelCard card) => new() { Id = card.Id, DisplayName = card.Id };
}

/// <summary>JSON of the client API's own responses.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
[JsonSerializable(typeof(AnthropicModelList))]
[JsonSerializable(typeof(AnthropicModel))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
