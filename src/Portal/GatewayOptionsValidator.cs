using Microsoft.Extensions.Options;
using Portal.Internal;
using Portal.Selection;

namespace Portal;

/// <summary>The one validation of <see cref="GatewayOptions"/>, for the library and the server alike.</summary>
/// <param name="prefix">Put before each property's name in messages: empty in the library, <c>Portal:Gateway:</c> in the server.</param>
/// <remarks>Whether <see cref="GatewayOptions.SelectorStrategy"/> names a registered selector is checked when the gateway is created, which knows them.</remarks>
internal sealed class GatewayOptionsValidator(string prefix) : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options) => SettingProblems.ToResult(Problems(options));

    public IEnumerable<SettingProblem> Problems(GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxAttempts < 1)
        {
            yield return SettingProblem.Of(prefix + nameof(options.MaxAttempts), $"must be at least 1 (it is {options.MaxAttempts}).");
        }

        foreach (var (property, value) in new[]
        {
            (nameof(options.AttemptTimeout), options.AttemptTimeout),
            (nameof(options.RequestTimeout), options.RequestTimeout),
            (nameof(options.ConnectTimeout), options.ConnectTimeout),
            (nameof(options.HealthSyncInterval), options.HealthSyncInterval),
        })
        {
            if (!IsPositive(value))
            {
                yield return SettingProblem.Of(prefix + property, $"must be positive (it is {value}).");
            }
        }

        // A finite attempt timeout longer than the request's could never fire: the request's deadline would cut the attempt
        // first, and report it as the request's timeout. (Infinite means no limit of the attempt's own, which is meant.)
        if (options.AttemptTimeout > TimeSpan.Zero && options.RequestTimeout > TimeSpan.Zero && options.AttemptTimeout > options.RequestTimeout)
        {
            yield return SettingProblem.Of(
                prefix + nameof(options.AttemptTimeout),
                $"must not be longer than {prefix}{nameof(options.RequestTimeout)} (it is {options.AttemptTimeout}, {prefix}{nameof(options.RequestTimeout)} is {options.RequestTimeout}).");
        }

        if (string.IsNullOrWhiteSpace(options.SelectorStrategy))
        {
            yield return SettingProblem.Of(
                prefix + nameof(options.SelectorStrategy),
                $"must name a strategy, such as {SelectorStrategies.Random} or {SelectorStrategies.Lru}.");
        }
    }

    /// <summary>Positive or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    private static bool IsPositive(TimeSpan value) => value > TimeSpan.Zero || value == Timeout.InfiniteTimeSpan;
}
