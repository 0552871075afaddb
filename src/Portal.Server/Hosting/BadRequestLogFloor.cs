namespace Portal.Server.Hosting;

/// <summary>
/// Keeps Kestrel's bad-request log category at Information or above whatever the configured levels: its Debug records
/// quote a malformed request as received, <c>Authorization</c> header and client token included.
/// </summary>
/// <remarks>
/// Of the filter rules that match a category, a rule for one provider beats a rule for every provider, then the longer
/// category name wins, then the later rule. Lowering <c>Default</c>, <c>Microsoft.AspNetCore</c> or this category itself,
/// for every provider or for one (<c>Logging:Console:LogLevel:...</c>), from any configuration source, is therefore
/// overridden by what <see cref="Apply"/> adds after every other configuration: one rule for every provider and one
/// for each provider named by a rule, each at the level the existing rules give, raised to Information.
/// </remarks>
internal static class BadRequestLogFloor
{
    /// <summary>The category whose Debug records carry raw request data.</summary>
    public const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

    /// <summary>The lowest level the category may log at.</summary>
    public const LogLevel Floor = LogLevel.Information;

    // The longest name a rule matching the category can have (one wildcard, matching nothing), so no rule is more
    // specific than the ones added here; it matches no other category Kestrel logs to.
    private const string RuleCategory = Category + "*";

    /// <summary>Adds the rules; meant for <c>PostConfigure&lt;LoggerFilterOptions&gt;</c>.</summary>
    public static void Apply(LoggerFilterOptions options)
    {
        // Every level is computed from the rules as configured, before any rule is added.
        var providers = options.Rules.Select(r => r.ProviderName).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var added = new List<LoggerFilterRule> { new(null, RuleCategory, Raise(Configured(options, null)), null) };
        added.AddRange(providers.Select(p => new LoggerFilterRule(p, RuleCategory, Raise(Configured(options, p)), null)));
        foreach (var rule in added)
        {
            options.Rules.Add(rule);
        }
    }

    private static LogLevel Raise(LogLevel level) => level < Floor ? Floor : level;

    /// <summary>The level the rules give the category for <paramref name="provider"/> (all providers when null).</summary>
    private static LogLevel Configured(LoggerFilterOptions options, string? provider)
    {
        LoggerFilterRule? best = null;
        foreach (var rule in options.Rules)
        {
            if (IsBetter(rule, best, provider))
            {
                best = rule;
            }
        }

        // A rule without a level leaves the decision to its filter function, which may let every level through.
        return best is null ? options.MinLevel : best.LogLevel ?? LogLevel.Trace;
    }

    // The selection Microsoft.Extensions.Logging applies (LoggerRuleSelector, which is internal).
    private static bool IsBetter(LoggerFilterRule rule, LoggerFilterRule? current, string? provider)
    {
        if (rule.ProviderName is not null && !string.Equals(rule.ProviderName, provider, StringComparison.Ordinal))
        {
            return false;
        }

        if (rule.CategoryName is { } name)
        {
            var wildcard = name.IndexOf('*', StringComparison.Ordinal);
            var prefix = wildcard < 0 ? name : name[..wildcard];
            var suffix = wildcard < 0 ? "" : name[(wildcard + 1)..];
            if (!Category.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || !Category.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        if (current?.ProviderName is not null)
        {
            if (rule.ProviderName is null)
            {
                return false;
            }
        }
        else if (rule.ProviderName is not null)
        {
            return true;
        }

        if (current?.CategoryName is { } currentName)
        {
            if (rule.CategoryName is null || currentName.Length > rule.CategoryName.Length)
            {
                return false;
            }
        }

        return true;
    }
}
