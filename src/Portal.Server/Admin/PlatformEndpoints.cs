using Microsoft.AspNetCore.Mvc;
using Portal.Storage;

namespace Portal.Server.Admin;

/// <summary><c>/admin/platforms</c>: list, create, read, change and delete platforms.</summary>
internal static class PlatformEndpoints
{
    private const string Kind = "platform";

    /// <summary>What responses show but writes ignore, so a platform read can be sent back changed.</summary>
    private static readonly string[] ReadOnly = ["id", "source", "createdAt", "updatedAt", "warning"];

    public static void MapPlatforms(this RouteGroupBuilder admin)
    {
        var group = admin.MapGroup("/platforms");

        group.MapGet("/", ListAsync)
            .WithName("AdminListPlatforms")
            .WithSummary("Lists every platform, enabled or not, with its source (config or admin).")
            .Produces<ListResponse<PlatformResponse>>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        group.MapPost("/", CreateAsync)
            .WithName("AdminCreatePlatform")
            .WithSummary("Creates a platform (name, format, baseUrl; optional rateLimit, enabled); requests see it at once.")
            .Accepts<PlatformWrite>("application/json")
            .Produces<PlatformResponse>(StatusCodes.Status201Created)
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);

        group.MapGet("/{id}", GetAsync)
            .WithName("AdminGetPlatform")
            .WithSummary("Gets one platform.")
            .Produces<PlatformResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        foreach (var method in new[] { HttpMethods.Put, HttpMethods.Patch })
        {
            group.MapMethods("/{id}", [method], UpdateAsync)
                .WithName("AdminUpdatePlatform" + (method == HttpMethods.Put ? "" : "Patch"))
                .WithSummary("Changes a platform: fields left out keep their value. A config-file row needs ?force=true.")
                .Accepts<PlatformWrite>("application/json")
                .Produces<PlatformResponse>()
                .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        }

        group.MapDelete("/{id}", DeleteAsync)
            .WithName("AdminDeletePlatform")
            .WithSummary("Deletes a platform; one with models or keys needs ?cascade=true, a config-file row ?force=true.")
            .Produces<DeletedResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var rows = await repository.ListPlatformRowsAsync(http.RequestAborted);
        return TypedResults.Json(
            new ListResponse<PlatformResponse> { Data = [.. rows.Select(r => r.ToResponse())] },
            AdminJsonContext.Api.ListResponsePlatformResponse);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var row = await FindAsync(repository, AdminQuery.Id(id), http.RequestAborted);
        return TypedResults.Json(row.ToResponse(), AdminJsonContext.Api.PlatformResponse);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.PlatformWrite, ReadOnly))!;
        var name = AdminValidation.Name(body.Name, "name");
        var format = AdminValidation.Format(body.Format, http);
        var platform = new Platform
        {
            Name = name,
            Format = format,
            BaseUrl = AdminValidation.BaseUrl(body.BaseUrl, format),
            RateLimit = AdminValidation.RateLimit(body.RateLimit),
            Enabled = body.Enabled ?? true,
        };

        var stored = await AdminWrites.RunAsync(() => repository.AddPlatformAsync(platform, http.RequestAborted), "name");
        AdminLog.Created(AdminLog.Get(http), Kind, stored.Id, stored.Name);
        var row = await FindAsync(repository, stored.Id, http.RequestAborted);
        http.Response.Headers.Location = $"/admin/platforms/{stored.Id}";
        return TypedResults.Json(row.ToResponse(), AdminJsonContext.Api.PlatformResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "force");
        var platformId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.PlatformWrite, ReadOnly))!;
        var current = await FindAsync(repository, platformId, http.RequestAborted);

        var format = body.Format is null ? current.Item.Format : AdminValidation.Format(body.Format, http);
        var changed = current.Item with
        {
            Name = body.Name is null ? current.Item.Name : AdminValidation.Name(body.Name, "name"),
            Format = format,

            // Checked again when only the format changes: an http URL may not suit a new format, and back.
            BaseUrl = AdminValidation.BaseUrl(body.BaseUrl ?? current.Item.BaseUrl, format),
            RateLimit = body.HasRateLimit ? AdminValidation.RateLimit(body.RateLimit) : current.Item.RateLimit,
            Enabled = body.Enabled ?? current.Item.Enabled,
        };

        if (changed == current.Item)
        {
            return TypedResults.Json(current.ToResponse(), AdminJsonContext.Api.PlatformResponse);
        }

        var warning = ConfigRows.Check(http, current.Source, Kind, platformId, delete: false, force);
        await AdminWrites.RunAsync(() => repository.UpdatePlatformAsync(changed, http.RequestAborted), "name");
        AdminLog.Updated(AdminLog.Get(http), Kind, platformId, changed.Name);
        var row = await FindAsync(repository, platformId, http.RequestAborted);
        return TypedResults.Json(row.ToResponse(warning), AdminJsonContext.Api.PlatformResponse);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "force", "cascade");
        var platformId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var cascade = AdminQuery.Flag(http.Request, "cascade");
        var current = await FindAsync(repository, platformId, http.RequestAborted);
        var warning = ConfigRows.Check(http, current.Source, Kind, platformId, delete: true, force);

        var models = (await repository.ListModelRowsAsync(platformId, http.RequestAborted)).Count;
        var keys = (await repository.ListApiKeyRowsAsync(platformId, http.RequestAborted)).Count;
        if ((models > 0 || keys > 0) && !cascade)
        {
            throw AdminException.Conflict(
                $"The platform {platformId} still has {models} model(s) and {keys} key(s): delete them first, add ?cascade=true to delete them with it, "
                + "or set enabled to false to stop routing to it and keep its configuration.",
                AdminErrorCodes.PlatformInUse,
                "cascade");
        }

        if (!await repository.DeletePlatformAsync(platformId, http.RequestAborted))
        {
            throw AdminException.NotFound($"No platform with id {platformId}.");
        }

        AdminLog.Deleted(AdminLog.Get(http), Kind, platformId, current.Item.Name, models, keys);
        return TypedResults.Json(
            new DeletedResponse { Id = platformId, Object = Kind, Deleted = true, DeletedModels = models, DeletedKeys = keys, Warning = warning },
            AdminJsonContext.Api.DeletedResponse);
    }

    private static async Task<StoredRow<Platform>> FindAsync(EfPortalRepository repository, long id, CancellationToken cancellationToken) =>
        await repository.GetPlatformRowAsync(id, cancellationToken) ?? throw AdminException.NotFound($"No platform with id {id}.");
}
