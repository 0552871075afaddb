using Portal.DependencyInjection;
using Portal.Providers;
using Portal.Storage.Configuration.Internal;

namespace Portal.Storage.Configuration;

/// <summary>Reads and validates the configuration file <c>portal.json</c>.</summary>
/// <remarks>
/// The file is JSON with camelCase names; comments and trailing commas are allowed. Every problem — invalid JSON,
/// a wrong type, a missing or unknown property, an unknown format, a bad URL, a duplicate name, an unset
/// <c>env:</c> variable — fails with a <see cref="PortalConfigException"/> naming the file, the JSON path and the problem.
/// These methods check formats and base URLs against the built-in formats; the server's start
/// (<c>AddPortalStorage</c>) checks them against the container's <see cref="ProviderCatalog"/>, which also holds every
/// format the application added.
/// </remarks>
public static class PortalConfigLoader
{
    /// <summary>Reads and validates a configuration file against the built-in formats.</summary>
    /// <param name="path">The file's path; it appears as given in error messages.</param>
    /// <param name="environment">Reads an environment variable for <c>env:NAME</c> key values; the default is <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The validated configuration, with <c>env:</c> values resolved.</returns>
    /// <exception cref="PortalConfigException">The file is invalid.</exception>
    /// <exception cref="IOException">The file cannot be read (for example <see cref="FileNotFoundException"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    public static PortalConfigFile Load(string path, Func<string, string?>? environment = null) =>
        Load(path, BuiltInProviders.Catalog, environment);

    /// <summary>Reads and validates a configuration file against the formats of <paramref name="formats"/>.</summary>
    /// <param name="path">The file's path; it appears as given in error messages.</param>
    /// <param name="formats">The formats a platform may have, with their base-URL rules (the container's <see cref="ProviderCatalog"/>).</param>
    /// <param name="environment">Reads an environment variable for <c>env:NAME</c> key values; <see langword="null"/> for <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The validated configuration, with <c>env:</c> values resolved.</returns>
    /// <exception cref="PortalConfigException">The file is invalid.</exception>
    /// <exception cref="IOException">The file cannot be read (for example <see cref="FileNotFoundException"/>).</exception>
    /// <exception cref="UnauthorizedAccessException">The file may not be read.</exception>
    internal static PortalConfigFile Load(string path, ProviderCatalog formats, Func<string, string?>? environment)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(formats);
        return Parse(File.ReadAllText(path), path, formats, environment);
    }

    /// <summary>Validates configuration text against the built-in formats.</summary>
    /// <param name="json">The file's content.</param>
    /// <param name="path">The name to report in error messages, usually the file's path.</param>
    /// <param name="environment">Reads an environment variable for <c>env:NAME</c> key values; the default is <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The validated configuration, with <c>env:</c> values resolved.</returns>
    /// <exception cref="PortalConfigException">The text is invalid.</exception>
    public static PortalConfigFile Parse(string json, string path, Func<string, string?>? environment = null) =>
        Parse(json, path, BuiltInProviders.Catalog, environment);

    /// <summary>Validates configuration text against the formats of <paramref name="formats"/>.</summary>
    /// <param name="json">The file's content.</param>
    /// <param name="path">The name to report in error messages, usually the file's path.</param>
    /// <param name="formats">The formats a platform may have, with their base-URL rules (the container's <see cref="ProviderCatalog"/>).</param>
    /// <param name="environment">Reads an environment variable for <c>env:NAME</c> key values; <see langword="null"/> for <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The validated configuration, with <c>env:</c> values resolved.</returns>
    /// <exception cref="PortalConfigException">The text is invalid.</exception>
    internal static PortalConfigFile Parse(string json, string path, ProviderCatalog formats, Func<string, string?>? environment)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(formats);
        return ConfigReader.Read(json, path, environment ?? Environment.GetEnvironmentVariable, formats);
    }
}
