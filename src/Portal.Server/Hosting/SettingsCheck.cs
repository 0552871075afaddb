using System.ComponentModel;
using System.Reflection;

namespace Portal.Server.Hosting;

/// <summary>A section of settings the server reads, or a single setting: its configuration path and the type it binds to.</summary>
/// <param name="Path">The configuration path, such as <c>Portal:Gateway</c> or <c>Portal:ConfigFile</c>.</param>
/// <param name="Type">The options class of a section (<c>GatewayOptions</c>), or the value's type for a single setting (<see cref="string"/>).</param>
internal sealed record SettingsSection(string Path, Type Type)
{
    /// <summary>The path's parts: <c>["Portal", "Gateway"]</c>.</summary>
    public string[] Segments { get; } = Path.Split(':');
}

/// <summary>
/// Checks every setting under the server's sections (<c>Portal:*</c>) before the host is built: a key no options class
/// has fails with the closest known one (<c>unknown setting Portal:Gateway:MaxAttempt; did you mean
/// Portal:Gateway:MaxAttempts?</c>), and a value that does not convert fails naming the setting, durations with the
/// forms <see cref="DurationText"/> accepts.
/// </summary>
/// <remarks>
/// The known keys come from the options types: every <see cref="SettingsSection"/> registered in the services (one per
/// <c>AddSettings</c> line in <see cref="ServerServices.AddPortalSettings"/>), their public properties, and the elements
/// of collection properties (<c>Portal:Auth:ClientTokens:0</c>). Ranges and other rules stay with each options class's own validation.
/// </remarks>
internal static class SettingsCheck
{
    /// <summary>Checks the settings against the sections registered in <paramref name="services"/>.</summary>
    /// <exception cref="InvalidOperationException">A setting is unknown or invalid; the message has one line per problem.</exception>
    public static void ThrowIfInvalid(IConfiguration configuration, IServiceCollection services)
    {
        var problems = Check(configuration, services);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }
    }

    /// <summary>Every problem with the settings, against the sections registered in <paramref name="services"/>.</summary>
    public static IReadOnlyList<string> Check(IConfiguration configuration, IServiceCollection services) =>
        Check(configuration, [.. services.Where(d => d.ServiceType == typeof(SettingsSection)).Select(d => d.ImplementationInstance).OfType<SettingsSection>()]);

    /// <summary>Every problem with the settings under <paramref name="sections"/>' top-level keys, in key order.</summary>
    internal static IReadOnlyList<string> Check(IConfiguration configuration, IReadOnlyList<SettingsSection> sections)
    {
        var problems = new List<string>();
        foreach (var root in sections.Select(s => s.Segments[0]).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            var settings = configuration.GetSection(root).AsEnumerable()
                .Where(setting => setting.Value is not null)
                .OrderBy(setting => setting.Key, StringComparer.OrdinalIgnoreCase);
            foreach (var (path, value) in settings)
            {
                if (CheckSetting(path, value!, sections) is { } problem)
                {
                    problems.Add(problem);
                }
            }
        }

        return problems;
    }

    private static string? CheckSetting(string path, string value, IReadOnlyList<SettingsSection> sections)
    {
        var segments = path.Split(':');
        var guessed = false;
        var section = sections.FirstOrDefault(s => StartsWith(segments, s.Segments, s.Segments.Length));
        if (section is null)
        {
            // A misspelt section: compare the part that differs with the sections' names under the same parent.
            section = sections
                .Where(s => s.Segments.Length <= segments.Length && StartsWith(segments, s.Segments, s.Segments.Length - 1))
                .Select(s => (Section: s, Distance: Spelling.CloseDistance(segments[s.Segments.Length - 1], s.Segments[^1])))
                .Where(c => c.Distance is not null)
                .OrderBy(c => c.Distance)
                .Select(c => c.Section)
                .FirstOrDefault();
            if (section is null)
            {
                var siblings = sections.Where(s => StartsWith(s.Segments, segments, 1)).Select(s => s.Segments[1]).Distinct(StringComparer.OrdinalIgnoreCase);
                return Unknown(path, null, segments[0], siblings);
            }

            guessed = true;
        }

        var corrected = new List<string>(section.Segments);
        var type = section.Type;
        for (var i = section.Segments.Length; i < segments.Length; i++)
        {
            if (IsValue(type))
            {
                // Below a single value, such as Portal:ConfigFile:x.
                return Unknown(path, guessed ? Join(corrected) : null, null, []);
            }

            if (ElementType(type) is { } element)
            {
                // An index of a list (Portal:Auth:ClientTokens:0) or a key of a dictionary.
                corrected.Add(segments[i]);
                type = element;
                continue;
            }

            var properties = Properties(type);
            var property = properties.FirstOrDefault(p => string.Equals(p.Name, segments[i], StringComparison.OrdinalIgnoreCase));
            if (property is null)
            {
                property = Spelling.Closest(segments[i], properties, p => p.Name);
                if (property is null)
                {
                    return Unknown(path, guessed ? Join(corrected) : null, Join(corrected), properties.Select(p => p.Name));
                }

                guessed = true;
            }

            corrected.Add(property.Name);
            type = property.PropertyType;
        }

        if (guessed)
        {
            return Unknown(path, Join(corrected), null, []);
        }

        return IsValue(type) && value.Length > 0 ? CheckValue(path, value, type) : null;
    }

    private static string Unknown(string path, string? suggestion, string? parent, IEnumerable<string> known)
    {
        if (suggestion is not null)
        {
            return $"unknown setting {path}; did you mean {suggestion}?";
        }

        var names = string.Join(", ", known);
        return parent is null || names.Length == 0 ? $"unknown setting {path}" : $"unknown setting {path}; {parent} has {names}";
    }

    private static string? CheckValue(string path, string value, Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return null;
        }

        if (type == typeof(TimeSpan))
        {
            return DurationText.TryParse(value, out _) ? null : $"{path}: {DurationText.NotADuration(value)}";
        }

        try
        {
            // What the configuration binder does with the value.
            TypeDescriptor.GetConverter(type).ConvertFromInvariantString(value);
            return null;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or NotSupportedException or OverflowException)
        {
            return $"{path}: '{value}' is not {Describe(type)}";
        }
    }

    private static string Describe(Type type) =>
        type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type))
        : type == typeof(bool) ? "true or false"
        : type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(uint) || type == typeof(ulong) ? "a whole number"
        : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
        : "a valid " + type.Name;

    /// <summary>Whether a type is one value (string, number, duration), not a section or a list.</summary>
    private static bool IsValue(Type type) => TypeDescriptor.GetConverter(Nullable.GetUnderlyingType(type) ?? type).CanConvertFrom(typeof(string));

    /// <summary>The element type of an array, list or dictionary (its value type); <see langword="null"/> for anything else.</summary>
    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        if (enumerable is null)
        {
            return null;
        }

        var element = enumerable.GetGenericArguments()[0];
        return element.IsGenericType && element.GetGenericTypeDefinition() == typeof(KeyValuePair<,>) ? element.GetGenericArguments()[1] : element;
    }

    /// <summary>The properties the binder fills: public with a public setter, or collections it adds to.</summary>
    private static List<PropertyInfo> Properties(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod is { IsPublic: true } || ElementType(p.PropertyType) is not null))];

    private static bool StartsWith(string[] segments, string[] prefix, int count) =>
        segments.Length >= count && prefix.Length >= count
        && segments.AsSpan(0, count).SequenceEqual(prefix.AsSpan(0, count), StringComparer.OrdinalIgnoreCase);

    private static string Join(IEnumerable<string> segments) => string.Join(':', segments);
}
