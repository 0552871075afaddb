using System.CommandLine;
using Portal.Server.Hosting;

namespace Portal.Server.Cli;

/// <summary>Settings on the command line, and the settings the maintenance commands read.</summary>
internal static class CliSettings
{
    /// <summary>The host's own keys, which are settings on the command line although they have no ':'.</summary>
    /// <remarks><c>urls</c> is not here: it is the declared <c>--urls</c> option of <c>serve</c>.</remarks>
    private static readonly string[] HostKeys =
    [
        HostDefaults.EnvironmentKey,
        HostDefaults.ContentRootKey,
        HostDefaults.ApplicationKey,
        WebHostDefaults.HttpPortsKey,
        WebHostDefaults.HttpsPortsKey,
    ];

    /// <summary>
    /// The one rule for every command: an argument <c>--Key=value</c>, or <c>--Key</c> followed by its value, is a setting
    /// when <c>Key</c> has a ':' (<c>--Portal:Gateway:MaxAttempts=5</c>, <c>--Logging:LogLevel:Default Debug</c>) or is one of the
    /// host's own keys (<c>--environment</c>, <c>--contentRoot</c>, <c>--applicationName</c>, <c>--http_ports</c>,
    /// <c>--https_ports</c>). Settings go to the configuration; the rest is the command line, where an unknown option is an error.
    /// </summary>
    public static (string[] CommandLine, string[] Settings) Split(IReadOnlyList<string> args)
    {
        var commandLine = new List<string>(args.Count);
        var settings = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!IsSetting(arg))
            {
                commandLine.Add(arg);
                continue;
            }

            settings.Add(arg);
            if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Count)
            {
                // --Key value: the next argument is the value, whatever it looks like (as the configuration reads it).
                settings.Add(args[++i]);
            }
        }

        return ([.. commandLine], [.. settings]);
    }

    /// <summary>The settings given on the command line of the run <paramref name="parse"/> belongs to.</summary>
    public static IReadOnlyList<string> Of(ParseResult parse) => ((PortalCommand)parse.RootCommandResult.Command).Settings;

    /// <summary>appsettings.json next to the program, appsettings.json in the working directory, environment variables, then the command line's settings.</summary>
    public static IConfiguration Build(ParseResult parse)
    {
        var builder = new ConfigurationBuilder();
        PortalServer.AddDefaultSettings(builder);
        builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine([.. Of(parse)]);
        return builder.Build();
    }

    /// <summary>
    /// Every problem with the settings a maintenance command reads (<see cref="Build"/>), checked as <c>serve</c> checks
    /// its own: a misspelt key would otherwise be ignored, and a bad duration would fail deep inside the command.
    /// </summary>
    public static IReadOnlyList<string> Problems(ParseResult parse) => SettingsCheck.Check(Build(parse), new ServiceCollection().AddPortalSettings());

    private static bool IsSetting(string arg)
    {
        if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
        {
            return false;
        }

        var equals = arg.IndexOf('=', StringComparison.Ordinal);
        var key = equals < 0 ? arg[2..] : arg[2..equals];
        return key.Contains(':', StringComparison.Ordinal) || HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase);
    }
}

/// <summary>The root command of one run, <c>portal</c>, holding the settings split off that run's arguments.</summary>
internal sealed class PortalCommand(string description, IReadOnlyList<string> settings) : Command(PortalCli.Name, description)
{
    /// <summary>The settings (<c>--Key=value</c>, <c>--Key value</c>), in the order given.</summary>
    public IReadOnlyList<string> Settings { get; } = settings;
}
