
namespace Portal.Server.Cli;

/// <summary>The settings the maintenance commands read: the same sources as the server, in the same order.</summary>
internal static class CliSettings
{
    /// <summary>appsettings.json next to the program, appsettings.json in the working directory, environment variables, then <paramref name="args"/> (<c>--Key=value</c>).</summary>
    public static IConfiguration Build(IReadOnlyList<string> args)
    {
        var builder = new ConfigurationBuilder();
        PortalServer.AddDefaultSettings(builder);
        builder.AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args]);
        return builder.Build();
    }

    /// <summary>Checks that leftover arguments are settings (<c>--Key=value</c> or <c>--Key value</c>); returns the first that is not.</summary>
    public static string? FirstStrayArgument(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                return arg;
            }

            if (!arg.Contains('=', StringComparison.Ordinal))
            {
                i++; // The next argument is the value.
            }
        }

        return null;
    }
}
