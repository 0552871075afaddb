using System.CommandLine;
using Portal.Storage.Configuration;

namespace Portal.Server.Cli;

/// <summary><c>portal config validate [file]</c>.</summary>
internal static class ConfigCommands
{
    public static Command Create()
    {
        var file = new Argument<string?>("file")
        {
            Description = "The file to check; the default is the Portal:ConfigFile setting, else ./portal.json.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var validate = new Command("validate",
            "Checks a configuration file as the server would at start (JSON, properties, formats, URLs, duplicates, env: variables set) "
            + "and prints 'OK: N platforms, N models, N keys' (exit code 0) or what is wrong and where (exit code 1).");
        validate.Arguments.Add(file);
        validate.SetAction((parse, cancellationToken) => ValidateAsync(parse, file));

        var config = new Command("config", "Works with the configuration file (portal.json) that lists platforms, models and keys.");
        config.Subcommands.Add(validate);
        return config;
    }

    private static async Task<int> ValidateAsync(ParseResult parse, Argument<string?> file)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        var path = parse.GetValue(file);
        var named = false;
        if (string.IsNullOrEmpty(path))
        {
            var configured = CliSettings.Build(parse)[StorageServiceCollectionExtensions.ConfigFileSetting];
            named = !string.IsNullOrEmpty(configured);
            path = named ? configured! : "./portal.json";
        }

        try
        {
            var config = PortalConfigLoader.Load(path);
            var models = config.Platforms.Sum(p => p.Models.Count);
            var keys = config.Platforms.Sum(p => p.Keys.Count);
            await output.WriteLineAsync($"OK: {config.Platforms.Count} platforms, {models} models, {keys} keys ({path})");
            return 0;
        }
        catch (PortalConfigException ex)
        {
            await error.WriteLineAsync(ex.Message);
        }
        catch (FileNotFoundException)
        {
            // The same words as the server's start when the setting names the file.
            await error.WriteLineAsync(named ? StorageServiceCollectionExtensions.MissingConfigFile(path) : $"{path}: file not found");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"{path}: {ex.Message}");
        }

        return 1;
    }
}
