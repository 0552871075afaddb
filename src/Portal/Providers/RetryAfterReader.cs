using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Portal.Diagnostics;

namespace Portal.Providers;

/// <summary>Reads how long an upstream asks to be left alone: <c>retry-after-ms</c> (OpenAI) or <c>Retry-After</c> (seconds or an HTTP date).</summary>
/// <remarks>
/// A value that is negative, unparsable or longer than <see cref="Absurd"/> is ignored (the normal backoff applies) and
/// logged at Warning once per platform: an upstream that answers <c>Retry-After: 2147483647</c> must not take itself out
/// until the year 2094. Values that pass are capped later, at <see cref="Health.BackoffOptions.MaxRetryAfter"/>, by the
/// gateway. Thread-safe.
/// </remarks>
internal sealed class RetryAfterReader(TimeProvider timeProvider, ILogger logger)
{
    /// <summary>Longer than this is no plausible wait: a bug or a hostile upstream.</summary>
    public static readonly TimeSpan Absurd = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<long, byte> _warned = new();

    /// <summary>The wait the response asks for, or <see langword="null"/> when it asks for none (or for one that makes no sense).</summary>
    /// <param name="headers">The upstream response's headers.</param>
    /// <param name="platformId">The platform that answered, for the warning.</param>
    public TimeSpan? Read(HttpResponseHeaders headers, long platformId)
    {
        if (headers.TryGetValues("retry-after-ms", out var msValues))
        {
            var text = msValues.FirstOrDefault() ?? "";
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0 && ms <= Absurd.TotalMilliseconds)
            {
                return TimeSpan.FromMilliseconds(ms);
            }

            Reject(platformId, "retry-after-ms", text);
            return null;
        }

        if (!headers.TryGetValues("Retry-After", out var values))
        {
            return null;
        }

        // HttpHeaders parses delta-seconds and HTTP dates; what it cannot parse leaves RetryAfter null.
        var header = headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - timeProvider.GetUtcNow() : null);
        if (wait is { } value && value <= Absurd)
        {
            // A date in the past means "now".
            return value < TimeSpan.Zero ? TimeSpan.Zero : value;
        }

        Reject(platformId, "Retry-After", string.Join(", ", values));
        return null;
    }

    private void Reject(long platformId, string header, string value)
    {
        if (_warned.TryAdd(platformId, 0))
        {
            Log.RetryAfterIgnored(logger, platformId, header, SecretScrubber.Scrub(value.Length <= 64 ? value : value[..64] + "…", secret: null), Absurd);
        }
    }
}
