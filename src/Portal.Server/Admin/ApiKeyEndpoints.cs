using Microsoft.AspNetCore.Mvc;
using Portal.Storage;

namespace Portal.Server.Admin;

/// <summary><c>/admin/keys</c>: list, create, read, change and delete keys. Values are write-only: every response shows them masked.</summary>
internal static class ApiKeyEndpoints
{
    private const string Kind = "key";

    private static readonly string[] ReadOnly = ["id", "name", "maskedValue", "source", "createdAt", "updatedAt", "warning"];

    public static void MapApiKeys(this RouteGroupBuilder admin)
    {
        var group = admin.MapGroup("/keys");

        group.MapGet("/", ListAsync)
            .WithName("AdminListKeys")
            .WithSummary("Lists keys (masked), enabled or not, with their source; ?platformId= lists one platform's.")
            .Produces<ListResponse<ApiKeyResponse>>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        group.MapPost("/", CreateAsync)
            .WithName("AdminCreateKey")
            .WithSummary("Adds a key (platformId, value; optional enabled); requests can use it at once. The response shows it masked.")
            .Accepts<ApiKeyWrite>("application/json")
            .Produces<ApiKeyResponse>(StatusCodes.Status201Created)
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status409Conflict);

        group.MapGet("/{id}", GetAsync)
            .WithName("AdminGetKey")
            .WithSummary("Gets one key (masked).")
            .Produces<ApiKeyResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);

        foreach (var method in new[] { HttpMethods.Put, HttpMethods.Patch })
        {
            group.MapMethods("/{id}", [method], UpdateAsync)
                .WithName("AdminUpdateKey" + (method == HttpMethods.Put ? "" : "Patch"))
                .WithSummary("Changes a key: fields left out keep their value (no value keeps the secret). A config-file row needs ?force=true.")
                .Accepts<ApiKeyWrite>("application/json")
                .Produces<ApiKeyResponse>()
                .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
        }

        group.MapDelete("/{id}", DeleteAsync)
            .WithName("AdminDeleteKey")
            .WithSummary("Deletes a key and its health; a config-file row needs ?force=true.")
            .Produces<DeletedResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict);
    }

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "platformId");
        var platformId = AdminQuery.OptionalId(http.Request, "platformId");
        var rows = await repository.ListApiKeyRowsAsync(platformId, http.RequestAborted);
        return TypedResults.Json(
            new ListResponse<ApiKeyResponse> { Data = [.. rows.Select(r => r.ToResponse())] },
            AdminJsonContext.Api.ListResponseApiKeyResponse);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var row = await FindAsync(repository, AdminQuery.Id(id), http.RequestAborted);
        return TypedResults.Json(row.ToResponse(), AdminJsonContext.Api.ApiKeyResponse);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request);
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ApiKeyWrite, ReadOnly))!;
        var key = new ApiKey
        {
            PlatformId = await AdminValidation.PlatformIdAsync(body.PlatformId, repository, http.RequestAborted),
            Value = AdminValidation.KeyValue(body.Value),
            Enabled = body.Enabled ?? true,
        };

        var stored = await AdminWrites.RunAsync(() => repository.AddApiKeyAsync(key, http.RequestAborted), "value");
        var row = await FindAsync(repository, stored.Id, http.RequestAborted);
        AdminLog.Created(AdminLog.Get(http), Kind, stored.Id, row.Label());
        http.Response.Headers.Location = $"/admin/keys/{stored.Id}";
        return TypedResults.Json(row.ToResponse(), AdminJsonContext.Api.ApiKeyResponse, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "force");
        var keyId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ApiKeyWrite, ReadOnly))!;
        var current = await FindAsync(repository, keyId, http.RequestAborted);

        var changed = current.Item with
        {
            PlatformId = body.PlatformId is null || body.PlatformId == current.Item.PlatformId
                ? current.Item.PlatformId
                : await AdminValidation.PlatformIdAsync(body.PlatformId, repository, http.RequestAborted),
            Value = body.Value is null ? current.Item.Value : AdminValidation.KeyValue(body.Value),
            Enabled = body.Enabled ?? current.Item.Enabled,
        };

        if (changed == current.Item)
        {
            return TypedResults.Json(current.ToResponse(), AdminJsonContext.Api.ApiKeyResponse);
        }

        var warning = ConfigRows.Check(http, current.Source, Kind, keyId, delete: false, force);
        await AdminWrites.RunAsync(() => repository.UpdateApiKeyAsync(changed, http.RequestAborted), "value");
        var row = await FindAsync(repository, keyId, http.RequestAborted);
        AdminLog.Updated(AdminLog.Get(http), Kind, keyId, row.Label());
        return TypedResults.Json(row.ToResponse(warning), AdminJsonContext.Api.ApiKeyResponse);
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] EfPortalRepository repository)
    {
        AdminQuery.Allow(http.Request, "force");
        var keyId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var current = await FindAsync(repository, keyId, http.RequestAborted);
        var warning = ConfigRows.Check(http, current.Source, Kind, keyId, delete: true, force);
        if (!await repository.DeleteApiKeyAsync(keyId, http.RequestAborted))
        {
            throw AdminException.NotFound($"No key with id {keyId}.");
        }

        AdminLog.Deleted(AdminLog.Get(http), Kind, keyId, current.Label(), 0, 0);
        return TypedResults.Json(new DeletedResponse { Id = keyId, Object = Kind, Deleted = true, Warning = warning }, AdminJsonContext.Api.DeletedResponse);
    }

    private static async Task<StoredRow<ApiKey>> FindAsync(EfPortalRepository repository, long id, CancellationToken cancellationToken) =>
        await repository.GetApiKeyRowAsync(id, cancellationToken) ?? throw AdminException.NotFound($"No key with id {id}.");
}
