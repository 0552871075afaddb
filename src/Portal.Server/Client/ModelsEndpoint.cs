using System.Text.Json.Serialization;
using Portal.Server.Errors;
using Portal.Server.Hosting;
using Portal.Storage;

namespace Portal.Server.Client;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the public model names, in OpenAI's list shape.</summary>
internal static class ModelsEndpoint
{
    private const string SharedOwner = "portal";

    public static async Task<IResult> ListAsync(IPortalRepository repository, CancellationToken cancellationToken)
    {
        var models = await ReadAsync(repository, cancellationToken);
        return Results.Json(new ModelList { Data = models }, ClientJsonContext.Default.ModelList);
    }

    public static async Task<IResult> GetAsync(string id, IPortalRepository repository, CancellationToken cancellationToken)
    {
        var models = await ReadAsync(repository, cancellationToken);
        var model = models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));
        return model is null
            ? ApiErrors.Result(StatusCodes.Status404NotFound, $"The model '{ClientText.Echo(id)}' does not exist. {Suggest(id, models)}", ApiErrors.Types.InvalidRequest, "model_not_found", "model")
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

/// <summary>JSON of the client API's own responses.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ModelList))]
[JsonSerializable(typeof(ModelCard))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
