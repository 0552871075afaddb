using Microsoft.Extensions.Options;
using Portal.Internal;

namespace Portal.Stats;

/// <summary>The one validation of <see cref="StatsOptions"/>, for the library and the server alike.</summary>
/// <param name="prefix">Put before each property's name in messages: <c>Stats.</c> in the library, <c>Portal:Stats:</c> in the server.</param>
internal sealed class StatsOptionsValidator(string prefix) : IValidateOptions<StatsOptions>
{
    /// <summary>The longest <see cref="StatsOptions.BatchDelay"/>: stats must not wait longer than this to be written.</summary>
    private static readonly TimeSpan MaxBatchDelay = TimeSpan.FromMinutes(1);

    public ValidateOptionsResult Validate(string? name, StatsOptions options) => SettingProblems.ToResult(Problems(options));

    public IEnumerable<SettingProblem> Problems(StatsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.QueueCapacity < 1)
        {
            yield return SettingProblem.Of(prefix + nameof(options.QueueCapacity), $"must be at least 1 (it is {options.QueueCapacity}).");
        }

        if (options.BatchSize < 1)
        {
            yield return SettingProblem.Of(prefix + nameof(options.BatchSize), $"must be at least 1 (it is {options.BatchSize}).");
        }

        if (options.BatchDelay < TimeSpan.Zero || options.BatchDelay > MaxBatchDelay)
        {
            yield return SettingProblem.Of(prefix + nameof(options.BatchDelay), $"must be between 0 and 1 minute (it is {options.BatchDelay}).");
        }

        if (options.MaxRetryDelay <= TimeSpan.Zero)
        {
            yield return SettingProblem.Of(prefix + nameof(options.MaxRetryDelay), $"must be positive (it is {options.MaxRetryDelay}).");
        }

        if (options.FlushTimeout < TimeSpan.Zero)
        {
            yield return SettingProblem.Of(prefix + nameof(options.FlushTimeout), $"must not be negative (it is {options.FlushTimeout}).");
        }
    }
}
