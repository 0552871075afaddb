using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Portal.Storage.Internal;

/// <summary>
/// Binds a configuration section to an options object as <see cref="ConfigurationBinder"/> does, except that
/// <see cref="TimeSpan"/> settings also take the short forms of <see cref="DurationText"/> (<c>30s</c>, <c>5m</c>, ...).
/// </summary>
/// <remarks>
/// The server binds its own sections through this too (it sees the internals), so every duration setting of the
/// process reads the same forms. The binder's own converter knows only <c>hh:mm:ss</c>, and it takes no converter per
/// property; so each duration is parsed here and handed to the binder in that form, over the section's other values.
/// </remarks>
internal static class SettingsBinding
{
    /// <summary>Binds <paramref name="section"/> to <paramref name="options"/>.</summary>
    /// <exception cref="InvalidOperationException">A duration setting is not a duration; the message names it and lists the accepted forms.</exception>
    public static void Bind(IConfigurationSection section, object options)
    {
        Dictionary<string, string?>? durations = null;
        foreach (var property in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if ((Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType) != typeof(TimeSpan)
                || section[property.Name] is not { Length: > 0 } text)
            {
                continue;
            }

            if (!DurationText.TryParse(text, out var duration))
            {
                throw new InvalidOperationException($"{section.Path}:{property.Name}: {DurationText.NotADuration(text)}");
            }

            (durations ??= new(StringComparer.OrdinalIgnoreCase))[property.Name] = duration.ToString("c", CultureInfo.InvariantCulture);
        }

        IConfiguration source = durations is null
            ? section
            : new ConfigurationBuilder().AddConfiguration(section, shouldDisposeConfiguration: false).AddInMemoryCollection(durations).Build();
        source.Bind(options);
    }
}
