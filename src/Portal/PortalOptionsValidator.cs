using Portal.Health;
using Portal.Internal;
using Portal.Stats;

namespace Portal;

/// <summary>
/// The validation of <see cref="PortalOptions"/>: the services it must have and <see cref="PortalOptions.ShutdownTimeout"/>,
/// then each settings type by its own validator, named as the library's callers write them (<c>MaxAttempts</c>,
/// <c>Backoff.MaxDelay</c>, <c>Stats.BatchSize</c>).
/// </summary>
/// <remarks>
/// The server validates the three settings types on their own, as options bound from their sections, and then creates
/// the gateway, which runs this too.
/// </remarks>
internal static class PortalOptionsValidator
{
    private static readonly GatewayOptionsValidator Gateway = new("");
    private static readonly BackoffOptionsValidator Backoff = new(nameof(PortalOptions.Backoff) + ".");
    private static readonly StatsOptionsValidator Stats = new(nameof(PortalOptions.Stats) + ".");

    /// <summary>Rejects invalid options as <see cref="PortalGateway.Create(PortalOptions)"/> documents.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public static void ThrowIfInvalid(PortalOptions options) => SettingProblems.ThrowIfAny(Problems(options));

    private static IEnumerable<SettingProblem> Problems(PortalOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var missing = new (string Name, object? Value)[]
        {
            (nameof(options.Repository), options.Repository),
            (nameof(options.TimeProvider), options.TimeProvider),
            (nameof(options.Random), options.Random),
            (nameof(options.Gateway), options.Gateway),
            (nameof(options.Backoff), options.Backoff),
            (nameof(options.Stats), options.Stats),
        }.Where(service => service.Value is null).Select(service => SettingProblem.Of(service.Name, $"must be set.")).ToList();
        if (missing.Count > 0)
        {
            // The checks below need these.
            return missing;
        }

        IEnumerable<SettingProblem> shutdown = options.ShutdownTimeout < TimeSpan.Zero && options.ShutdownTimeout != Timeout.InfiniteTimeSpan
            ? [SettingProblem.Of(nameof(options.ShutdownTimeout), $"must not be negative (it is {options.ShutdownTimeout}).")]
            : [];
        return shutdown
            .Concat(Gateway.Problems(options.Gateway))
            .Concat(Backoff.Problems(options.Backoff))
            .Concat(Stats.Problems(options.Stats));
    }
}
