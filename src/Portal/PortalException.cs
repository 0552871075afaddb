namespace Portal;

/// <summary>Why the gateway could not serve a request.</summary>
public enum PortalErrorCode
{
    /// <summary>No model has the requested name or alias.</summary>
    ModelNotFound = 0,

    /// <summary>The model exists but no channel for it is usable now (all disabled or backing off).</summary>
    NoAvailableChannel = 1,

    /// <summary>Every attempt failed upstream; <see cref="PortalException.StatusCode"/> holds the last upstream status.</summary>
    UpstreamFailed = 2,

    /// <summary>The request is invalid, as decided by the gateway or by the upstream (a 4xx caused by the request itself).</summary>
    InvalidRequest = 3,

    /// <summary>The request's deadline passed.</summary>
    Timeout = 4,

    /// <summary>The gateway is shutting down and takes no new requests, or cancelled this one at the end of its drain timeout.</summary>
    ShuttingDown = 5,

    /// <summary>
    /// The gateway itself failed (a bug, or a custom adapter that threw something other than an
    /// <see cref="Providers.UpstreamException"/>); no upstream resource was blamed and no other channel was tried.
    /// </summary>
    InternalError = 6,
}

/// <summary>The gateway could not serve a request.</summary>
/// <remarks>The message never contains an API key.</remarks>
public sealed class PortalException : Exception
{
    /// <summary>Creates an exception with a code and a message.</summary>
    /// <param name="code">Why the request failed.</param>
    /// <param name="message">A description safe to show a client.</param>
    /// <param name="statusCode">The upstream HTTP status, when there was one.</param>
    /// <param name="retryAfter">How long the caller should wait before retrying, when known.</param>
    /// <param name="innerException">The underlying failure.</param>
    public PortalException(PortalErrorCode code, string message, int? statusCode = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an exception with code <see cref="PortalErrorCode.UpstreamFailed"/>.</summary>
    public PortalException()
        : this(PortalErrorCode.UpstreamFailed, "The request failed.")
    {
    }

    /// <summary>Creates an exception with code <see cref="PortalErrorCode.UpstreamFailed"/>.</summary>
    /// <param name="message">A description safe to show a client.</param>
    public PortalException(string message)
        : this(PortalErrorCode.UpstreamFailed, message)
    {
    }

    /// <summary>Creates an exception with code <see cref="PortalErrorCode.UpstreamFailed"/>.</summary>
    /// <param name="message">A description safe to show a client.</param>
    /// <param name="innerException">The underlying failure.</param>
    public PortalException(string message, Exception innerException)
        : this(PortalErrorCode.UpstreamFailed, message, innerException: innerException)
    {
    }

    /// <summary>Why the request failed.</summary>
    public PortalErrorCode Code { get; }

    /// <summary>The upstream HTTP status of the last attempt, when a response arrived.</summary>
    public int? StatusCode { get; }

    /// <summary>How long the caller should wait before retrying (for example when every key is rate limited), when known.</summary>
    public TimeSpan? RetryAfter { get; }
}
