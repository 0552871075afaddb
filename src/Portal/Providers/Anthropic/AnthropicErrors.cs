using System.Text.Json;

namespace Portal.Providers.Anthropic;

/// <summary>Anthropic's error types and the HTTP statuses they stand for, both ways.</summary>
/// <remarks>
/// Anthropic answers errors as <c>{"type":"error","error":{"type":"overloaded_error","message":"…"}}</c>, with the
/// status in the HTTP response; an <c>error</c> event inside a stream carries only the type, so the status is taken
/// from it.
/// </remarks>
internal static class AnthropicErrors
{
    /// <summary>The status an error type stands for: <c>overloaded_error</c> 529, <c>rate_limit_error</c> 429, and so on; <see langword="null"/> for an unknown type (the platform is then blamed, as for any failure without a status).</summary>
    public static int? StatusOf(string? type) => type switch
    {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "billing_error" => 402,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "api_error" => 500,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => null,
    };

    /// <summary>The error type Anthropic uses for a status, for errors Portal answers in Anthropic's shape.</summary>
    public static string TypeOf(int status) => status switch
    {
        400 or 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        503 or 529 => "overloaded_error",
        504 => "timeout_error",
        _ => "api_error",
    };

    /// <summary>An upstream error from Anthropic's error object (the value of <c>error</c>): its message scrubbed of the key, its type as the error code.</summary>
    /// <param name="error">The error object.</param>
    /// <param name="status">The HTTP status, or <see langword="null"/> for an error event inside a stream (the status then comes from the type).</param>
    /// <param name="key">The key the request was sent with.</param>
    /// <param name="retryAfter">The upstream's <c>retry-after</c>, when it sent one.</param>
    public static UpstreamException FromError(JsonElement error, int? status, string? key, TimeSpan? retryAfter)
    {
        string? type = null, message = null;
        if (error.ValueKind == JsonValueKind.Object)
        {
            type = error.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }

        var code = status ?? StatusOf(type);
        var text = SecretScrubber.Scrub(message, key);
        var safeType = SecretScrubber.Scrub(type, key);
        var described = (safeType, text) switch
        {
            (_, { Length: > 0 }) => text,
            ({ Length: > 0 }, _) => $"Upstream sent an error of type {safeType}.",
            _ => code is null ? "Upstream sent an error without a type." : $"Upstream returned an error (HTTP {code}).",
        };
        return new UpstreamException(UpstreamErrorKind.Http, described, code, safeType is { Length: > 0 } ? safeType : null, retryAfter);
    }

    /// <summary>Whether an error says the key's account cannot pay (a 400 "credit balance is too low", a <c>billing_error</c>): the key is blamed, not the client.</summary>
    public static bool IsBilling(UpstreamException error) =>
        error.ErrorCode == "billing_error"
        || (error.StatusCode == 400 && error.Message.Contains("credit balance", StringComparison.OrdinalIgnoreCase));
}
