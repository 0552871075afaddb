using System.Text.Json.Serialization;

namespace Portal.Server.Operations;

/// <summary>Liveness and readiness for orchestrators and load balancers; both need no token.</summary>
internal static class OperationsApi
{
    private static readonly string[] GetOrHead = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>Maps <c>/healthz</c> (200 while the process serves requests) and <c>/readyz</c> (200, or 503 with the reason).</summary>
    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/healthz", GetOrHead, static () => Results.Json(new ProbeStatus { Status = "ok" }, OperationsJsonContext.Default.ProbeStatus))
            .WithName("Liveness")
            .WithSummary("Liveness: 200 while the server is alive")
            .WithTags("Operations")
            .Produces<ProbeStatus>();

        endpoints.MapMethods("/readyz", GetOrHead, static (ReadinessProbe probe) => probe.NotReadyReason() is { } reason
                ? Results.Json(new ProbeStatus { Status = "not_ready", Reason = reason }, OperationsJsonContext.Default.ProbeStatus, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(new ProbeStatus { Status = "ready" }, OperationsJsonContext.Default.ProbeStatus))
            .WithName("Readiness")
            .WithSummary("Readiness: 503 while shutting down or when storage has been unreachable too long")
            .WithTags("Operations")
            .Produces<ProbeStatus>()
            .Produces<ProbeStatus>(StatusCodes.Status503ServiceUnavailable);

        return endpoints;
    }
}

/// <summary>The body of <c>/healthz</c> and <c>/readyz</c>.</summary>
internal sealed class ProbeStatus
{
    /// <summary><c>ok</c>, <c>ready</c> or <c>not_ready</c>.</summary>
    public required string Status { get; init; }

    /// <summary>Why not ready: <c>shutting_down</c> or <c>storage_unavailable</c>.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Reason { get; init; }
}

/// <summary>JSON of the operations endpoints.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ProbeStatus))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
