namespace Portal.Storage.Configuration;

/// <summary>A validated configuration file (<c>portal.json</c>): the platforms, models and keys it manages.</summary>
/// <remarks>
/// Instances come only from <see cref="PortalConfigLoader"/>, which has already checked everything (formats, URLs,
/// duplicates) and resolved <c>env:</c> key values, so an instance is always valid to import with
/// <see cref="IConfigStore.ImportConfigAsync"/>. Immutable.
/// </remarks>
public sealed class PortalConfigFile
{
    internal PortalConfigFile(string filePath, IReadOnlyList<PlatformConfig> platforms)
    {
        FilePath = filePath;
        Platforms = platforms;
    }

    /// <summary>The path of the file, as given to the loader; used in messages and logs.</summary>
    public string FilePath { get; }

    /// <summary>The platforms, in file order; names are unique.</summary>
    public IReadOnlyList<PlatformConfig> Platforms { get; }
}

/// <summary>A platform of the configuration file, with its models and keys.</summary>
public sealed class PlatformConfig
{
    internal PlatformConfig(string name, string format, string baseUrl, string? apiVersion, int? defaultMaxTokens, bool enabled, RateLimit rateLimit, IReadOnlyList<ModelConfig> models, IReadOnlyList<KeyConfig> keys)
    {
        Name = name;
        Format = format;
        BaseUrl = baseUrl;
        ApiVersion = apiVersion;
        DefaultMaxTokens = defaultMaxTokens;
        Enabled = enabled;
        RateLimit = rateLimit;
        Models = models;
        Keys = keys;
    }

    /// <summary>The platform's name: its identity on import, unique in the file.</summary>
    public string Name { get; }

    /// <summary>The wire format, one of <see cref="Providers.PlatformFormats"/>, in its canonical (lower-case) spelling.</summary>
    public string Format { get; }

    /// <summary>The absolute http or https base URL.</summary>
    public string BaseUrl { get; }

    /// <summary>The version of the format's API the platform is called with (<see cref="Platform.ApiVersion"/>); <see langword="null"/> when the file sets none (the format's default).</summary>
    public string? ApiVersion { get; }

    /// <summary>The <c>max_tokens</c> sent to a format that requires one when the client sets none (<see cref="Platform.DefaultMaxTokens"/>); <see langword="null"/> when the file sets none.</summary>
    public int? DefaultMaxTokens { get; }

    /// <summary>Whether the platform may be used.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; }

    /// <summary>The platform's limits; both are <see langword="null"/> when the file sets none.</summary>
    public RateLimit RateLimit { get; }

    /// <summary>The platform's models, in file order; names are unique within the platform.</summary>
    public IReadOnlyList<ModelConfig> Models { get; }

    /// <summary>The platform's keys, in file order; names and values are unique within the platform.</summary>
    public IReadOnlyList<KeyConfig> Keys { get; }
}

/// <summary>A model of a configured platform.</summary>
public sealed class ModelConfig
{
    internal ModelConfig(string name, string? alias, bool enabled)
    {
        Name = name;
        Alias = alias;
        Enabled = enabled;
    }

    /// <summary>The upstream model name: its identity on import (with the platform).</summary>
    public string Name { get; }

    /// <summary>An optional public name clients may ask for instead of <see cref="Name"/>.</summary>
    public string? Alias { get; }

    /// <summary>Whether the model may be used.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; }
}

/// <summary>An API key of a configured platform.</summary>
/// <remarks>
/// Its identity on import is (platform, <see cref="Name"/>) when it has a name, so its value can change without
/// losing its id; otherwise (platform, <see cref="Value"/>). <see cref="ToString"/> masks the value.
/// </remarks>
public sealed class KeyConfig
{
    internal KeyConfig(string? name, string value, bool enabled, string? environmentVariable)
    {
        Name = name;
        Value = value;
        Enabled = enabled;
        EnvironmentVariable = environmentVariable;
    }

    /// <summary>The key's optional name, unique within the platform.</summary>
    public string? Name { get; }

    /// <summary>The secret, already read from the environment when the file said <c>env:NAME</c>. Never log it.</summary>
    public string Value { get; }

    /// <summary>Whether the key may be used.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool Enabled { get; }

    /// <summary>The environment variable the value was read from, or <see langword="null"/> when the file holds the value itself.</summary>
    public string? EnvironmentVariable { get; }

    /// <summary>Describes the key with its value masked.</summary>
    /// <returns>For example <c>KeyConfig { Name = backup, Value = sk-…abcd, Enabled = True }</c>.</returns>
    public override string ToString() => $"KeyConfig {{ Name = {Name}, Value = {ApiKey.Mask(Value)}, Enabled = {Enabled} }}";
}
