using Microsoft.Data.Sqlite;
using Portal.Server.Cli;
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
    public async Task ConfigValidate_RepositoryPortalJson_IsValid()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Portal.slnx")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Repository root not found.");
        }

        var (code, output, error) = await RunAsync("config", "validate", Path.Combine(root, "portal.json"));

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

        var (code, output, error) = await RunAsync("stats", "--since", "24h", $"--Portal:Storage:ConnectionString={connection}");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("MODEL", StringComparison.Ordinal) && l.Contains("REQUESTS", StringComparison.Ordinal) && l.Contains("P95", StringComparison.Ordinal));
        var fast = Assert.Single(lines, l => l.StartsWith("fast ", StringComparison.Ordinal));
        Assert.Matches(@"^fast\s+10\s+90\.0 %\s+0\s+10\s+1\s+500 ms\s+1,000 ms\s+100\s+200$", fast);
        Assert.Single(lines, l => l.StartsWith("slow ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("old ", StringComparison.Ordinal));
        Assert.Matches(@"^TOTAL\s+11\s+90\.9 %", Assert.Single(lines, l => l.StartsWith("TOTAL", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Stats_EmptyDatabase_SaysNoRequestsAndExits0()
    {
        var connection = $"Data Source={Path.Combine(_directory, "empty.db")}";
        var (code, output, error) = await RunAsync("stats", $"--Portal:Storage:ConnectionString={connection}");
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

    [Fact]
    public async Task Serve_StrayArgument_Exits1WithoutStarting()
    {
        var (code, _, error) = await RunAsync("sever");
        Assert.Equal(1, code);
        Assert.Contains("'sever'", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("24h", 86400)]
    [InlineData("7d", 604800)]
    [InlineData("01:00:00", 3600)]
    public void TryParseDuration_ValidText_ReturnsDuration(string text, int seconds)
    {
        Assert.True(PortalCli.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
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
