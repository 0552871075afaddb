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
    /// <remarks>The formats are the config file's (<see cref="ConfigFormats.Known"/>) and those of the adapters registered in DI (<see cref="KnownFormats"/>).</remarks>
    public static string Format(string? value, HttpContext context)
    {
        const string param = "format";
        if (string.IsNullOrWhiteSpace(value))
        {
            throw AdminException.BadRequest(param, $"'{param}' is required and may not be empty.", value is null ? AdminErrorCodes.MissingValue : AdminErrorCodes.InvalidValue);
        }

        var known = KnownFormats(context);
        return known.FirstOrDefault(f => string.Equals(f, value, StringComparison.OrdinalIgnoreCase))
            ?? throw AdminException.BadRequest(param, $"Unknown format '{ClientText.Echo(value)}'; expected one of: {string.Join(", ", known)}.");
    }

    /// <summary>A base URL that suits the format: the config file's rule (<see cref="ConfigFormats.IsBaseUrl"/>), and at most 2,000 characters.</summary>
    public static string BaseUrl(string? value, string format)
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

        if (!ConfigFormats.IsBaseUrl(format, value))
        {
            throw AdminException.BadRequest(param, $"'{param}' must be an absolute {ConfigFormats.BaseUrlSchemes(format)} URL; it is '{ClientText.Echo(value)}'.");
        }

        return value;
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

    /// <summary>The formats a platform may have: the config file's, then those of the adapters registered in DI.</summary>
    private static List<string> KnownFormats(HttpContext context)
    {
        var formats = new List<string>(ConfigFormats.Known);
        foreach (var adapter in context.RequestServices.GetServices<IProviderAdapter>())
        {
            if (!formats.Contains(adapter.Format, StringComparer.OrdinalIgnoreCase))
            {
                formats.Add(adapter.Format);
            }
        }

        return formats;
    }
}
