using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Platforms;

/// <summary><c>/admin/platforms</c>: list, create, read, change and delete platforms.</summary>
internal static class PlatformEndpoints
{
    private static readonly AdminResource<Platform, PlatformResponse> Resource = new(
        "platform",
        "/admin/platforms",
        conflictParam: "name",
        p => p.Id,
        r => r.Item.Name,
        ToResponse,
        AdminJsonContext.Api.PlatformResponse,
        AdminJsonContext.Api.ListResponsePlatformResponse,
        ownsRows: true);

    /// <summary>What responses show but writes ignore, so a platform read can be sent back changed.</summary>
    private static readonly string[] ReadOnly = ["id", "source", "createdAt", "updatedAt", "warning"];

    public static void MapPlatforms(this RouteGroupBuilder admin)
    {
        Resource.MapRoutes<PlatformWrite>(admin.MapGroup("/platforms"), new(
            List: new(ListAsync, "Lists every platform, enabled or not, with its source (config or admin)."),
            Create: new(CreateAsync, "Creates a platform (name, format, baseUrl; optional apiVersion, defaultMaxTokens, rateLimit, enabled); requests see it at once."),
            Get: new(GetAsync, "Gets one platform."),
            Update: new(UpdateAsync, "Changes a platform: fields left out keep their value (apiVersion, defaultMaxTokens or rateLimit null removes it). A config-file row needs ?force=true."),
            Delete: new(DeleteAsync, "Deletes a platform; one with models or keys needs ?cascade=true, a config-file row ?force=true.")));
    }

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        return Resource.List(await config.ListPlatformRowsAsync(http.RequestAborted));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var platformId = AdminQuery.Id(id);
        return Resource.Found(await config.GetPlatformRowAsync(platformId, http.RequestAborted), platformId);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] IConfigStore config, [FromServices] PortalGateway gateway)
    {
        AdminQuery.Allow(http.Request);
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.PlatformWrite, ReadOnly))!;
        var name = AdminValidation.Name(body.Name, "name");
        var format = AdminValidation.Format(body.Format, gateway.Providers);
        var platform = new Platform
        {
            Name = name,
            Format = format,
            BaseUrl = AdminValidation.BaseUrl(body.BaseUrl, format, gateway.Providers),
            ApiVersion = AdminValidation.ApiVersion(body.ApiVersion),
            DefaultMaxTokens = AdminValidation.DefaultMaxTokens(body.DefaultMaxTokens),
            RateLimit = AdminValidation.RateLimit(body.RateLimit),
            Enabled = body.Enabled ?? true,
        };

        return Resource.Created(http, await config.AddPlatformAsync(platform, http.RequestAborted));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] IConfigStore config, [FromServices] PortalGateway gateway)
    {
        AdminQuery.Allow(http.Request, "force");
        var platformId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.PlatformWrite, ReadOnly))!;
        if (await config.GetPlatformRowAsync(platformId, http.RequestAborted) is not { } current)
        {
            return Resource.NotFound(platformId);
        }

        var format = body.Format is null ? current.Item.Format : AdminValidation.Format(body.Format, gateway.Providers);
        var changed = current.Item with
        {
            Name = body.Name is null ? current.Item.Name : AdminValidation.Name(body.Name, "name"),
            Format = format,

            // Checked again when only the format changes: an http URL may not suit a new format, and back.
            BaseUrl = AdminValidation.BaseUrl(body.BaseUrl ?? current.Item.BaseUrl, format, gateway.Providers),
            ApiVersion = body.HasApiVersion ? AdminValidation.ApiVersion(body.ApiVersion) : current.Item.ApiVersion,
            DefaultMaxTokens = body.HasDefaultMaxTokens ? AdminValidation.DefaultMaxTokens(body.DefaultMaxTokens) : current.Item.DefaultMaxTokens,
            RateLimit = body.HasRateLimit ? AdminValidation.RateLimit(body.RateLimit) : current.Item.RateLimit,
            Enabled = body.Enabled ?? current.Item.Enabled,
        };

        return changed == current.Item
            ? Resource.Unchanged(current)
            : Resource.Updated(http, platformId, await config.UpdatePlatformAsync(changed, force, http.RequestAborted));
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force", "cascade");
        var platformId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var cascade = AdminQuery.Flag(http.Request, "cascade");
        return Resource.Deleted(http, platformId, await config.DeletePlatformAsync(platformId, cascade, force, http.RequestAborted));
    }

    private static PlatformResponse ToResponse(StoredRow<Platform> row, string? warning) => new()
    {
        Id = row.Item.Id,
        Name = row.Item.Name,
        Format = row.Item.Format,
        BaseUrl = row.Item.BaseUrl,
        ApiVersion = row.Item.ApiVersion,
        DefaultMaxTokens = row.Item.DefaultMaxTokens,
        RateLimit = row.Item.RateLimit is { Rpm: null, Tpm: null } ? null : new RateLimitResponse { Rpm = row.Item.RateLimit.Rpm, Tpm = row.Item.RateLimit.Tpm },
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };
}
