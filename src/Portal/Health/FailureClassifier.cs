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
internal readonly record struct FailureVerdict(Blame Blame, bool Retryable, PortalErrorCode Code, int? StatusCode, TimeSpan? RetryAfter, string Message, bool Cancelled = false)
{
    /// <summary>A cancellation: nobody is blamed and nothing is retried.</summary>
    public static FailureVerdict Cancellation(PortalErrorCode code, string message) => new(Blame.None, false, code, null, null, message, Cancelled: true);
}

/// <summary>Decides from an attempt's exception which resource failed and whether another channel should be tried.</summary>
internal static class FailureClassifier
{
    /// <summary>Classifies an exception thrown by an upstream attempt that was not cancelled by the caller, the deadline or shutdown.</summary>
    public static FailureVerdict Classify(Exception exception)
    {
        switch (exception)
        {
            case UpstreamException upstream:
                return ClassifyUpstream(upstream);
            case HttpRequestException http:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, (int?)http.StatusCode, null, UpstreamException.Describe(http));
            case IOException io:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, null, null, "Upstream connection failed: " + DescribeIo(io));
            case OperationCanceledException or TimeoutException:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.Timeout, null, null, "Upstream did not answer in time.");
            default:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, null, null, "Upstream call failed: " + exception.GetType().Name);
        }
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
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, null, e.Message);
            case UpstreamErrorKind.Timeout:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.Timeout, status, null, e.Message);
            case UpstreamErrorKind.Protocol:
                return new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, null, e.Message);
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
            _ => new FailureVerdict(Blame.Platform, true, PortalErrorCode.UpstreamFailed, status, null, e.Message),
        };
    }

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
