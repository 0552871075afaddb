using System.Text.Json.Serialization.Metadata;
using Portal.Storage;
using Portal.Storage.Configuration;

namespace Portal.Server.Admin.Shared;

/// <summary>
/// How the admin API answers for one kind of configuration row (platform, model or key): its reads, and the outcome of
/// each config store write as a response, with the audit log line. The endpoints only read the request and call the store.
/// </summary>
/// <typeparam name="T"><see cref="Platform"/>, <see cref="Model"/> or <see cref="ApiKey"/>.</typeparam>
/// <typeparam name="TResponse">The row's wire type.</typeparam>
/// <param name="kind"><c>platform</c>, <c>model</c> or <c>key</c>: the word in messages and in <see cref="DeletedResponse.Object"/>.</param>
/// <param name="path">The collection's path, for <c>Location</c>.</param>
/// <param name="conflictParam">The field a conflict is reported on.</param>
/// <param name="idOf">A row's id.</param>
/// <param name="name">How a row is named in the audit log (never a key value).</param>
/// <param name="toResponse">The row, with a warning or none, as its wire type.</param>
/// <param name="json">The wire type's JSON metadata.</param>
/// <param name="listJson">The list's JSON metadata.</param>
/// <param name="ownsRows">Whether a delete reports the models and keys deleted with the row (platforms).</param>
internal sealed class AdminResource<T, TResponse>(
    string kind,
    string path,
    string conflictParam,
    Func<T, long> idOf,
    Func<StoredRow<T>, string> name,
    Func<StoredRow<T>, string?, TResponse> toResponse,
    JsonTypeInfo<TResponse> json,
    JsonTypeInfo<ListResponse<TResponse>> listJson,
    bool ownsRows = false)
    where T : class
{
    /// <summary>200 with the rows.</summary>
    public IResult List(IReadOnlyList<StoredRow<T>> rows) =>
        TypedResults.Json(new ListResponse<TResponse> { Data = [.. rows.Select(r => toResponse(r, null))] }, listJson);

    /// <summary>200 with the row, or 404 when there is none.</summary>
    public IResult Found(StoredRow<T>? row, long id) => row is null ? NotFound(id) : TypedResults.Json(toResponse(row, null), json);

    /// <summary>404: no row has the id.</summary>
    public IResult NotFound(long id) => AdminResults.NotFound(kind, id);

    /// <summary>201 with the created row and its <c>Location</c>, or the refusal.</summary>
    public IResult Created(HttpContext http, ConfigWriteResult<StoredRow<T>> result)
    {
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, new AdminWrite(kind, 0, conflictParam));
        }

        var row = result.Value;
        var id = idOf(row.Item);
        AdminLog.Created(AdminLog.Get(http), kind, id, name(row));
        http.Response.Headers.Location = $"{path}/{id}";
        return TypedResults.Json(toResponse(row, null), json, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>200 with the changed row (and a warning when it is the config file's), or the refusal.</summary>
    public IResult Updated(HttpContext http, long id, ConfigWriteResult<StoredRow<T>> result)
    {
        var write = new AdminWrite(kind, id, conflictParam);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, write);
        }

        var warning = AdminResults.Warning(http, result.Value.Source, write);
        AdminLog.Updated(AdminLog.Get(http), kind, id, name(result.Value));
        return TypedResults.Json(toResponse(result.Value, warning), json);
    }

    /// <summary>200 when a change leaves the row as it is: nothing is written, nothing is refused.</summary>
    public IResult Unchanged(StoredRow<T> row) => TypedResults.Json(toResponse(row, null), json);

    /// <summary>200 with what was deleted (and a warning when it was the config file's), or the refusal.</summary>
    public IResult Deleted(HttpContext http, long id, ConfigWriteResult<DeletedRow<T>> result)
    {
        var write = new AdminWrite(kind, id, conflictParam, Delete: true);
        if (!result.Succeeded)
        {
            return AdminResults.Refused(result.Error, write);
        }

        var (row, models, keys) = result.Value;
        var warning = AdminResults.Warning(http, row.Source, write);
        AdminLog.Deleted(AdminLog.Get(http), kind, id, name(row), models, keys);
        return TypedResults.Json(
            new DeletedResponse
            {
                Id = id,
                Object = kind,
                Deleted = true,
                DeletedModels = ownsRows ? models : null,
                DeletedKeys = ownsRows ? keys : null,
                Warning = warning,
            },
            AdminJsonContext.Api.DeletedResponse);
    }
}
