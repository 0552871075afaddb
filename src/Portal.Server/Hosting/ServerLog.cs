namespace Portal.Server.Hosting;

/// <summary>The server's log messages (category <c>Portal.Server</c>, event ids 2000–2099). Never a token, key or content.</summary>
internal static partial class ServerLog
{
    /// <summary>The category of the server's logs.</summary>
    public const string Category = "Portal.Server";

    [LoggerMessage(2000, LogLevel.Information, "{Method} {Path} {Status} {DurationMs} ms")]
    public static partial void RequestCompleted(ILogger logger, string method, string path, int status, double durationMs);

    [LoggerMessage(2001, LogLevel.Information,
        "{Method} {Path} {Status} {DurationMs} ms model={Model} stream={Stream} outcome={Outcome} request={RequestId} platform={PlatformId} modelId={ModelId} key={ApiKeyId} attempts={Attempts} tokens={PromptTokens}/{CompletionTokens}")]
    public static partial void ChatRequestCompleted(ILogger logger, string method, string path, int status, double durationMs, string model, bool stream, string outcome, string? requestId,
        long? platformId, long? modelId, long? apiKeyId, int? attempts, int? promptTokens, int? completionTokens);

    [LoggerMessage(2002, LogLevel.Debug, "{Method} {Path} {Status} {DurationMs} ms")]
    public static partial void ProbeCompleted(ILogger logger, string method, string path, int status, double durationMs);

    [LoggerMessage(2003, LogLevel.Error, "{Method} {Path} failed with an unhandled exception")]
    public static partial void Unhandled(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(2010, LogLevel.Information, "Portal listening on {Addresses}; storage {Provider}; client API {ClientAuth}; admin API {AdminAuth}")]
    public static partial void Listening(ILogger logger, string addresses, string provider, string clientAuth, string adminAuth);

    [LoggerMessage(2011, LogLevel.Warning, "The client API needs no token because Portal:Auth:ClientTokens is empty; Portal listens on loopback only and answers local requests only")]
    public static partial void ClientApiOpen(ILogger logger);

    [LoggerMessage(2012, LogLevel.Warning, "The admin API is open without a token (development mode: no client tokens and no admin token); set Portal:Auth:AdminToken to protect it")]
    public static partial void AdminApiOpen(ILogger logger);

    [LoggerMessage(2013, LogLevel.Information, "The admin API is disabled because Portal:Auth:AdminToken is not set")]
    public static partial void AdminApiDisabled(ILogger logger);

    // 2014 was "refusing to start" (Critical); the refusal is now the start failure's one line, below.

    /// <summary>The exception that failed the start, with its stack trace; the command line prints its message as one line.</summary>
    [LoggerMessage(2015, LogLevel.Debug, "The server failed to start")]
    public static partial void StartFailed(ILogger logger, Exception exception);

    [LoggerMessage(2017, LogLevel.Information, "Browsers may call the client API from {Origins} (Portal:Cors:AllowedOrigins)")]
    public static partial void BrowsersAllowed(ILogger logger, string origins);

    [LoggerMessage(2018, LogLevel.Warning,
        "Portal:Cors:AllowedOrigins has no effect because Portal:Auth:ClientTokens is empty: without client tokens Portal answers only local requests and refuses those from other origins; set client tokens to serve browsers of the listed origins")]
    public static partial void CorsWithoutClientTokens(ILogger logger);

    [LoggerMessage(2020, LogLevel.Information, "Stopping: draining {InFlight} in-flight request(s) for up to {Timeout}")]
    public static partial void Draining(ILogger logger, int inFlight, TimeSpan timeout);

    [LoggerMessage(2021, LogLevel.Information, "Stopped: in-flight requests drained, stats and health written")]
    public static partial void Drained(ILogger logger);

    [LoggerMessage(2030, LogLevel.Warning, "Storage probe failed ({ErrorType}: {Error}); readiness fails after {Threshold} without a success")]
    public static partial void StorageProbeFailed(ILogger logger, string errorType, string error, TimeSpan threshold);

    [LoggerMessage(2031, LogLevel.Information, "Storage probe succeeded again after {Downtime}")]
    public static partial void StorageProbeRecovered(ILogger logger, TimeSpan downtime);
}
