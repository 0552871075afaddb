using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Models;

/// <summary><c>/admin/models</c>: list (optionally of one platform), create, read, change and delete models.</summary>
internal static class ModelEndpoints
{
    private const string Kind = "model";

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
        var rows = await config.ListModelRowsAsync(platformId, http.RequestAborted);
        return TypedResults.Json(
            new ListResponse<ModelResponse> { Data = [.. rows.Select(r => ToResponse(r))] },
            AdminJsonContext.Api.ListResponseModelResponse);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var modelId = AdminQuery.Id(id);
        return await config.GetModelRowAsync(modelId, http.RequestAborted) is { } row
            ? TypedResults.Json(ToResponse(row), AdminJsonContext.Api.ModelResponse)
            : AdminResults.NotFound(Kind, modelId);
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

        var result = await config.AddModelAsync(model, http.RequestAborted);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, new AdminWrite(Kind, 0, "name"));
        }

        var row = result.Value;
        AdminLog.Created(AdminLog.Get(http), Kind, row.Item.Id, row.Item.Name);
        http.Response.Headers.Location = $"/admin/models/{row.Item.Id}";
        return TypedResults.Json(ToResponse(row), AdminJsonContext.Api.ModelResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var modelId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ModelWrite, ReadOnly))!;
        if (await config.GetModelRowAsync(modelId, http.RequestAborted) is not { } current)
        {
            return AdminResults.NotFound(Kind, modelId);
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

        if (changed == current.Item)
        {
            return TypedResults.Json(ToResponse(current), AdminJsonContext.Api.ModelResponse);
        }

        var write = new AdminWrite(Kind, modelId, "name");
        var result = await config.UpdateModelAsync(changed, force, http.RequestAborted);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, write);
        }

        var warning = AdminResults.Warning(http, result.Value.Source, write);
        AdminLog.Updated(AdminLog.Get(http), Kind, modelId, changed.Name);
        return TypedResults.Json(ToResponse(result.Value, warning), AdminJsonContext.Api.ModelResponse);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var modelId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var write = new AdminWrite(Kind, modelId, "id", Delete: true);
        var result = await config.DeleteModelAsync(modelId, force, http.RequestAborted);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, write);
        }

        var row = result.Value.Row;
        var warning = AdminResults.Warning(http, row.Source, write);
        AdminLog.Deleted(AdminLog.Get(http), Kind, modelId, row.Item.Name, 0, 0);
        return TypedResults.Json(new DeletedResponse { Id = modelId, Object = Kind, Deleted = true, Warning = warning }, AdminJsonContext.Api.DeletedResponse);
    }

    /// <summary>An alias: null or empty means none.</summary>
    private static string? Alias(string? value) => string.IsNullOrEmpty(value) ? null : AdminValidation.Name(value, "alias");

    private static ModelResponse ToResponse(StoredRow<Model> row, string? warning = null) => new()
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
