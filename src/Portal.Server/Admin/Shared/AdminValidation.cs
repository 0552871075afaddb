using Portal.Providers;
using Portal.Server.Admin.Platforms;
using Portal.Server.Errors;
using Portal.Storage.Configuration;
using Portal.Storage.Configuration.Internal;

namespace Portal.Server.Admin.Shared;

/// <summary>Field rules of the admin API; they match the config file's, so a row valid here is valid there.</summary>
internal static class AdminValidation
{
    public const int MaxNameLength = 200;
    public const int MaxUrlLength = 2000;
    public const int MaxKeyLength = 4000;

    /// <summary>A name or alias: not empty, no surrounding spaces, at most 200 characters.</summary>
    public static string Name(string? value, string param)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AdminException.BadRequest(param, $"'{param}' is required and may not be empty.", value is null ? AdminErrorCodes.MissingValue : AdminErrorCodes.InvalidValue);
        }

        if (value.Trim().Length != value.Length)
        {
            throw AdminException.BadRequest(param, $"'{param}' may not start or end with white space.");
        }

        return value.Length <= MaxNameLength
            ? value
            : throw AdminException.BadRequest(param, $"'{param}' is longer than {MaxNameLength} characters.");
    }

    /// <summary>A platform format the gateway has an adapter for (ignoring case); returns its canonical spelling.</summary>
    public static string Format(string? value, ProviderCatalog formats)
    {
        const string param = "format";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AdminException.BadRequest(param, $"'{param}' is required and may not be empty.", value is null ? AdminErrorCodes.MissingValue : AdminErrorCodes.InvalidValue);
        }

        return formats.Canonical(value)
            ?? throw AdminException.BadRequest(param, $"Unknown format '{ClientText.Echo(value)}'; expected one of: {formats.Describe()}.");
    }

    /// <summary>A base URL that suits the format (its adapter's rule, as in the config file), and at most 2,000 characters.</summary>
    public static string BaseUrl(string? value, string format, ProviderCatalog formats)
    {
        const string param = "baseUrl";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AdminException.BadRequest(param, $"'{param}' is required and may not be empty.", value is null ? AdminErrorCodes.MissingValue : AdminErrorCodes.InvalidValue);
        }

        if (value.Length > MaxUrlLength)
        {
            throw AdminException.BadRequest(param, $"'{param}' is longer than {MaxUrlLength} characters.");
        }

        if (formats.CheckBaseUrl(format, value) is { } problem)
        {
            throw AdminException.BadRequest(param, $"'{param}' {problem}; it is '{ClientText.Echo(value)}'.");
        }

        return value;
    }

    /// <summary>An API version (the config file's rule): null or empty for the format's default, else at most 100 characters, no control characters, no surrounding white space.</summary>
    public static string? ApiVersion(string? value)
    {
        const string param = "apiVersion";
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        return PlatformRules.ApiVersionProblem(value) is { } problem
            ? throw AdminException.BadRequest(param, $"'{param}' {problem}.")
            : value;
    }

    /// <summary>A default <c>max_tokens</c>: null for the default (4096), else at least 1.</summary>
    public static int? DefaultMaxTokens(int? value)
    {
        const string param = "defaultMaxTokens";
        return PlatformRules.IsValidDefaultMaxTokens(value)
            ? value
            : throw AdminException.BadRequest(param, $"'{param}' must be at least 1 (or null for the default, 4096); it is {value}.");
    }

    /// <summary>A rate limit: each of rpm and tpm absent or at least 1.</summary>
    public static RateLimit RateLimit(RateLimitBody? body)
    {
        if (body is null)
        {
            return new RateLimit();
        }

        if (body.Rpm is < 1)
        {
            throw AdminException.BadRequest("rateLimit.rpm", $"'rateLimit.rpm' must be at least 1 (or null for no limit); it is {body.Rpm}.");
        }

        if (body.Tpm is < 1)
        {
            throw AdminException.BadRequest("rateLimit.tpm", $"'rateLimit.tpm' must be at least 1 (or null for no limit); it is {body.Tpm}.");
        }

        return new RateLimit { Rpm = body.Rpm, Tpm = body.Tpm };
    }

    /// <summary>A key value: not empty, no white space, not a masked value sent back, at most 4,000 characters. The value never appears in a message.</summary>
    public static string KeyValue(string? value)
    {
        const string param = "value";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AdminException.BadRequest(param, $"'{param}' is required and may not be empty.", value is null ? AdminErrorCodes.MissingValue : AdminErrorCodes.InvalidValue);
        }

        if (value.Any(char.IsWhiteSpace))
        {
            throw AdminException.BadRequest(param, $"'{param}' may not contain white space.");
        }

        if (value.Contains('…', StringComparison.Ordinal))
        {
            throw AdminException.BadRequest(param, $"'{param}' looks like a masked key ('…'); send the full key, or leave '{param}' out to keep the current one.");
        }

        return value.Length <= MaxKeyLength
            ? value
            : throw AdminException.BadRequest(param, $"'{param}' is longer than {MaxKeyLength} characters.");
    }

    /// <summary>A positive platform id that exists.</summary>
    public static async Task<long> PlatformIdAsync(long? value, IConfigStore config, CancellationToken cancellationToken)
    {
        const string param = "platformId";
        if (value is not { } id)
        {
            throw AdminException.BadRequest(param, $"'{param}' is required.", AdminErrorCodes.MissingValue);
        }

        if (id <= 0 || await config.GetPlatformRowAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            throw AdminException.BadRequest(param, $"'{param}' names no platform: there is none with id {id}.");
        }

        return id;
    }
}
