using Portal.Relay;
using Portal.Relay.Internal;

namespace Portal.Server.Hosting;

/// <summary>What a handler tells the request log about its request.</summary>
internal sealed class RequestLogFeature
{
    /// <summary>The model asked for, once the body was parsed; marks the request as a chat request.</summary>
    public string? Model { get; set; }

    /// <summary>Whether a stream was asked for.</summary>
    public bool Stream { get; set; }

    /// <summary>The parsed request (any protocol): its id, and where its latest attempt ran when it did not succeed.</summary>
    public IRelayRequest? Request { get; set; }

    /// <summary>What served the request, when it succeeded.</summary>
    public ChatRelayResult? Result { get; set; }

    /// <summary>How the request ended: <c>ok</c>, an error code, or <c>client_closed</c>.</summary>
    public string Outcome { get; set; } = "ok";

    /// <summary>The status to log instead of the response's (499 when the client left).</summary>
    public int? Status { get; set; }
}

/// <summary>Writes one log line per request when it ends: method, path, status, duration and, for chat requests, what served it.</summary>
internal sealed class RequestLoggingMiddleware(RequestDelegate next, ILoggerFactory loggerFactory, TimeProvider time)
{
    /// <summary>The status logged for a request whose client disconnected (nginx's convention).</summary>
    public const int ClientClosedRequest = 499;

    private const int MaxLoggedLength = 200;

    private readonly ILogger _logger = loggerFactory.CreateLogger(ServerLog.Category);

    public async Task InvokeAsync(HttpContext context)
    {
        var start = time.GetTimestamp();
        var feature = new RequestLogFeature();
        context.Features.Set(feature);
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            Log(context, feature, failed, time.GetElapsedTime(start));
        }
    }

    private void Log(HttpContext context, RequestLogFeature feature, bool failed, TimeSpan elapsed)
    {
        var status = feature.Status
            ?? (failed ? StatusCodes.Status500InternalServerError
            : context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? ClientClosedRequest
            : context.Response.StatusCode);
        var method = context.Request.Method;
        var path = Clean(context.Request.Path.Value ?? "/");
        var durationMs = Math.Round(elapsed.TotalMilliseconds, 1);
        if (feature.Model is { } model)
        {
            // A request that failed, was cancelled or broke midway still names where its last attempt ran.
            var result = feature.Result ?? feature.Request?.LastAttempt;
            ServerLog.ChatRequestCompleted(_logger, method, path, status, durationMs, Clean(model), feature.Stream, feature.Outcome, feature.Request?.RequestId,
                result?.PlatformId, result?.ModelId, result?.ApiKeyId, result?.Attempts, result?.PromptTokens, result?.CompletionTokens);
        }
        else if (IsProbe(path))
        {
            ServerLog.ProbeCompleted(_logger, method, path, status, durationMs);
        }
        else
        {
            ServerLog.RequestCompleted(_logger, method, path, status, durationMs);
        }
    }

    private static bool IsProbe(string path) =>
        path.Equals("/healthz", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/readyz", StringComparison.OrdinalIgnoreCase)
        || path.Equals("/metrics", StringComparison.OrdinalIgnoreCase);

    /// <summary>Client-chosen text, cut short and without control characters, so it cannot forge or flood log lines.</summary>
    private static string Clean(string value)
    {
        if (value.Length <= MaxLoggedLength && !HasControl(value))
        {
            return value;
        }

        var cut = value.Length > MaxLoggedLength ? value[..MaxLoggedLength] + "…" : value;
        return string.Create(cut.Length, cut, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
            }
        });
    }

    /// <summary>Whether <paramref name="value"/> has a character <see cref="char.IsControl(char)"/> is true for (C0, DEL and C1), found with a vectorized search.</summary>
    private static bool HasControl(string value) =>
        value.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || value.AsSpan().ContainsAnyInRange('\u007f', '\u009f');
}
