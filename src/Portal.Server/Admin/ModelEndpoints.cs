using Microsoft.AspNetCore.Mvc;
using Portal.Storage;

namespace Portal.Server.Admin;

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

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "platformId");
        var platformId = AdminQuery.OptionalId(http.Request, "platformId");
        var rows = await repository.ListModelRowsAsync(platformId, http.RequestAborted);
        return TypedResults.Json(
            new ListResponse<ModelResponse> { Data = [.. rows.Select(r => r.ToResponse())] },
            AdminJsonContext.Api.ListResponseModelResponse);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var row = await FindAsync(repository, AdminQuery.Id(id), http.RequestAborted);
        return TypedResults.Json(row.ToResponse(), AdminJsonContext.Api.ModelResponse);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ModelWrite, ReadOnly))!;
        var model = new Model
        {
            PlatformId = await AdminValidation.PlatformIdAsync(body.PlatformId, repository, http.RequestAborted),
            Name = AdminValidation.Name(body.Name, "name"),
            Alias = Alias(body.Alias),
            Enabled = body.Enabled ?? true,
        };

        var stored = await AdminWrites.RunAsync(() => repository.AddModelAsync(model, http.RequestAborted), "name");
        AdminLog.Created(AdminLog.Get(http), Kind, stored.Id, stored.Name);
        var row = await FindAsync(repository, stored.Id, http.RequestAborted);
        http.Response.Headers.Location = $"/admin/models/{stored.Id}";
        return TypedResults.Json(row.ToResponse(), AdminJsonContext.Api.ModelResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "force");
        var modelId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ModelWrite, ReadOnly))!;
        var current = await FindAsync(repository, modelId, http.RequestAborted);

        var changed = current.Item with
        {
            PlatformId = body.PlatformId is null || body.PlatformId == current.Item.PlatformId
                ? current.Item.PlatformId
                : await AdminValidation.PlatformIdAsync(body.PlatformId, repository, http.RequestAborted),
            Name = body.Name is null ? current.Item.Name : AdminValidation.Name(body.Name, "name"),
            Alias = body.HasAlias ? Alias(body.Alias) : current.Item.Alias,
            Enabled = body.Enabled ?? current.Item.Enabled,
        };

        if (changed == current.Item)
        {
            return TypedResults.Json(current.ToResponse(), AdminJsonContext.Api.ModelResponse);
        }

        var warning = ConfigRows.Check(http, current.Source, Kind, modelId, delete: false, force);
        await AdminWrites.RunAsync(() => repository.UpdateModelAsync(changed, http.RequestAborted), "name");
        AdminLog.Updated(AdminLog.Get(http), Kind, modelId, changed.Name);
        var row = await FindAsync(repository, modelId, http.RequestAborted);
        return TypedResults.Json(row.ToResponse(warning), AdminJsonContext.Api.ModelResponse);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "force");
        var modelId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var current = await FindAsync(repository, modelId, http.RequestAborted);
        var warning = ConfigRows.Check(http, current.Source, Kind, modelId, delete: true, force);
        if (!await repository.DeleteModelAsync(modelId, http.RequestAborted))
        {
            throw AdminException.NotFound($"No model with id {modelId}.");
        }

        AdminLog.Deleted(AdminLog.Get(http), Kind, modelId, current.Item.Name, 0, 0);
        return TypedResults.Json(new DeletedResponse { Id = modelId, Object = Kind, Deleted = true, Warning = warning }, AdminJsonContext.Api.DeletedResponse);
    }

    /// <summary>An alias: null or empty means none.</summary>
    private static string? Alias(string? value) => string.IsNullOrEmpty(value) ? null : AdminValidation.Name(value, "alias");

    private static async Task<StoredRow<Model>> FindAsync(EfPortalRepository repository, long id, CancellationToken cancellationToken) =>
        await repository.GetModelRowAsync(id, cancellationToken) ?? throw AdminException.NotFound($"No model with id {id}.");
}
