using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Server.Cli;

namespace Portal.Server.Tests.Cli;

/// <summary>
/// <c>portal serve</c> failing to start: one line on stderr, exit code 1, and no stack trace in the logs at the shipped
/// log levels (the appsettings.json next to the tests is the server's). Runs the command line in-process, with the
/// server's logs captured instead of written to the console.
/// </summary>
public sealed class StartFailureTests : IDisposable
{
    private const string GoodConfig = """{ "platforms": [ { "name": "a", "format": "mock", "baseUrl": "mock://local", "models": [ "m1" ], "keys": [ "k1" ] } ] }""";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portal-start-test-" + Guid.NewGuid().ToString("N"));
    private readonly FakeLogCollector _logs = new();

    public StartFailureTests() => Directory.CreateDirectory(_directory);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Database => Path.Combine(_directory, "portal.db");

    public static TheoryData<string, string[]> Failures => new()
    {
        {
            "{dir}/bad.json: $.platforms[0].baseURL: unknown property \"baseURL\"; did you mean \"baseUrl\"?",
            ["--Portal:ConfigFile={dir}/bad.json"]
        },
        { "unknown setting Portal:Gateway:MaxAttempt; did you mean Portal:Gateway:MaxAttempts?", ["--Portal:Gateway:MaxAttempt=3"] },
        { "unknown setting Portal:Gatway:MaxAttempts; did you mean Portal:Gateway:MaxAttempts?", ["serve", "--Portal:Gatway:MaxAttempts", "3"] },
        { "Portal:Gateway:AttemptTimeout: '5x' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss", ["--Portal:Gateway:AttemptTimeout=5x"] },
        { "Portal:Storage:CacheTtl: '30' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss", ["--Portal:Storage:CacheTtl=30"] },
        { "Portal:Gateway:MaxAttempts must be at least 1 (it is 0).", ["--Portal:Gateway:MaxAttempts=0"] },
        {
            "Portal:Gateway:AttemptTimeout must not be longer than Portal:Gateway:RequestTimeout (it is 00:05:00, Portal:Gateway:RequestTimeout is 00:01:00).",
            ["--Portal:Gateway:AttemptTimeout=5m", "--Portal:Gateway:RequestTimeout=1m"]
        },
        {
            "Portal:Health:MaxDelay must be at least Portal:Health:InitialDelay (it is 00:01:00, Portal:Health:InitialDelay is 00:10:00).",
            ["--Portal:Health:InitialDelay=10m", "--Portal:Health:MaxDelay=1m"]
        },
        { "Portal:Health:Jitter must be between 0 and 1 (it is 1.5).", ["--Portal:Health:Jitter=1.5"] },
        { "Portal:Health:MaxRetryAfter must be between 0 and 1 day (it is 2.00:00:00).", ["--Portal:Health:MaxRetryAfter=2d"] },
        { "Portal:Stats:BatchSize must be at least 1 (it is 0).", ["--Portal:Stats:BatchSize=0"] },
        { "unknown setting Portal:Health:InitalDelay; did you mean Portal:Health:InitialDelay?", ["--Portal:Health:InitalDelay=1s"] },
        { "Portal:ConfigFile names {dir}/missing.json, which does not exist", ["--Portal:ConfigFile={dir}/missing.json"] },
        { "Portal:Storage:Provider is 'pg'; it must be 'sqlite' or 'postgres'.", ["--Portal:Storage:Provider=pg"] },
        { "Portal:Storage:ConnectionString: cannot create the folder", ["--Portal:Storage:ConnectionString=Data Source={dir}/a-file/portal.db"] },
        { "Refusing to start: Portal:Auth:ClientTokens is empty", ["serve", "--urls", "http://0.0.0.0:0"] },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Serve_StartFails_PrintsOneLineExits1AndLogsNoStackTrace(string expected, string[] args)
    {
        var (code, output, error) = await ServeAsync(args);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("portal: failed to start: " + expected.Replace("{dir}", _directory, StringComparison.Ordinal), line, StringComparison.Ordinal);

        var records = _logs.GetSnapshot();
        Assert.DoesNotContain(records, r => r.Exception is not null);
        Assert.DoesNotContain(records, r => r.Message.Contains("Hosting failed to start", StringComparison.Ordinal));
        Assert.DoesNotContain(records, r => r.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task Serve_BadConfigFile_FailsBeforeTheDatabaseIsCreated()
    {
        var (code, _, _) = await ServeAsync(["--Portal:ConfigFile={dir}/bad.json"]);

        Assert.Equal(1, code);
        Assert.False(File.Exists(Database));
        Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Category == "Portal.Storage");
    }

    [Fact]
    public async Task Serve_StartFailsWithServerLogsAtDebug_LogsTheStackTrace()
    {
        var (code, _, error) = await ServeAsync(["--Portal:ConfigFile={dir}/bad.json", "--Logging:LogLevel:Portal.Server=Debug"]);

        Assert.Equal(1, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var record = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 2015);
        Assert.Equal(LogLevel.Debug, record.Level);
        Assert.Equal("Portal.Server", record.Category);
        Assert.Contains("baseURL", record.Exception?.Message, StringComparison.Ordinal);
        Assert.NotNull(record.Exception?.StackTrace);
    }

    /// <summary>Runs the default command against a folder of its own: a good portal.json, SQLite there, 127.0.0.1:0; <paramref name="args"/> win.</summary>
    private async Task<(int ExitCode, string Output, string Error)> ServeAsync(string[] args)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "good.json"), GoodConfig);
        await File.WriteAllTextAsync(Path.Combine(_directory, "bad.json"),
            """{ "platforms": [ { "name": "a", "format": "mock", "baseURL": "mock://local", "models": [ "m1" ], "keys": [ "k1" ] } ] }""");
        await File.WriteAllTextAsync(Path.Combine(_directory, "a-file"), "not a folder");

        var commandLine = args.Select(a => a.Replace("{dir}", _directory, StringComparison.Ordinal)).ToList();
        string[] command = commandLine is ["serve", ..] ? ["serve"] : [];
        string[] listen = commandLine.Contains("--urls") ? [] : ["--urls", "http://127.0.0.1:0"];
        string[] all =
        [
            .. command, .. listen,
            $"--Portal:ConfigFile={_directory}/good.json",
            $"--Portal:Storage:ConnectionString=Data Source={Database}",
            .. commandLine.Skip(command.Length),
        ];

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PortalCli.RunAsync(all, output, error, builder =>
        {
            // The shipped log levels stay (appsettings.json); only the console is swapped for a collector.
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        });
        return (code, output.ToString(), error.ToString());
    }
}
