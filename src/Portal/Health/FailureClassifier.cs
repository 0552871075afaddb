using System.Net.Sockets;
using Portal.Providers;

namespace Portal.Health;

/// <summary>Which resource a failure belongs to.</summary>
internal enum Blame
{
    /// <summary>Nobody: the request itself was bad, or the caller cancelled.</summary>
    None = 0,
    Platform = 1,
    ApiKey = 2,
    Model = 3,
}

/// <summary>The verdict on one failed attempt.</summary>
/// <param name="Blame">The resource that failed.</param>
/// <param name="Retryable">Whether another channel should be tried.</param>
/// <param name="Code">The error code the caller gets if this is the final failure.</param>
/// <param name="StatusCode">The upstream HTTP status, when a response arrived.</param>
/// <param name="RetryAfter">How long the upstream asked to wait.</param>
/// <param name="Message">What went wrong, safe to log and return.</param>
/// <param name="Cancelled">The attempt was cancelled (by the caller or by shutdown) rather than failed by the upstream.</param>
/// <param name="What">What happened, in a few words, when there is no HTTP status to say it (<c>connection refused</c>, <c>timeout</c>).</param>
/// <param name="Fault">An exception that is the gateway's own fault (a bug, or an adapter breaking its contract), logged with its stack trace.</param>
internal readonly record struct FailureVerdict(
    Blame Blame, bool Retryable, PortalErrorCode Code, int? StatusCode, TimeSpan? RetryAfter, string Message, bool Cancelled = false, string? What = null, Exception? Fault = null)
{
    /// <summary>What happened, for a log line: the HTTP status when there was one, else <see cref="What"/>.</summary>
    public string Summary => StatusCode is { } status
        ? "HTTP " + status.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : What ?? (Cancelled ? "cancelled" : "no response");

    /// <summary>A cancellation: nobody is blamed and nothing is retried.</summary>
    public static FailureVerdict Cancellation(PortalErrorCode code, string message) => new(Blame.None, false, code, null, null, message, Cancelled: true, What: "cancelled");
}

/// <summary>Decides from an attempt's exception which resource failed and whether another channel should be tried.</summary>
internal static class FailureClassifier
{
    /// <summary>Classifies an exception thrown by an upstream attempt that was not cancelled by the caller, the deadline or shutdown.</summary>
    /// <remarks>
    /// Only what happens in the exchange with the upstream blames an upstream resource: an <see cref="UpstreamException"/>,
    /// a failed HTTP call, a lost connection, a timeout, a body that cannot be decompressed. A <see cref="PortalException"/>
    /// from an adapter is its verdict on the client's request (no blame, no failover). Anything else is the gateway's own
    /// fault (a bug, or an adapter breaking its contract): a 500 that blames nobody and is not retried, since another
    /// channel would fail the same way and backing off a healthy platform would turn one bad request into an outage.
    /// </remarks>
    /// <param name="exception">What the attempt threw.</param>
    /// <param name="adapter">The adapter of the attempt's format, whose <see cref="IProviderAdapter.ClassifyError"/> is asked first; <see langword="null"/> for the general rules only.</param>
    public static FailureVerdict Classify(Exception exception, IProviderAdapter? adapter = null)
    {
        switch (exception)
        {
            case UpstreamException upstream:
                return adapter?.ClassifyError(upstream) is { } decided ? FromAdapter(upstream, decided) : ClassifyUpstream(upstream);
            case HttpRequestException http:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, (int?)http.StatusCode, null, UpstreamException.Describe(http), What: Short(http));
            case IOException io:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, null, null, "Upstream connection failed: " + DescribeIo(io), What: "connection lost");
            case InvalidDataException:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, null, null, "Upstream sent a compressed body that could not be decompressed.", What: "invalid response");
            case OperationCanceledException or TimeoutException:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.Timeout, null, null, "Upstream did not answer in time.", What: "timeout");
            case PortalException portal:
                return new FailureVerdict(Blame.None, false, portal.Code, portal.StatusCode, portal.RetryAfter, portal.Message, What: "rejected by the gateway");
            default:
                return new FailureVerdict(Blame.None, false, PortalErrorCode.InternalError, null, null,
                    "The gateway failed to handle the request; no upstream was blamed.", What: "gateway error", Fault: exception);
        }
    }

    /// <summary>A format's own decision about one of its errors.</summary>
    private static FailureVerdict FromAdapter(UpstreamException e, UpstreamErrorVerdict decided)
    {
        var blame = decided.Blame switch
        {
            UpstreamBlame.Platform => Blame.Platform,
            UpstreamBlame.Model => Blame.Model,
            UpstreamBlame.ApiKey => Blame.ApiKey,
            _ => Blame.None,
        };
        var code = blame == Blame.None ? PortalErrorCode.InvalidRequest : e.Kind == UpstreamErrorKind.Timeout ? PortalErrorCode.Timeout : PortalErrorCode.UpstreamFailed;
        return new FailureVerdict(blame, decided.Failover, code, e.StatusCode, blame == Blame.None ? null : e.RetryAfter, e.Message);
    }

    private static FailureVerdict ClassifyUpstream(UpstreamException e)
    {
        // A broken or unreadable body after a 2xx status is no HTTP error: do not report that status as one.
        var status = e.Kind is UpstreamErrorKind.Connection or UpstreamErrorKind.Protocol && e.StatusCode is >= 200 and < 300
            ? null
            : e.StatusCode;
        switch (e.Kind)
        {
            case UpstreamErrorKind.Connection:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, null, e.Message,
                    What: FindInner<HttpRequestException>(e) is { } http ? Short(http) : "connection lost");
            case UpstreamErrorKind.Timeout:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.Timeout, status, null, e.Message, What: "timeout");
            case UpstreamErrorKind.Protocol:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, null, e.Message, What: "invalid response");
        }

        if (IsModelMissing(e))
        {
            return new FailureVerdict(Blame.Model, true, PortalErrorCode.UpstreamFailed, status, null, e.Message);
        }

        return status switch
        {
            401 or 403 => new FailureVerdict(Blame.ApiKey, true, PortalErrorCode.UpstreamFailed, status, null, e.Message),
            404 => new FailureVerdict(Blame.Model, true, PortalErrorCode.UpstreamFailed, status, null, e.Message),
            429 => new FailureVerdict(Blame.ApiKey, true, PortalErrorCode.UpstreamFailed, status, e.RetryAfter, e.Message),
            408 => new FailureVerdict(Blame.Platform, true, PortalErrorCode.Timeout, status, null, e.Message),
            >= 500 => new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, e.RetryAfter, e.Message),
            >= 400 => new FailureVerdict(Blame.None, false, PortalErrorCode.InvalidRequest, status, null, e.Message),

            // An error body with a 2xx status (or no status): the platform misbehaved.
            _ => new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, null, e.Message, What: "error in a success response"),
        };
    }

    /// <summary>A failed HTTP call in a few words.</summary>
    private static string Short(HttpRequestException e) => e.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "DNS failure",
        HttpRequestError.ConnectionError when FindInner<System.Net.Sockets.SocketException>(e)?.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
        HttpRequestError.ConnectionError => "connection failed",
        HttpRequestError.SecureConnectionError => "TLS failure",
        HttpRequestError.ResponseEnded => "connection closed early",
        HttpRequestError.InvalidResponse => "invalid HTTP response",
        _ => "HTTP request failed",
    };

    /// <summary>A 404, or an error whose code or text says the model does not exist, blames the model.</summary>
    internal static bool IsModelMissing(UpstreamException e)
    {
        if (string.Equals(e.ErrorCode, "model_not_found", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (e.StatusCode is not (400 or 404 or 422) || e.Message is not { } message)
        {
            return false;
        }

        return message.Contains("model", StringComparison.OrdinalIgnoreCase)
            && (message.Contains("does not exist", StringComparison.OrdinalIgnoreCase)
                || message.Contains("not found", StringComparison.OrdinalIgnoreCase)
                || message.Contains("not exist", StringComparison.OrdinalIgnoreCase)
                || message.Contains("unknown model", StringComparison.OrdinalIgnoreCase)
                || message.Contains("no such model", StringComparison.OrdinalIgnoreCase));
    }

    private static string DescribeIo(IOException e) =>
        FindInner<SocketException>(e) is { } socket ? socket.SocketErrorCode.ToString() : "the response body was cut short";

    private static T? FindInner<T>(Exception e)
        where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }
}
