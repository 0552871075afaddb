using System.Globalization;
using System.Text.Json;
using Portal.Providers;

namespace Portal.Storage.Configuration.Internal;

/// <summary>Walks a parsed configuration file, validating as it goes, so every problem is reported with its exact JSON path.</summary>
/// <remarks>
/// A walk over <see cref="JsonDocument"/> rather than deserialization into DTOs: a serializer reports type errors with
/// its own wording and path, and cannot say which of two duplicate names came first. The first problem found wins.
/// </remarks>
internal sealed class ConfigReader
{
    // Match the column lengths in PortalDbContext, so a valid file always fits the database.
    internal const int MaxNameLength = 200;
    internal const int MaxUrlLength = 2000;
    internal const int MaxKeyLength = 4000;

    private const string EnvPrefix = "env:";

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly string _filePath;
    private readonly Func<string, string?> _environment;
    private readonly ProviderCatalog _formats;

    private ConfigReader(string filePath, Func<string, string?> environment, ProviderCatalog formats)
    {
        _filePath = filePath;
        _environment = environment;
        _formats = formats;
    }

    /// <summary>Parses and validates a configuration file.</summary>
    /// <exception cref="PortalConfigException">The file is invalid.</exception>
    public static PortalConfigFile Read(string json, string filePath, Func<string, string?> environment, ProviderCatalog formats)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new PortalConfigException(filePath, "$", "the file is empty; expected an object with \"platforms\"");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new PortalConfigException(filePath, "$", DescribeSyntaxError(ex), ex);
        }

        using (document)
        {
            return new ConfigReader(filePath, environment, formats).ReadFile(document.RootElement);
        }
    }

    private PortalConfigFile ReadFile(JsonElement element)
    {
        const string path = "$";
        var properties = ReadObject(element, path, "platforms");
        if (!properties.TryGetValue("platforms", out var platformsElement))
        {
            throw Fail(path, Missing("platforms"));
        }

        var platformsPath = Child(path, "platforms");
        var platforms = new List<PlatformConfig>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in ReadArray(platformsElement, platformsPath))
        {
            var platformPath = Index(platformsPath, index++);
            var platform = ReadPlatform(item, platformPath);
            if (!names.TryAdd(platform.Name, platformPath))
            {
                throw Fail(Child(platformPath, "name"), $"duplicate platform name \"{platform.Name}\" (already used at {names[platform.Name]})");
            }

            platforms.Add(platform);
        }

        return new PortalConfigFile(_filePath, platforms);
    }

    private PlatformConfig ReadPlatform(JsonElement element, string path)
    {
        var properties = ReadObject(element, path, "name", "format", "baseUrl", "apiVersion", "defaultMaxTokens", "enabled", "rateLimit", "models", "keys");
        var name = RequiredString(properties, "name", path, MaxNameLength);

        var formatPath = Child(path, "format");
        var format = RequiredString(properties, "format", path, MaxNameLength);
        var canonicalFormat = _formats.Canonical(format)
            ?? throw Fail(formatPath, $"unknown format \"{format}\"; expected one of: {_formats.Describe()}");

        var baseUrl = RequiredString(properties, "baseUrl", path, MaxUrlLength);
        if (_formats.CheckBaseUrl(canonicalFormat, baseUrl) is { } problem)
        {
            throw Fail(Child(path, "baseUrl"), $"\"{baseUrl}\" {problem}");
        }

        var apiVersion = OptionalString(properties, "apiVersion", path, PlatformRules.MaxApiVersionLength);
        if (apiVersion is not null && PlatformRules.ApiVersionProblem(apiVersion) is { } versionProblem)
        {
            throw Fail(Child(path, "apiVersion"), versionProblem);
        }

        var defaultMaxTokens = OptionalPositiveInt(properties, "defaultMaxTokens", path, "omit it for the default, 4096");
        var enabled = OptionalBoolean(properties, "enabled", path, defaultValue: true);
        var rateLimit = ReadRateLimit(properties, path);

        var models = new List<ModelConfig>();
        if (OptionalArray(properties, "models", path) is { } modelsElement)
        {
            var modelsPath = Child(path, "models");
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in modelsElement.EnumerateArray())
            {
                var modelPath = Index(modelsPath, index++);
                var model = ReadModel(item, modelPath);
                if (!names.TryAdd(model.Name, modelPath))
                {
                    var namePath = item.ValueKind == JsonValueKind.Object ? Child(modelPath, "name") : modelPath;
                    throw Fail(namePath, $"duplicate model name \"{model.Name}\" in platform \"{name}\" (already used at {names[model.Name]})");
                }

                models.Add(model);
            }
        }

        var keys = new List<KeyConfig>();
        if (OptionalArray(properties, "keys", path) is { } keysElement)
        {
            var keysPath = Child(path, "keys");
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var item in keysElement.EnumerateArray())
            {
                var keyPath = Index(keysPath, index++);
                var key = ReadKey(item, keyPath);
                if (key.Name is { } keyName && !names.TryAdd(keyName, keyPath))
                {
                    throw Fail(Child(keyPath, "name"), $"duplicate key name \"{keyName}\" in platform \"{name}\" (already used at {names[keyName]})");
                }

                // The value itself never goes into a message.
                if (!values.TryAdd(key.Value, keyPath))
                {
                    throw Fail(keyPath, $"duplicate key: the same value as {values[key.Value]} in platform \"{name}\"");
                }

                keys.Add(key);
            }
        }

        return new PlatformConfig(name, canonicalFormat, baseUrl, apiVersion, defaultMaxTokens, enabled, rateLimit, models, keys);
    }

    private RateLimit ReadRateLimit(Dictionary<string, JsonElement> platform, string platformPath)
    {
        if (!platform.TryGetValue("rateLimit", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return new RateLimit();
        }

        var path = Child(platformPath, "rateLimit");
        var properties = ReadObject(element, path, "rpm", "tpm");
        return new RateLimit
        {
            Rpm = OptionalPositiveInt(properties, "rpm", path, "omit it for no limit"),
            Tpm = OptionalPositiveInt(properties, "tpm", path, "omit it for no limit"),
        };
    }

    private ModelConfig ReadModel(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return new ModelConfig(CheckString(element.GetString()!, path, MaxNameLength), alias: null, enabled: true);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"must be a model name (string) or an object, not {Describe(element)}");
        }

        var properties = ReadObject(element, path, "name", "alias", "enabled");
        var name = RequiredString(properties, "name", path, MaxNameLength);
        var alias = OptionalString(properties, "alias", path, MaxNameLength);
        var enabled = OptionalBoolean(properties, "enabled", path, defaultValue: true);
        return new ModelConfig(name, alias, enabled);
    }

    private KeyConfig ReadKey(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            var (value, variable) = ResolveKeyValue(element.GetString()!, path);
            return new KeyConfig(name: null, value, enabled: true, variable);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"must be a key value (string) or an object, not {Describe(element)}");
        }

        var properties = ReadObject(element, path, "name", "value", "enabled");
        var name = OptionalString(properties, "name", path, MaxNameLength);
        if (!properties.TryGetValue("value", out var valueElement))
        {
            throw Fail(path, Missing("value"));
        }

        var valuePath = Child(path, "value");
        if (valueElement.ValueKind != JsonValueKind.String)
        {
            throw Fail(valuePath, $"must be a string, not {Describe(valueElement)}");
        }

        var (resolved, environmentVariable) = ResolveKeyValue(valueElement.GetString()!, valuePath);
        var enabled = OptionalBoolean(properties, "enabled", path, defaultValue: true);
        return new KeyConfig(name, resolved, enabled, environmentVariable);
    }

    /// <summary>Returns the key value, read from the environment for <c>env:NAME</c>; never puts the value in a message.</summary>
    private (string Value, string? Variable) ResolveKeyValue(string text, string path)
    {
        if (!text.StartsWith(EnvPrefix, StringComparison.Ordinal))
        {
            if (text.Length == 0)
            {
                throw Fail(path, "must not be empty");
            }

            if (HasOuterWhitespace(text))
            {
                throw Fail(path, "the key value starts or ends with whitespace");
            }

            if (text.Length > MaxKeyLength)
            {
                throw Fail(path, $"the key value is longer than {MaxKeyLength} characters");
            }

            return (text, null);
        }

        var variable = text[EnvPrefix.Length..];
        if (variable.Length == 0 || variable.Any(char.IsWhiteSpace))
        {
            throw Fail(path, $"\"{text}\" must name an environment variable, as in \"env:OPENAI_API_KEY\"");
        }

        var value = _environment(variable);
        if (value is null)
        {
            throw Fail(path, $"environment variable {variable} is not set");
        }

        if (value.Length == 0)
        {
            throw Fail(path, $"environment variable {variable} is empty");
        }

        if (HasOuterWhitespace(value))
        {
            throw Fail(path, $"environment variable {variable} starts or ends with whitespace (a trailing newline?)");
        }

        if (value.Length > MaxKeyLength)
        {
            throw Fail(path, $"environment variable {variable} is longer than {MaxKeyLength} characters");
        }

        return (value, variable);
    }

    /// <summary>Returns the properties of an object, rejecting unknown and repeated ones.</summary>
    private Dictionary<string, JsonElement> ReadObject(JsonElement element, string path, params ReadOnlySpan<string> allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Fail(path, $"must be an object, not {Describe(element)}");
        }

        var properties = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            var propertyPath = Child(path, property.Name);
            if (!allowed.Contains(property.Name))
            {
                throw Fail(propertyPath, Unknown(property.Name, allowed));
            }

            if (!properties.TryAdd(property.Name, property.Value))
            {
                throw Fail(propertyPath, $"property \"{property.Name}\" appears more than once");
            }
        }

        return properties;
    }

    private JsonElement.ArrayEnumerator ReadArray(JsonElement element, string path) => element.ValueKind == JsonValueKind.Array
        ? element.EnumerateArray()
        : throw Fail(path, $"must be an array, not {Describe(element)}");

    private JsonElement? OptionalArray(Dictionary<string, JsonElement> properties, string name, string objectPath)
    {
        if (!properties.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        _ = ReadArray(element, Child(objectPath, name));
        return element;
    }

    private string RequiredString(Dictionary<string, JsonElement> properties, string name, string objectPath, int maxLength)
    {
        if (!properties.TryGetValue(name, out var element))
        {
            throw Fail(objectPath, Missing(name));
        }

        var path = Child(objectPath, name);
        return element.ValueKind == JsonValueKind.String
            ? CheckString(element.GetString()!, path, maxLength)
            : throw Fail(path, $"must be a string, not {Describe(element)}");
    }

    private string? OptionalString(Dictionary<string, JsonElement> properties, string name, string objectPath, int maxLength)
    {
        if (!properties.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var path = Child(objectPath, name);
        return element.ValueKind == JsonValueKind.String
            ? CheckString(element.GetString()!, path, maxLength)
            : throw Fail(path, $"must be a string, not {Describe(element)}");
    }

    private string CheckString(string value, string path, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Fail(path, "must not be empty");
        }

        if (HasOuterWhitespace(value))
        {
            throw Fail(path, $"\"{value}\" starts or ends with whitespace");
        }

        return value.Length <= maxLength ? value : throw Fail(path, $"is longer than {maxLength} characters");
    }

    private bool OptionalBoolean(Dictionary<string, JsonElement> properties, string name, string objectPath, bool defaultValue)
    {
        if (!properties.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return defaultValue;
        }

        return element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Fail(Child(objectPath, name), $"must be true or false, not {Describe(element)}"),
        };
    }

    /// <summary>A whole number from 1 to <see cref="int.MaxValue"/>, or <see langword="null"/> when absent; <paramref name="omitted"/> says in a message what leaving it out means.</summary>
    private int? OptionalPositiveInt(Dictionary<string, JsonElement> properties, string name, string objectPath, string omitted)
    {
        if (!properties.TryGetValue(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var path = Child(objectPath, name);
        if (element.ValueKind != JsonValueKind.Number)
        {
            throw Fail(path, $"must be a whole number, not {Describe(element)}");
        }

        if (!element.TryGetDecimal(out var number) || number != decimal.Truncate(number))
        {
            throw Fail(path, $"must be a whole number, not {element.GetRawText()}");
        }

        if (number < 1)
        {
            throw Fail(path, $"must be at least 1, not {element.GetRawText()} ({omitted})");
        }

        return number <= int.MaxValue
            ? (int)number
            : throw Fail(path, $"must be at most {int.MaxValue.ToString(CultureInfo.InvariantCulture)}, not {element.GetRawText()}");
    }

    private PortalConfigException Fail(string path, string problem) => new(_filePath, path, problem);

    private static string Missing(string name) => $"required property \"{name}\" is missing";

    private static string Unknown(string name, ReadOnlySpan<string> allowed)
    {
        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                return $"unknown property \"{name}\"; did you mean \"{candidate}\"?";
            }
        }

        return $"unknown property \"{name}\"; expected one of: {string.Join(", ", allowed.ToArray())}";
    }

    private static bool HasOuterWhitespace(string value) => char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]);

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => element.ValueKind.ToString(),
    };

    /// <summary>Appends a property to a JSON path: <c>$.name</c>, or <c>$['odd name']</c> when it is not an identifier.</summary>
    internal static string Child(string path, string name)
    {
        var simple = name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] is '_' or '$')
            && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$');
        return simple
            ? string.Concat(path, ".", name)
            : string.Concat(path, "['", name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal), "']");
    }

    private static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    /// <summary>Describes a syntax error with a 1-based line and position, without the reader's own location suffix.</summary>
    private static string DescribeSyntaxError(JsonException exception)
    {
        var detail = exception.Message;
        var suffix = detail.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (suffix >= 0)
        {
            detail = detail[..suffix];
        }

        var line = (exception.LineNumber ?? 0) + 1;
        var position = (exception.BytePositionInLine ?? 0) + 1;
        return string.Create(CultureInfo.InvariantCulture, $"not valid JSON at line {line}, position {position}: {detail}");
    }
}
