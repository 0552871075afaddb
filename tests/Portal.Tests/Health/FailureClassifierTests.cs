using System.Net;
using System.Net.Sockets;
using Portal.Health;
using Portal.Providers;

namespace Portal.Tests.Health;

public sealed class FailureClassifierTests
{
    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public void Classify_AuthenticationStatus_BlamesKeyAndRetries(int status)
    {
        var verdict = FailureClassifier.Classify(Http(status, "Incorrect API key provided."));

        Assert.Equal(Blame.ApiKey, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.UpstreamFailed, verdict.Code);
        Assert.Equal(status, verdict.StatusCode);
        Assert.Equal("Incorrect API key provided.", verdict.Message);
    }

    [Fact]
    public void Classify_NotFound_BlamesModel()
    {
        var verdict = FailureClassifier.Classify(Http(404, "Not found."));

        Assert.Equal(Blame.Model, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(404, verdict.StatusCode);
    }

    [Fact]
    public void Classify_BadRequestWithModelNotFoundCode_BlamesModel()
    {
        var verdict = FailureClassifier.Classify(Http(400, "Something went wrong.", errorCode: "model_not_found"));

        Assert.Equal(Blame.Model, verdict.Blame);
        Assert.True(verdict.Retryable);
    }

    [Theory]
    [InlineData(400, "The model `gpt-x` does not exist")]
    [InlineData(400, "The model `gpt-x` does not exist or you do not have access to it.")]
    [InlineData(422, "Unknown model: gpt-x")]
    [InlineData(400, "Model gpt-x not found")]
    public void Classify_BadRequestSayingModelMissing_BlamesModel(int status, string message)
    {
        var verdict = FailureClassifier.Classify(Http(status, message));

        Assert.Equal(Blame.Model, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.UpstreamFailed, verdict.Code);
    }

    [Fact]
    public void Classify_TooManyRequests_BlamesKeyWithRetryAfter()
    {
        var verdict = FailureClassifier.Classify(Http(429, "Rate limit reached.", retryAfter: TimeSpan.FromSeconds(20)));

        Assert.Equal(Blame.ApiKey, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(TimeSpan.FromSeconds(20), verdict.RetryAfter);
        Assert.Equal(429, verdict.StatusCode);
    }

    [Fact]
    public void Classify_RequestTimeoutStatus_BlamesPlatformAsTimeout()
    {
        var verdict = FailureClassifier.Classify(Http(408, "Request timeout."));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.Timeout, verdict.Code);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public void Classify_ServerError_BlamesPlatformAndRetries(int status)
    {
        var verdict = FailureClassifier.Classify(Http(status, "Server error."));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.UpstreamFailed, verdict.Code);
        Assert.Equal(status, verdict.StatusCode);
    }

    [Fact]
    public void Classify_ServiceUnavailableWithRetryAfter_KeepsRetryAfter()
    {
        var verdict = FailureClassifier.Classify(Http(503, "Overloaded.", retryAfter: TimeSpan.FromSeconds(7)));

        Assert.Equal(TimeSpan.FromSeconds(7), verdict.RetryAfter);
    }

    [Theory]
    [InlineData(400, "Invalid value for 'temperature'.")]
    [InlineData(422, "messages must not be empty")]
    [InlineData(413, "Request too large.")]
    public void Classify_OtherClientError_BlamesNobodyAndDoesNotRetry(int status, string message)
    {
        var verdict = FailureClassifier.Classify(Http(status, message));

        Assert.Equal(Blame.None, verdict.Blame);
        Assert.False(verdict.Retryable);
        Assert.Equal(PortalErrorCode.InvalidRequest, verdict.Code);
        Assert.Equal(status, verdict.StatusCode);
        Assert.Equal(message, verdict.Message);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(null)]
    public void Classify_ErrorBodyWithoutErrorStatus_BlamesPlatform(int? status)
    {
        var verdict = FailureClassifier.Classify(new UpstreamException(UpstreamErrorKind.Http, "error in body", status));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
    }

    [Theory]
    [InlineData(UpstreamErrorKind.Connection, PortalErrorCode.UpstreamFailed)]
    [InlineData(UpstreamErrorKind.Timeout, PortalErrorCode.Timeout)]
    [InlineData(UpstreamErrorKind.Protocol, PortalErrorCode.UpstreamFailed)]
    public void Classify_TransportKind_BlamesPlatformAndRetries(UpstreamErrorKind kind, PortalErrorCode code)
    {
        // Even a status and text that would otherwise blame the key or the model: the kind decides.
        var verdict = FailureClassifier.Classify(new UpstreamException(kind, "The model does not exist", 401));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(code, verdict.Code);
    }

    [Fact]
    public void Classify_HttpRequestException_BlamesPlatformWithSafeMessage()
    {
        var exception = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (secret.example:443)", new SocketException((int)SocketError.ConnectionRefused));

        var verdict = FailureClassifier.Classify(exception);

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.UpstreamFailed, verdict.Code);
        Assert.Equal("Upstream refused the connection.", verdict.Message);
    }

    [Fact]
    public void Classify_HttpRequestExceptionWithStatus_KeepsStatus()
    {
        var verdict = FailureClassifier.Classify(new HttpRequestException("bad gateway", null, HttpStatusCode.BadGateway));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.Equal(502, verdict.StatusCode);
    }

    [Fact]
    public void Classify_IOException_BlamesPlatform()
    {
        var verdict = FailureClassifier.Classify(new IOException("cut", new SocketException((int)SocketError.ConnectionReset)));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.UpstreamFailed, verdict.Code);
        Assert.Contains("ConnectionReset", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_IOExceptionWithoutSocketError_SaysBodyWasCut()
    {
        var verdict = FailureClassifier.Classify(new IOException("The response ended prematurely."));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.Contains("cut short", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_OperationCanceledException_BlamesPlatformAsTimeout()
    {
        var verdict = FailureClassifier.Classify(new OperationCanceledException());

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
        Assert.Equal(PortalErrorCode.Timeout, verdict.Code);
    }

    [Fact]
    public void Classify_TaskCanceledOrTimeoutException_BlamesPlatformAsTimeout()
    {
        Assert.Equal(PortalErrorCode.Timeout, FailureClassifier.Classify(new TaskCanceledException()).Code);
        Assert.Equal(Blame.Platform, FailureClassifier.Classify(new TimeoutException()).Blame);
        Assert.Equal(PortalErrorCode.Timeout, FailureClassifier.Classify(new TimeoutException()).Code);
    }

    [Fact]
    public void Classify_UnknownException_IsTheGatewaysFaultBlamesNobodyAndHidesItsMessage()
    {
        // Only the exchange with the upstream can blame an upstream: anything else is a bug (or an adapter breaking its
        // contract), and failing over or backing off a healthy platform would turn one bad request into an outage.
        var exception = new InvalidOperationException("sk-secret in message");

        var verdict = FailureClassifier.Classify(exception);

        Assert.Equal(Blame.None, verdict.Blame);
        Assert.False(verdict.Retryable);
        Assert.Equal(PortalErrorCode.InternalError, verdict.Code);
        Assert.Same(exception, verdict.Fault);
        Assert.DoesNotContain("sk-secret", verdict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_PortalExceptionFromAnAdapter_IsTheClientsRequestNoBlameNoFailover()
    {
        var verdict = FailureClassifier.Classify(new PortalException(PortalErrorCode.InvalidRequest, "tools[0] is not a function"));

        Assert.Equal(Blame.None, verdict.Blame);
        Assert.False(verdict.Retryable);
        Assert.Equal(PortalErrorCode.InvalidRequest, verdict.Code);
        Assert.Null(verdict.Fault);
    }

    [Fact]
    public void Classify_CorruptCompressedBody_BlamesPlatformAndFailsOver()
    {
        var verdict = FailureClassifier.Classify(new InvalidDataException("bad gzip"));

        Assert.Equal(Blame.Platform, verdict.Blame);
        Assert.True(verdict.Retryable);
    }

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, true, "connection refused")]
    [InlineData(HttpRequestError.NameResolutionError, false, "DNS failure")]
    [InlineData(HttpRequestError.SecureConnectionError, false, "TLS failure")]
    public void Classify_ConnectionFailureWithoutStatus_SummarySaysWhatHappened(HttpRequestError error, bool refused, string summary)
    {
        var inner = refused ? new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused) : null;
        var http = new HttpRequestException(error, "failed", inner);

        var direct = FailureClassifier.Classify(http);
        var wrapped = FailureClassifier.Classify(new UpstreamException(UpstreamErrorKind.Connection, UpstreamException.Describe(http), innerException: http));

        Assert.Equal(summary, direct.Summary);
        Assert.Equal(summary, wrapped.Summary);
    }

    [Fact]
    public void Summary_WithStatus_NamesTheStatus()
    {
        var verdict = FailureClassifier.Classify(new UpstreamException(UpstreamErrorKind.Http, "overloaded", 503));

        Assert.Equal("HTTP 503", verdict.Summary);
    }

    [Theory]
    [InlineData(401, "The model `gpt-x` does not exist")]
    [InlineData(500, "The model `gpt-x` does not exist")]
    [InlineData(400, "Invalid image URL: not found")]
    public void IsModelMissing_StatusOrTextNotAboutModel_False(int status, string message)
    {
        Assert.False(FailureClassifier.IsModelMissing(Http(status, message)));
    }

    private static UpstreamException Http(int status, string message, string? errorCode = null, TimeSpan? retryAfter = null) =>
        new(UpstreamErrorKind.Http, message, status, errorCode, retryAfter);
}
