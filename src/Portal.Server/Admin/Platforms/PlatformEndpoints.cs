using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Platforms;

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

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var rows = await config.ListPlatformRowsAsync(http.RequestAborted);
        return TypedResults.Json(
            new ListResponse<PlatformResponse> { Data = [.. rows.Select(r => ToResponse(r))] },
            AdminJsonContext.Api.ListResponsePlatformResponse);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var platformId = AdminQuery.Id(id);
        return await config.GetPlatformRowAsync(platformId, http.RequestAborted) is { } row
            ? TypedResults.Json(ToResponse(row), AdminJsonContext.Api.PlatformResponse)
            : AdminResults.NotFound(Kind, platformId);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] IConfigStore config)
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

        var result = await config.AddPlatformAsync(platform, http.RequestAborted);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, new AdminWrite(Kind, 0, "name"));
        }

        var row = result.Value;
        AdminLog.Created(AdminLog.Get(http), Kind, row.Item.Id, row.Item.Name);
        http.Response.Headers.Location = $"/admin/platforms/{row.Item.Id}";
        return TypedResults.Json(ToResponse(row), AdminJsonContext.Api.PlatformResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var platformId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.PlatformWrite, ReadOnly))!;
        if (await config.GetPlatformRowAsync(platformId, http.RequestAborted) is not { } current)
        {
            return AdminResults.NotFound(Kind, platformId);
        }

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
            return TypedResults.Json(ToResponse(current), AdminJsonContext.Api.PlatformResponse);
        }

        var write = new AdminWrite(Kind, platformId, "name");
        var result = await config.UpdatePlatformAsync(changed, force, http.RequestAborted);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, write);
        }

        var warning = AdminResults.Warning(http, result.Value.Source, write);
        AdminLog.Updated(AdminLog.Get(http), Kind, platformId, changed.Name);
        return TypedResults.Json(ToResponse(result.Value, warning), AdminJsonContext.Api.PlatformResponse);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force", "cascade");
        var platformId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var cascade = AdminQuery.Flag(http.Request, "cascade");
        var write = new AdminWrite(Kind, platformId, "id", Delete: true);
        var result = await config.DeletePlatformAsync(platformId, cascade, force, http.RequestAborted);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, write);
        }

        var (row, models, keys) = result.Value;
        var warning = AdminResults.Warning(http, row.Source, write);
        AdminLog.Deleted(AdminLog.Get(http), Kind, platformId, row.Item.Name, models, keys);
        return TypedResults.Json(
            new DeletedResponse { Id = platformId, Object = Kind, Deleted = true, DeletedModels = models, DeletedKeys = keys, Warning = warning },
            AdminJsonContext.Api.DeletedResponse);
    }

    private static PlatformResponse ToResponse(StoredRow<Platform> row, string? warning = null) => new()
    {
        Id = row.Item.Id,
        Name = row.Item.Name,
        Format = row.Item.Format,
        BaseUrl = row.Item.BaseUrl,
        RateLimit = row.Item.RateLimit is { Rpm: null, Tpm: null } ? null : new RateLimitResponse { Rpm = row.Item.RateLimit.Rpm, Tpm = row.Item.RateLimit.Tpm },
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };
}
