using Microsoft.Extensions.Options;

namespace Portal.Server.Hosting;

/// <summary>Validates options with their own <c>Validate</c> method, whose messages name the setting.</summary>
internal sealed class OptionsValidator<TOptions>(Func<TOptions, IEnumerable<string>> validate) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var failures = validate(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
