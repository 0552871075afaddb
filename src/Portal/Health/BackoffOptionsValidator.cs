using Microsoft.Extensions.Options;
using Portal.Internal;

namespace Portal.Health;

/// <summary>The one validation of <see cref="BackoffOptions"/>, for the library and the server alike.</summary>
/// <param name="prefix">Put before each property's name in messages: <c>Backoff.</c> in the library, <c>Portal:Health:</c> in the server.</param>
internal sealed class BackoffOptionsValidator(string prefix) : IValidateOptions<BackoffOptions>
{
    public ValidateOptionsResult Validate(string? name, BackoffOptions options) => SettingProblems.ToResult(Problems(options));

    public IEnumerable<SettingProblem> Problems(BackoffOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.InitialDelay <= TimeSpan.Zero)
        {
            yield return SettingProblem.Of(prefix + nameof(options.InitialDelay), $"must be positive (it is {options.InitialDelay}).");
        }

        if (!(options.Multiplier >= 1.0) || double.IsInfinity(options.Multiplier))
        {
            yield return SettingProblem.Of(prefix + nameof(options.Multiplier), $"must be a finite number of at least 1 (it is {options.Multiplier}).");
        }

        if (options.MaxDelay < options.InitialDelay)
        {
            yield return SettingProblem.Of(
                prefix + nameof(options.MaxDelay),
                $"must be at least {prefix}{nameof(options.InitialDelay)} (it is {options.MaxDelay}, {prefix}{nameof(options.InitialDelay)} is {options.InitialDelay}).");
        }

        if (!(options.Jitter >= 0.0 && options.Jitter <= 1.0))
        {
            yield return SettingProblem.Of(prefix + nameof(options.Jitter), $"must be between 0 and 1 (it is {options.Jitter}).");
        }

        if (options.MaxRetryAfter < TimeSpan.Zero || options.MaxRetryAfter > BackoffOptions.MaxRetryAfterLimit)
        {
            yield return SettingProblem.Of(prefix + nameof(options.MaxRetryAfter), $"must be between 0 and 1 day (it is {options.MaxRetryAfter}).");
        }
    }
}
