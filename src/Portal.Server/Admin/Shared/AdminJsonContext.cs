using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Portal.Server.Admin.Health;
using Portal.Server.Admin.Keys;
using Portal.Server.Admin.Models;
using Portal.Server.Admin.Platforms;
using Portal.Server.Admin.Stats;

namespace Portal.Server.Admin.Shared;

/// <summary>
/// Source-generated JSON for the admin API: camelCase, property names matched exactly. Unknown request properties are
/// rejected before deserialization (<see cref="AdminBody"/>), with the property named.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PlatformWrite))]
[JsonSerializable(typeof(ModelWrite))]
[JsonSerializable(typeof(ApiKeyWrite))]
[JsonSerializable(typeof(HealthResetRequest))]
[JsonSerializable(typeof(PlatformResponse))]
[JsonSerializable(typeof(ModelResponse))]
[JsonSerializable(typeof(ApiKeyResponse))]
[JsonSerializable(typeof(DeletedResponse))]
[JsonSerializable(typeof(ListResponse<PlatformResponse>))]
[JsonSerializable(typeof(ListResponse<ModelResponse>))]
[JsonSerializable(typeof(ListResponse<ApiKeyResponse>))]
[JsonSerializable(typeof(ListResponse<HealthResponse>))]
[JsonSerializable(typeof(HealthResetResponse))]
[JsonSerializable(typeof(StatsPageResponse))]
[JsonSerializable(typeof(StatsCountResponse))]
[JsonSerializable(typeof(StatsSummaryResponse))]
[JsonSerializable(typeof(StatsSeriesResponse))]
internal sealed partial class AdminJsonContext : JsonSerializerContext
{
    private static AdminJsonContext? _api;

    /// <summary>
    /// The instance the admin API writes with: as <see cref="Default"/>, but text outside ASCII (the "…" of a masked key,
    /// names) is written as is instead of <c>\u</c>-escaped, so raw responses read as they mean. HTML-sensitive
    /// characters stay escaped.
    /// </summary>
    /// <remarks>Created on first use, not in a static initializer: the order of static initializers across the partial class's files is not defined.</remarks>
    public static AdminJsonContext Api => _api ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.Create(UnicodeRanges.All) });
}
