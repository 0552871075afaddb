using System.CommandLine;
using System.Globalization;
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
        + "Portal__Auth__ClientTokens__0), and arguments (--Portal:Auth:AdminToken=<token>). Main settings: "
        + "Portal:Auth:ClientTokens, Portal:Auth:AdminToken, Portal:Storage:Provider (sqlite|postgres), Portal:Storage:ConnectionString, "
        + "Portal:ConfigFile, Portal:Gateway:* (MaxAttempts, AttemptTimeout, RequestTimeout, ConnectTimeout, SelectorStrategy, "
        + "RequestStreamUsage, HealthSyncInterval), Portal:Limits:MaxRequestBodyBytes, Portal:Shutdown:Timeout, "
        + "Portal:Readiness:StorageUnavailableAfter, Logging:Console:FormatterName (simple|json|systemd).";

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error, configureHost: null);

    /// <summary>Parses <paramref name="args"/> and runs the command; <paramref name="configureHost"/> changes the server's builder (tests capture logs).</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Action<WebApplicationBuilder>? configureHost)
    {
        var root = Create(error, configureHost);
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

        // The host handles SIGTERM and Ctrl+C itself (drain, then exit 0); the parser must not cut it short.
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        return await parse.InvokeAsync(invocation);
    }

    internal static RootCommand Create(TextWriter error, Action<WebApplicationBuilder>? configureHost = null)
    {
        var urls = new Option<string?>("--urls")
        {
            Description = $"Where to listen, ';'-separated (default {ListenAddresses.Default}). Without client tokens only loopback addresses are accepted.",
            HelpName = "url",
        };

        var serve = new Command("serve",
            "Runs the gateway (the default command). Arguments after the options are host settings: --urls <url>, --Portal:Auth:AdminToken=<token>, "
            + "--Portal:Gateway:MaxAttempts=5 and so on. Stops gracefully on SIGTERM or Ctrl+C (exit code 0). " + SettingsHelp)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        serve.Options.Add(urls);
        serve.SetAction((parse, _) => ServeAsync(parse, urls, error, configureHost));

        var root = new RootCommand(
            "Portal: an OpenAI-compatible AI gateway with failover, health tracking and stats. Without a command, runs 'serve'. " + SettingsHelp)
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.Options.Add(urls);
        root.SetAction((parse, _) => ServeAsync(parse, urls, error, configureHost));
        root.Subcommands.Add(serve);
        root.Subcommands.Add(ConfigCommands.Create());
        root.Subcommands.Add(StatsCommand.Create());
        return root;
    }

    private static async Task<int> ServeAsync(ParseResult parse, Option<string?> urls, TextWriter error, Action<WebApplicationBuilder>? configureHost)
    {
        var hostArgs = new List<string>();
        if (parse.GetValue(urls) is { Length: > 0 } listen)
        {
            hostArgs.Add("--urls");
            hostArgs.Add(listen);
        }

        hostArgs.AddRange(parse.UnmatchedTokens);
        if (CliSettings.FirstStrayArgument(parse.UnmatchedTokens) is { } stray)
        {
            await error.WriteLineAsync($"portal: unknown command or argument '{stray}'; settings are passed as --Key=value. See portal --help.");
            return 1;
        }

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
            await error.WriteLineAsync($"portal: failed to start: {message}");
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

    /// <summary>Parses a duration: <c>90s</c>, <c>30m</c>, <c>24h</c>, <c>7d</c>, or a <see cref="TimeSpan"/> such as <c>01:30:00</c>.</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        if (text.Length >= 2 && char.IsLetter(text[^1])
            && double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            duration = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => TimeSpan.Zero,
            };
            return duration > TimeSpan.Zero;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration > TimeSpan.Zero;
    }
}
