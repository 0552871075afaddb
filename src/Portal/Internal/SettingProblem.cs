using System.Globalization;
using Microsoft.Extensions.Options;

namespace Portal.Internal;

/// <summary>One invalid setting, found by an options validator.</summary>
/// <param name="Setting">The setting's name as the caller knows it: <c>Backoff.MaxDelay</c> in the library, <c>Portal:Health:MaxDelay</c> in the server.</param>
/// <param name="Message">A sentence that names the setting, its value and what it must be.</param>
internal readonly record struct SettingProblem(string Setting, string Message)
{
    /// <summary>A problem with <paramref name="setting"/>: the message is the setting's name followed by <paramref name="rule"/>.</summary>
    public static SettingProblem Of(string setting, FormattableString rule) =>
        new(setting, setting + " " + rule.ToString(CultureInfo.InvariantCulture));
}

/// <summary>Turns the problems an options validator found into what its caller expects.</summary>
internal static class SettingProblems
{
    /// <summary>The result of an <see cref="IValidateOptions{TOptions}"/>: one failure per problem.</summary>
    public static ValidateOptionsResult ToResult(IEnumerable<SettingProblem> problems)
    {
        var messages = problems.Select(p => p.Message).ToList();
        return messages.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(messages);
    }

    /// <summary>Throws when there is any problem: the library's way to reject settings, without dependency injection.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names every invalid one, the parameter name the first.</exception>
    public static void ThrowIfAny(IEnumerable<SettingProblem> problems)
    {
        var found = problems.ToList();
        if (found.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", found.Select(p => p.Message)), found[0].Setting);
        }
    }
}
