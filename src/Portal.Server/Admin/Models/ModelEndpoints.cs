using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Models;

/// <summary><c>/admin/models</c>: list (optionally of one platform), create, read, change and delete models.</summary>
internal static class ModelEndpoints
{
    private static readonly AdminResource<Model, ModelResponse> Resource = new(
        "model",
        "/admin/models",
        conflictParam: "name",
        m => m.Id,
        r => r.Item.Name,
        ToResponse,
        AdminJsonContext.Api.ModelResponse,
        AdminJsonContext.Api.ListResponseModelResponse);

    private static readonly string[] ReadOnly = ["id", "source", "createdAt", "updatedAt", "warning"];

    public static void MapModels(this RouteGroupBuilder admin)
    {
        var group = admin.MapGroup("/models");

        group.MapGet("/", ListAsync)
            .WithName("AdminListModels")
            .WithSummary("Lists models, enabled or not, with their source; ?platformId= lists one platform's.")
            .Produces<ListResponse<ModelResponse>>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        group.MapPost("/", CreateAsync)
            .WithName("AdminCreateModel")
            .WithSummary("Creates a model (platformId, name; optional alias, enabled); requests can use it at once.")
            .Accepts<ModelWrite>("application/json")
            .Produces<ModelResponse>(StatusCodes.Status201Created)
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);

        group.MapGet("/{id}", GetAsync)
            .WithName("AdminGetModel")
            .WithSummary("Gets one model.")
            .Produces<ModelResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        foreach (var method in new[] { HttpMethods.Put, HttpMethods.Patch })
        {
            group.MapMethods("/{id}", [method], UpdateAsync)
                .WithName("AdminUpdateModel" + (method == HttpMethods.Put ? "" : "Patch"))
                .WithSummary("Changes a model: fields left out keep their value (alias null removes it). A config-file row needs ?force=true.")
                .Accepts<ModelWrite>("application/json")
                .Produces<ModelResponse>()
                .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        }

        group.MapDelete("/{id}", DeleteAsync)
            .WithName("AdminDeleteModel")
            .WithSummary("Deletes a model and its health; a config-file row needs ?force=true.")
            .Produces<DeletedResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "platformId");
        var platformId = AdminQuery.OptionalId(http.Request, "platformId");
        return Resource.List(await config.ListModelRowsAsync(platformId, http.RequestAborted));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var modelId = AdminQuery.Id(id);
        return Resource.Found(await config.GetModelRowAsync(modelId, http.RequestAborted), modelId);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ModelWrite, ReadOnly))!;
        var model = new Model
        {
            PlatformId = await AdminValidation.PlatformIdAsync(body.PlatformId, config, http.RequestAborted),
            Name = AdminValidation.Name(body.Name, "name"),
            Alias = Alias(body.Alias),
            Enabled = body.Enabled ?? true,
        };

        return Resource.Created(http, await config.AddModelAsync(model, http.RequestAborted));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var modelId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ModelWrite, ReadOnly))!;
        if (await config.GetModelRowAsync(modelId, http.RequestAborted) is not { } current)
        {
            return Resource.NotFound(modelId);
        }

        var changed = current.Item with
        {
            PlatformId = body.PlatformId is null || body.PlatformId == current.Item.PlatformId
                ? current.Item.PlatformId
                : await AdminValidation.PlatformIdAsync(body.PlatformId, config, http.RequestAborted),
            Name = body.Name is null ? current.Item.Name : AdminValidation.Name(body.Name, "name"),
            Alias = body.HasAlias ? Alias(body.Alias) : current.Item.Alias,
            Enabled = body.Enabled ?? current.Item.Enabled,
        };

        return changed == current.Item
            ? Resource.Unchanged(current)
            : Resource.Updated(http, modelId, await config.UpdateModelAsync(changed, force, http.RequestAborted));
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var modelId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        return Resource.Deleted(http, modelId, await config.DeleteModelAsync(modelId, force, http.RequestAborted));
    }

    /// <summary>An alias: null or empty means none.</summary>
    private static string? Alias(string? value) => string.IsNullOrEmpty(value) ? null : AdminValidation.Name(value, "alias");

    private static ModelResponse ToResponse(StoredRow<Model> row, string? warning) => new()
    {
        Id = row.Item.Id,
        PlatformId = row.Item.PlatformId,
        Name = row.Item.Name,
        Alias = row.Item.Alias,
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };
}
