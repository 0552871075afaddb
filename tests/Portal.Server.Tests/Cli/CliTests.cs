using Microsoft.Data.Sqlite;
using Portal.Server.Cli;
using Portal.Server.Tests.Infrastructure;
using Portal.Storage;

namespace Portal.Server.Tests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portal-cli-test-" + Guid.NewGuid().ToString("N"));

    public CliTests() => Directory.CreateDirectory(_directory);

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

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PortalCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>
    /// The whole storage setting as arguments: the CLI also reads the appsettings.json next to the test binaries, a copy
    /// of src/Portal.Server's, which a user may have pointed at PostgreSQL.
    /// </summary>
    private static string[] SqliteAt(string connection) => ["--Portal:Storage:Provider=sqlite", $"--Portal:Storage:ConnectionString={connection}"];

    [Fact]
    public async Task ConfigValidate_GoodFile_PrintsCountsAndExits0()
    {
        var file = Path.Combine(_directory, "good.json");
        await File.WriteAllTextAsync(file, """
            // comments are fine
            { "platforms": [
              { "name": "a", "format": "mock", "baseUrl": "mock://local", "models": [ "m1", { "name": "m2", "alias": "fast" } ], "keys": [ "k1", "k2" ] },
              { "name": "b", "format": "openai", "baseUrl": "https://api.example.com/v1", "models": [ "m3" ], "keys": [ "k3" ] },
            ] }
            """);

        var (code, output, error) = await RunAsync("config", "validate", file);

        Assert.Equal(0, code);
        Assert.StartsWith("OK: 2 platforms, 3 models, 3 keys", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task ConfigValidate_BadFile_PrintsLoaderErrorAndExits1()
    {
        var file = Path.Combine(_directory, "bad.json");
        await File.WriteAllTextAsync(file, """{ "platforms": [ { "name": "a", "format": "openai", "baseURL": "https://x", "models": [], "keys": [] } ] }""");

        var (code, output, error) = await RunAsync("config", "validate", file);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("bad.json: $.platforms[0]", error, StringComparison.Ordinal);
        Assert.Contains("baseURL", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_MissingFile_Exits1()
    {
        var (code, _, error) = await RunAsync("config", "validate", Path.Combine(_directory, "nope.json"));
        Assert.Equal(1, code);
        Assert.Contains("file not found", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_NoFileArgument_UsesPortalConfigFileSetting()
    {
        var file = Path.Combine(_directory, "set.json");
        await File.WriteAllTextAsync(file, """{ "platforms": [ { "name": "a", "format": "mock", "baseUrl": "mock://local", "models": [ "m1" ], "keys": [ "k1" ] } ] }""");

        var (code, output, _) = await RunAsync("config", "validate", $"--Portal:ConfigFile={file}");

        Assert.Equal(0, code);
        Assert.Contains("OK: 1 platforms, 1 models, 1 keys", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_ShippedPortalJson_IsValid()
    {
        // The committed portal.json, copied here: the working copy's may list real platforms with env: keys this process lacks.
        var file = Path.Combine(_directory, "portal.json");
        await File.WriteAllTextAsync(file, await RepositoryFiles.ReadShippedAsync("portal.json"));

        var (code, output, error) = await RunAsync("config", "validate", file);

        Assert.True(code == 0, error);
        Assert.Contains("OK: 1 platforms, 1 models, 1 keys", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_SeededDatabase_PrintsTablePerModel()
    {
        var connection = $"Data Source={Path.Combine(_directory, "portal.db")}";
        var now = DateTimeOffset.UtcNow;
        await using (var repository = await EfPortalRepository.OpenAsync(new StorageOptions { ConnectionString = connection }))
        {
            var stats = new List<RequestStat>();
            for (var i = 0; i < 10; i++)
            {
                stats.Add(Stat("fast", now.AddMinutes(-i), success: i != 0, durationMs: 100 * (i + 1), prompt: 10, completion: 20));
            }

            stats.Add(Stat("slow", now.AddMinutes(-5), success: true, durationMs: 2000, prompt: 1, completion: 2));
            stats.Add(Stat("old", now.AddDays(-3), success: true, durationMs: 50, prompt: 1, completion: 1));
            await repository.SaveRequestStatsAsync(stats, CancellationToken.None);
        }

        var (code, output, error) = await RunAsync(["stats", "--since", "24h", .. SqliteAt(connection)]);

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("MODEL", StringComparison.Ordinal) && l.Contains("REQUESTS", StringComparison.Ordinal) && l.Contains("P95", StringComparison.Ordinal));
        var fast = Assert.Single(lines, l => l.StartsWith("fast ", StringComparison.Ordinal));
        Assert.Matches(@"^fast\s+10\s+90\.0 %\s+0\s+10\s+1\s+500 ms\s+1,000 ms\s+100\s+200\s+0\s+0$", fast); // no cache use reported
        Assert.Single(lines, l => l.StartsWith("slow ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("old ", StringComparison.Ordinal));
        Assert.Matches(@"^TOTAL\s+11\s+90\.9 %", Assert.Single(lines, l => l.StartsWith("TOTAL", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Stats_EmptyDatabase_SaysNoRequestsAndExits0()
    {
        var connection = $"Data Source={Path.Combine(_directory, "empty.db")}";
        var (code, output, error) = await RunAsync(["stats", .. SqliteAt(connection)]);
        Assert.True(code == 0, error);
        Assert.Contains("No requests.", output, StringComparison.Ordinal);
        Assert.Contains("last 24h", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_BadSince_Exits1WithMessage()
    {
        var (code, _, error) = await RunAsync("stats", "--since", "yesterday");
        Assert.NotEqual(0, code);
        Assert.Contains("not a duration", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_DocumentsCommandsAndSettings()
    {
        var (code, output, _) = await RunAsync("--help");
        Assert.Equal(0, code);
        foreach (var expected in new[] { "serve", "config", "stats", "--urls", "environment variables", "Portal__Auth__AdminToken", "Portal:Auth:ClientTokens" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }

        var (statsCode, statsHelp, _) = await RunAsync("stats", "--help");
        Assert.Equal(0, statsCode);
        Assert.Contains("--since", statsHelp, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("serve", "--help")]
    [InlineData("config", "--help")]
    [InlineData("config", "validate", "--help")]
    [InlineData("stats", "--help")]
    public async Task Help_AnyCommand_NamesPortalWithoutAdditionalArgumentsNoise(params string[] args)
    {
        var (code, output, _) = await RunAsync(args);

        Assert.Equal(0, code);
        var usage = output[(output.IndexOf("Usage:", StringComparison.Ordinal) + "Usage:".Length)..].TrimStart().Split('\n')[0];
        Assert.StartsWith("portal ", usage, StringComparison.Ordinal);
        Assert.DoesNotContain("Additional Arguments", output, StringComparison.Ordinal);
        Assert.DoesNotContain("additional arguments", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Portal.Server", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ConfigValidate_ShowsTheFileAsOptional()
    {
        var (_, output, _) = await RunAsync("config", "validate", "--help");
        Assert.Contains("portal config validate [<file>] [options]", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("portal stats: unknown option '--sinse'; did you mean '--since'?", "stats", "--sinse", "1h")]
    [InlineData("portal stats: unknown option '--Since'; did you mean '--since'?", "stats", "--Since=1h")]
    [InlineData("portal serve: unknown option '--url'; did you mean '--urls'?", "serve", "--url", "http://127.0.0.1:0")]
    [InlineData("portal: unknown option '--ulrs'; did you mean '--urls'?", "--ulrs", "http://127.0.0.1:0")]
    [InlineData("portal config validate: unknown option '--hlep'; did you mean '--help'?", "config", "validate", "--hlep")]
    [InlineData("portal: unknown command 'sever'; did you mean 'serve'?", "sever")]
    [InlineData("portal config: unknown command 'valdate'; did you mean 'validate'?", "config", "valdate")]
    public async Task UnknownOptionOrCommand_Exits1WithTheClosestName(string expected, params string[] args)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal(expected, error.TrimEnd());
    }

    [Fact]
    public async Task UnknownOption_NothingClose_PointsToHelpAndSettings()
    {
        var (code, _, error) = await RunAsync("stats", "--MaxAttempts=5");

        Assert.Equal(1, code);
        Assert.Equal("portal stats: unknown option '--MaxAttempts' (a setting is --Section:Key=value); see 'portal stats --help'", error.TrimEnd());
    }

    [Fact]
    public async Task Settings_InEveryForm_StillPassThrough()
    {
        var connection = $"Data Source={Path.Combine(_directory, "settings.db")}";

        // --Key value, --Key=value, a host key without ':', and a short duration in a storage setting.
        var (code, output, error) = await RunAsync(
            "stats", "--Portal:Storage:ConnectionString", connection, "--environment", "Production", "--Portal:Storage:CacheTtl=5s",
            "--Logging:LogLevel:Default=Warning", "--since", "1h");

        Assert.True(code == 0, error);
        Assert.Contains("No requests.", output, StringComparison.Ordinal);
        Assert.Contains("last 1h", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_directory, "settings.db")));
    }

    [Fact]
    public async Task ConfigValidate_SettingWithSpace_IsUsedAsTheFile()
    {
        var file = Path.Combine(_directory, "spaced.json");
        await File.WriteAllTextAsync(file, """{ "platforms": [ { "name": "a", "format": "mock", "baseUrl": "mock://local", "models": [ "m1" ], "keys": [ "k1" ] } ] }""");

        var (code, output, error) = await RunAsync("config", "validate", "--Portal:ConfigFile", file);

        Assert.True(code == 0, error);
        Assert.Contains("OK: 1 platforms", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_SettingNamesMissingFile_SaysWhichSettingNamedIt()
    {
        var missing = Path.Combine(_directory, "missing.json");

        var (code, _, error) = await RunAsync("config", "validate", $"--Portal:ConfigFile={missing}");

        Assert.Equal(1, code);
        Assert.Equal($"Portal:ConfigFile names {missing}, which does not exist", error.TrimEnd());
    }

    [Theory]
    [InlineData("portal stats: unknown setting Portal:Storage:Provder; did you mean Portal:Storage:Provider?", "stats", "--Portal:Storage:Provder=postgres")]
    [InlineData("portal stats: Portal:Storage:CacheTtl: '5x' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss", "stats", "--Portal:Storage:CacheTtl", "5x")]
    [InlineData("portal config validate: unknown setting Portal:ConfigFil; did you mean Portal:ConfigFile?", "config", "validate", "--Portal:ConfigFil=x.json")]
    public async Task MaintenanceCommand_BadSetting_Exits1WithOneLineAsServeWould(string expected, params string[] args)
    {
        var (code, output, error) = await RunAsync(args);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal(expected, error.TrimEnd());
    }

    [Fact]
    public async Task Help_WithABadSetting_StillShowsHelp()
    {
        var (code, output, _) = await RunAsync("stats", "--help", "--Portal:Storage:Provder=postgres");
        Assert.Equal(0, code);
        Assert.Contains("--since", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Split_SettingsAndCommandLine_FollowOneRule()
    {
        var (commandLine, settings) = CliSettings.Split(
            ["stats", "--since", "1h", "--Portal:A=1", "--Portal:B", "2", "--contentRoot", "/srv", "--APPLICATIONNAME=x", "--sinse", "1h", "--urls", "u"]);

        Assert.Equal(new[] { "stats", "--since", "1h", "--sinse", "1h", "--urls", "u" }, commandLine);
        Assert.Equal(new[] { "--Portal:A=1", "--Portal:B", "2", "--contentRoot", "/srv", "--APPLICATIONNAME=x" }, settings);
    }

    private static RequestStat Stat(string model, DateTimeOffset at, bool success, int durationMs, int prompt, int completion) => new()
    {
        Id = Guid.NewGuid().ToString("N"),
        Timestamp = at,
        ModelName = model,
        PlatformId = 1,
        ApiKeyId = 1,
        ModelId = 1,
        Duration = TimeSpan.FromMilliseconds(durationMs),
        Success = success,
        PromptTokens = prompt,
        CompletionTokens = completion,
        StatusCode = success ? 200 : 500,
    };
}
