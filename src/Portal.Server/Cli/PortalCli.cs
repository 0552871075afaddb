using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Options;
using Portal.Server.Auth;
using Portal.Server.Hosting;

namespace Portal.Server.Cli;

/// <summary>The <c>portal</c> command line: <c>serve</c> (the default), <c>config validate</c> and <c>stats</c>.</summary>
internal static class PortalCli
{
    private const string SettingsHelp =
        "Every setting is a configuration key, read in this order (later wins): appsettings.json next to the program, "
        + "appsettings.json in the working directory, environment variables (':' becomes '__', e.g. Portal__Auth__AdminToken, "
        + "Portal__Auth__ClientTokens__0), and arguments (--Portal:Auth:AdminToken=<token> or --Portal:Auth:AdminToken <token>: an argument whose "
        + "key has a ':' is a setting, as are the host's --environment, --contentRoot and --applicationName). Durations are "
        + DurationText.Forms + ". Main settings: "
        + "Portal:Auth:ClientTokens, Portal:Auth:AdminToken, Portal:Storage:Provider (sqlite|postgres), Portal:Storage:ConnectionString, "
        + "Portal:ConfigFile, Portal:Gateway:* (MaxAttempts, AttemptTimeout, RequestTimeout, ConnectTimeout, SelectorStrategy, "
        + "RequestStreamUsage, HealthSyncInterval), Portal:Limits:MaxRequestBodyBytes, Portal:Shutdown:Timeout, "
        + "Portal:Readiness:StorageUnavailableAfter, Logging:Console:FormatterName (simple|json|systemd).";

    /// <summary>The program's name in usage and messages: the command a user types.</summary>
    /// <remarks>
    /// The build names the program <c>portal</c> too (a copy of the apphost; see Portal.Server.csproj). The assembly keeps
    /// the name Portal.Server: .NET compares assembly names ignoring case, so a <c>portal.dll</c> would be taken for the
    /// engine's <c>Portal.dll</c>.
    /// </remarks>
    public const string Name = "portal";

    private const string ServeName = "serve";

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error, configureHost: null);

    /// <summary>Parses <paramref name="args"/> and runs the command; <paramref name="configureHost"/> changes the server's builder (tests capture logs).</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<WebApplicationBuilder>? configureHost)
    {
        var (commandLine, settings) = CliSettings.Split(args);
        var root = Create(error, settings, configureHost);
        var parse = root.Parse(commandLine, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Action is ParseErrorAction || (StrayOption(parse) is not null && parse.Action is not HelpAction))
        {
            foreach (var line in DescribeParseErrors(parse))
            {
                await error.WriteLineAsync(line);
            }

            return 1;
        }

        // serve checks its settings while it builds the server (a failed start); the other commands read the same settings.
        var command = parse.CommandResult.Command;
        if (parse.Action is not HelpAction && command is not PortalCommand && command.Name != ServeName
            && CliSettings.Problems(parse) is { Count: > 0 } problems)
        {
            foreach (var problem in problems)
            {
                await error.WriteLineAsync($"{CommandPath(parse)}: {problem}");
            }

            return 1;
        }

        // The host handles SIGTERM and Ctrl+C itself (drain, then exit 0); the parser must not cut it short.
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(invocation);
    }

    internal static Command Create(TextWriter error, IReadOnlyList<string> settings, Action<WebApplicationBuilder>? configureHost = null)
    {
        var urls = new Option<string?>("--urls")
        {
            Description = $"Where to listen, ';'-separated (default {ListenAddresses.Default}). Without client tokens only loopback addresses are accepted.",
            HelpName = "url",
        };

        var serve = new Command(ServeName,
            "Runs the gateway (the default command). Settings follow the options: --urls <url>, --Portal:Auth:AdminToken=<token>, "
            + "--Portal:Gateway:MaxAttempts 5 and so on. Stops gracefully on SIGTERM or Ctrl+C (exit code 0); a failed start prints one "
            + "line and exits with 1. " + SettingsHelp);
        serve.Options.Add(urls);
        serve.SetAction((parse, _) => ServeAsync(parse, urls, error, configureHost));

        var root = new PortalCommand(
            "Portal: an OpenAI-compatible AI gateway with failover, health tracking and stats. Without a command, runs 'serve'. " + SettingsHelp,
            settings);
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(urls);
        root.SetAction((parse, _) => ServeAsync(parse, urls, error, configureHost));
        root.Subcommands.Add(serve);
        root.Subcommands.Add(ConfigCommands.Create());
        root.Subcommands.Add(StatsCommand.Create());
        return root;
    }

    /// <summary>The commands from the root to the one parsed: portal, config, validate.</summary>
    private static List<Command> CommandsOf(ParseResult parse)
    {
        var commands = new List<Command>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult commandResult)
            {
                commands.Insert(0, commandResult.Command);
            }
        }

        return commands;
    }

    /// <summary>The parsed command as typed, for messages: <c>portal config validate</c>.</summary>
    private static string CommandPath(ParseResult parse) => string.Join(' ', CommandsOf(parse).Select(c => c.Name));

    /// <summary>One line per problem: an unknown option or command with the closest known one, else the parser's errors.</summary>
    private static IEnumerable<string> DescribeParseErrors(ParseResult parse)
    {
        var commands = CommandsOf(parse);
        var command = commands[^1];
        var path = CommandPath(parse);
        if ((parse.UnmatchedTokens is [var unmatched, ..] ? unmatched : StrayOption(parse)) is { } token)
        {
            if (token.StartsWith('-'))
            {
                var option = token.Split('=', 2)[0];
                // The command's own options and its ancestors' recursive ones (--help).
                var options = command.Options.Concat(commands[..^1].SelectMany(c => c.Options).Where(o => o.Recursive));
                var suggestion = Spelling.Closest(option, options.Select(o => o.Name));
                yield return suggestion is null
                    ? $"{path}: unknown option '{option}' (a setting is --Section:Key=value); see '{path} --help'"
                    : $"{path}: unknown option '{option}'; did you mean '{suggestion}'?";
            }
            else if (command.Subcommands.Count > 0)
            {
                var suggestion = Spelling.Closest(token, command.Subcommands.Select(c => c.Name));
                yield return suggestion is null
                    ? $"{path}: unknown command '{token}'; see '{path} --help'"
                    : $"{path}: unknown command '{token}'; did you mean '{suggestion}'?";
            }
            else
            {
                yield return $"{path}: unexpected argument '{token}'; see '{path} --help'";
            }

            yield break;
        }

        foreach (var parseError in parse.Errors)
        {
            yield return $"{path}: {parseError.Message}";
        }
    }

    /// <summary>An unknown option the parser took as a command's argument (<c>config validate --hlep</c> as the file).</summary>
    private static string? StrayOption(ParseResult parse) =>
        parse.CommandResult.Children.OfType<ArgumentResult>()
            .SelectMany(a => a.Tokens)
            .Select(t => t.Value)
            .FirstOrDefault(v => v.Length > 1 && v.StartsWith('-'));

    private static async Task<int> ServeAsync(ParseResult parse, Option<string?> urls, TextWriter error, Action<WebApplicationBuilder>? configureHost)
    {
        var hostArgs = new List<string>();
        if (parse.GetValue(urls) is { Length: > 0 } listen)
        {
            hostArgs.Add("--urls");
            hostArgs.Add(listen);
        }

        hostArgs.AddRange(CliSettings.Of(parse));
        WebApplication app;
        try
        {
            // Checks the settings and listen addresses before anything starts.
            app = PortalServer.Build([.. hostArgs], configureHost);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or ArgumentException or FormatException or InvalidDataException or IOException)
        {
            await WriteStartFailureAsync(error, ex);
            return 1;
        }

        Exception? failure = null;
        await using (app)
        {
            try
            {
                await app.StartAsync();
            }
            catch (Exception ex)
            {
                // Every start failure: settings validation, portal.json, storage, a refused or taken listen address. The host
                // logs it too, with the stack trace, in a category the shipped appsettings.json mutes below Critical; the
                // trace is here instead, at Debug, and the message is the one line below.
                failure = ex;
                ServerLog.StartFailed(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(ServerLog.Category), ex);
            }

            if (failure is null)
            {
                // Runs until SIGTERM or Ctrl+C, then drains.
                await app.WaitForShutdownAsync();
                return 0;
            }
        }

        // After the application is disposed, which writes out its logs first.
        await WriteStartFailureAsync(error, failure);
        return 1;
    }

    private static async Task WriteStartFailureAsync(TextWriter error, Exception exception)
    {
        foreach (var message in Messages(exception))
        {
            await error.WriteLineAsync($"{Name}: failed to start: {message}");
        }
    }

    /// <summary>What went wrong, one line each, without stack traces or framework wrapping.</summary>
    private static IEnumerable<string> Messages(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Messages),
        OptionsValidationException validation => validation.Failures,
        ArgumentException { ParamName: { } name } argument when argument.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal) =>
            [argument.Message[..^$" (Parameter '{name}')".Length]],
        InvalidDataException { InnerException: { } inner } data => [$"{data.Message} {inner.Message}"],
        _ => exception.Message.Split('\n').Select(line => line.TrimEnd('\r')),
    };
}
