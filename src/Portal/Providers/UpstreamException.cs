using System.Net.Sockets;

namespace Portal.Providers;

/// <summary>What went wrong in an upstream call.</summary>
public enum UpstreamErrorKind
{
    /// <summary>The connection could not be made or was lost (refused, reset, DNS failure, TLS failure).</summary>
    Connection = 0,

    /// <summary>The upstream did not answer in time.</summary>
    Timeout = 1,

    /// <summary>The upstream answered with an error status, or with an error body.</summary>
    Http = 2,

    /// <summary>The upstream's answer could not be understood (malformed JSON or event stream, a stream cut short).</summary>
    Protocol = 3,
}

/// <summary>An upstream call failed. Thrown by provider adapters; the gateway classifies it to decide whom to blame and whether to fail over.</summary>
/// <remarks>The message never contains an API key: adapters scrub upstream error text before putting it here.</remarks>
public sealed class UpstreamException : Exception
{
    /// <summary>Creates an upstream failure.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">A description safe to log and return to clients.</param>
    /// <param name="statusCode">The upstream HTTP status, when a response arrived.</param>
    /// <param name="errorCode">The upstream's error code (for example <c>model_not_found</c>), when it sent one.</param>
    /// <param name="retryAfter">How long the upstream asked us to wait, from <c>Retry-After</c>.</param>
    /// <param name="innerException">The underlying exception.</param>
    public UpstreamException(UpstreamErrorKind kind, string message, int? statusCode = null, string? errorCode = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        ErrorCode = errorCode;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates an upstream failure of kind <see cref="UpstreamErrorKind.Protocol"/>.</summary>
    public UpstreamException()
        : this(UpstreamErrorKind.Protocol, "Upstream call failed.")
    {
    }

    /// <summary>Creates an upstream failure of kind <see cref="UpstreamErrorKind.Protocol"/>.</summary>
    /// <param name="message">A description safe to log.</param>
    public UpstreamException(string message)
        : this(UpstreamErrorKind.Protocol, message)
    {
    }

    /// <summary>Creates an upstream failure of kind <see cref="UpstreamErrorKind.Protocol"/>.</summary>
    /// <param name="message">A description safe to log.</param>
    /// <param name="innerException">The underlying exception.</param>
    public UpstreamException(string message, Exception innerException)
        : this(UpstreamErrorKind.Protocol, message, innerException: innerException)
    {
    }

    /// <summary>What went wrong.</summary>
    public UpstreamErrorKind Kind { get; }

    /// <summary>The upstream HTTP status, when a response arrived.</summary>
    public int? StatusCode { get; }

    /// <summary>The upstream's error code, when it sent one.</summary>
    public string? ErrorCode { get; }

    /// <summary>How long the upstream asked us to wait.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Describes a failed HTTP call in words safe to log (no URL, no headers).</summary>
    internal static string Describe(HttpRequestException e)
    {
        var socket = e.InnerException as SocketException ?? e.InnerException?.InnerException as SocketException;
        return e.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => "Upstream host name could not be resolved.",
            HttpRequestError.ConnectionError when socket?.SocketErrorCode == SocketError.ConnectionRefused => "Upstream refused the connection.",
            HttpRequestError.ConnectionError => socket is null ? "Upstream connection failed." : $"Upstream connection failed: {socket.SocketErrorCode}.",
            HttpRequestError.SecureConnectionError => "Upstream TLS handshake failed.",
            HttpRequestError.ResponseEnded => "Upstream closed the connection before the response was complete.",
            HttpRequestError.InvalidResponse => "Upstream sent an invalid HTTP response.",
            _ => e.StatusCode is { } code ? $"Upstream request failed with HTTP {(int)code}." : "Upstream request failed.",
        };
    }
}
