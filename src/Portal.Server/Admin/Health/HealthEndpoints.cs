using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Portal.Server.Admin.Keys;
using Portal.Server.Admin.Shared;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Health;

/// <summary><c>/admin/health</c>: the health of every platform, model and key, and resetting it.</summary>
internal static class HealthEndpoints
{
    private static readonly string[] Kinds = ["platform", "model", "key"];

    private static readonly string[] Statuses = ["unknown", "available", "warning", "unavailable"];

    public static void MapHealth(this RouteGroupBuilder admin)
    {
        admin.MapGet("/health", ListAsync)
            .WithName("AdminListHealth")
            .WithSummary("Lists the health of every stored platform, model and key (unknown when never used); ?kind= and ?status= filter.")
            .Produces<ListResponse<HealthResponse>>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest);

        admin.MapPost("/health/reset", ResetAsync)
            .WithName("AdminResetHealth")
            .WithSummary("Returns resources to unknown so they are tried again at once: all, one kind, or one resource (kind and id, in the query or a JSON body); then saves health.")
            .Accepts<HealthResetRequest>("application/json")
            .Produces<HealthResetResponse>()
            .ProducesAdminErrors(StatusCodes.Status400BadRequest, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ListAsync(HttpContext http, [FromServices] IConfigStore config, [FromServices] PortalGateway gateway)
    {
        AdminQuery.Allow(http.Request, "kind", "status");
        var kind = AdminQuery.OptionalChoice(http.Request, "kind", Kinds);
        var status = AdminQuery.OptionalChoice(http.Request, "status", Statuses);

        var items = new List<HealthResponse>();
        if (kind is null or "platform")
        {
            foreach (var row in await config.ListPlatformRowsAsync(http.RequestAborted))
            {
                items.Add(ToResponse(gateway.GetHealth(ResourceKind.Platform, row.Item.Id), "platform", null, row.Item.Name, row.Item.Enabled, row.Source));
            }
        }

        if (kind is null or "model")
        {
            foreach (var row in await config.ListModelRowsAsync(null, http.RequestAborted))
            {
                items.Add(ToResponse(gateway.GetHealth(ResourceKind.Model, row.Item.Id), "model", row.Item.PlatformId, row.Item.Name, row.Item.Enabled, row.Source));
            }
        }

        if (kind is null or "key")
        {
            foreach (var row in await config.ListApiKeyRowsAsync(null, http.RequestAborted))
            {
                items.Add(ToResponse(gateway.GetHealth(ResourceKind.ApiKey, row.Item.Id), "key", row.Item.PlatformId, row.Label(), row.Item.Enabled, row.Source));
            }
        }

        if (status is not null)
        {
            items.RemoveAll(i => i.Status != status);
        }

        return TypedResults.Json(new ListResponse<HealthResponse> { Data = items }, AdminJsonContext.Api.ListResponseHealthResponse);
    }

    private static async Task<IResult> ResetAsync(HttpContext http, [FromServices] IConfigStore config, [FromServices] PortalGateway gateway)
    {
        AdminQuery.Allow(http.Request, "kind", "id");
        var body = await AdminBody.ReadAsync(http.Request, AdminJsonContext.Api.HealthResetRequest, [], optional: true);
        var kindText = Merge(AdminQuery.Text(http.Request, "kind"), body?.Kind, "kind");
        var idText = AdminQuery.Text(http.Request, "id");
        var queryId = idText is null ? (long?)null : AdminQuery.Id(idText);
        if (body?.Id is <= 0)
        {
            throw AdminException.BadRequest("id", $"'id' must be a positive integer; it is {body.Id}.");
        }

        var id = Merge(queryId, body?.Id, "id");
        var kindName = kindText is null ? null : AdminQuery.Choice(kindText, "kind", Kinds);
        if (id is not null && kindName is null)
        {
            throw AdminException.BadRequest("kind", "'kind' is required with 'id' (ids are per kind): platform, model or key.", AdminErrorCodes.MissingValue);
        }

        ResourceKind? kind = kindName switch
        {
            "platform" => ResourceKind.Platform,
            "model" => ResourceKind.Model,
            "key" => ResourceKind.ApiKey,
            _ => null,
        };

        if (id is { } resourceId && !await ExistsAsync(config, kind!.Value, resourceId, http.RequestAborted))
        {
            return AdminResults.NotFound(kindName!, resourceId);
        }

        var reset = gateway.ResetHealth(kind, id);
        await gateway.SaveHealthAsync(http.RequestAborted);
        AdminLog.HealthReset(AdminLog.Get(http), reset, kindName ?? "all", id?.ToString(CultureInfo.InvariantCulture) ?? "all");
        return TypedResults.Json(new HealthResetResponse { Reset = reset }, AdminJsonContext.Api.HealthResetResponse);
    }

    private static T? Merge<T>(T? query, T? body, string name)
    {
        if (query is not null && body is not null && !EqualityComparer<T>.Default.Equals(query, body))
        {
            throw AdminException.BadRequest(name, $"'{name}' is given in the query and in the body with different values; give it once.");
        }

        return query ?? body;
    }

    private static async Task<bool> ExistsAsync(IConfigStore config, ResourceKind kind, long id, CancellationToken cancellationToken) => kind switch
    {
        ResourceKind.Platform => await config.GetPlatformRowAsync(id, cancellationToken) is not null,
        ResourceKind.Model => await config.GetModelRowAsync(id, cancellationToken) is not null,
        _ => await config.GetApiKeyRowAsync(id, cancellationToken) is not null,
    };

    private static HealthResponse ToResponse(HealthState state, string kind, long? platformId, string name, bool enabled, string source) => new()
    {
        Kind = kind,
        Id = state.ResourceId,
        PlatformId = platformId,
        Name = name,
        Enabled = enabled,
        Source = source,
        Status = state.Status switch
        {
            HealthStatus.Available => "available",
            HealthStatus.Warning => "warning",
            HealthStatus.Unavailable => "unavailable",
            _ => "unknown",
        },
        RetryCount = state.RetryCount,
        NextAvailableAt = state.NextAvailableAt,
        BackoffMs = state.BackoffDuration.TotalMilliseconds,
        LastError = state.LastError,
        LastErrorCode = state.LastErrorCode,
        LastCheckAt = state.LastCheckAt == default ? null : state.LastCheckAt,
        LastSuccessAt = state.LastSuccessAt,
        SuccessCount = state.SuccessCount,
        ErrorCount = state.ErrorCount,
    };
}
