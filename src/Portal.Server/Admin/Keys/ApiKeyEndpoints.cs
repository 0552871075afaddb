using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Shared;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Keys;

/// <summary><c>/admin/keys</c>: list, create, read, change and delete keys. Values are write-only: every response shows them masked.</summary>
internal static class ApiKeyEndpoints
{
    private static readonly AdminResource<ApiKey, ApiKeyResponse> Resource = new(
        "key",
        "/admin/keys",
        conflictParam: "value",
        k => k.Id,
        Label,
        ToResponse,
        AdminJsonContext.Api.ApiKeyResponse,
        AdminJsonContext.Api.ListResponseApiKeyResponse);

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

    /// <summary>How a key is shown where a name is expected: its name, else its masked value.</summary>
    public static string Label(this StoredRow<ApiKey> row) => row.KeyName ?? row.Item.Masked;

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "platformId");
        var platformId = AdminQuery.OptionalId(http.Request, "platformId");
        return Resource.List(await config.ListApiKeyRowsAsync(platformId, http.RequestAborted));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var keyId = AdminQuery.Id(id);
        return Resource.Found(await config.GetApiKeyRowAsync(keyId, http.RequestAborted), keyId);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request);
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ApiKeyWrite, ReadOnly))!;
        var key = new ApiKey
        {
            PlatformId = await AdminValidation.PlatformIdAsync(body.PlatformId, config, http.RequestAborted),
            Value = AdminValidation.KeyValue(body.Value),
            Enabled = body.Enabled ?? true,
        };

        return Resource.Created(http, await config.AddApiKeyAsync(key, http.RequestAborted));
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var keyId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        var body = (await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.ApiKeyWrite, ReadOnly))!;
        if (await config.GetApiKeyRowAsync(keyId, http.RequestAborted) is not { } current)
        {
            return Resource.NotFound(keyId);
        }

        var changed = current.Item with
        {
            PlatformId = body.PlatformId is null || body.PlatformId == current.Item.PlatformId
                ? current.Item.PlatformId
                : await AdminValidation.PlatformIdAsync(body.PlatformId, config, http.RequestAborted),
            Value = body.Value is null ? current.Item.Value : AdminValidation.KeyValue(body.Value),
            Enabled = body.Enabled ?? current.Item.Enabled,
        };

        return changed == current.Item
            ? Resource.Unchanged(current)
            : Resource.Updated(http, keyId, await config.UpdateApiKeyAsync(changed, force, http.RequestAborted));
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, [FromServices] IConfigStore config)
    {
        AdminQuery.Allow(http.Request, "force");
        var keyId = AdminQuery.Id(id);
        var force = AdminQuery.Flag(http.Request, "force");
        return Resource.Deleted(http, keyId, await config.DeleteApiKeyAsync(keyId, force, http.RequestAborted));
    }

    private static ApiKeyResponse ToResponse(StoredRow<ApiKey> row, string? warning) => new()
    {
        Id = row.Item.Id,
        PlatformId = row.Item.PlatformId,
        Name = row.KeyName,
        MaskedValue = row.Item.Masked,
        Enabled = row.Item.Enabled,
        Source = row.Source,
        CreatedAt = row.CreatedAt,
        UpdatedAt = row.UpdatedAt,
        Warning = warning,
    };
}
