using Microsoft.Data.Sqlite;
using Portal.Server.Cli;
using Portal.Storage;

namespace Portal.Server.Tests.Cli;

/// <summary><c>portal stats</c>: requests and attempts apart, per model, platform or key.</summary>
public sealed class StatsCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "portal-stats-test-" + Guid.NewGuid().ToString("N"));

    public StatsCommandTests() => Directory.CreateDirectory(_directory);

    private string Connection => $"Data Source={Path.Combine(_directory, "portal.db")}";

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

    [Fact]
    public async Task Stats_FailoverServedOnSecondAttempt_PrintsOneServedRequestOfTwoAttempts()
    {
        await SeedAsync();

        var (code, output, error) = await RunAsync("stats", $"--Portal:Storage:ConnectionString={Connection}");

        Assert.True(code == 0, error);
        Assert.Contains("per model:", output, StringComparison.Ordinal);
        var lines = Lines(output);
        Assert.Matches(@"^MODEL\s+REQUESTS\s+SERVED\s+FAILOVERS\s+ATTEMPTS\s+FAILED ATTEMPTS\s+P50\s+P95\s+PROMPT TOKENS\s+COMPLETION TOKENS\s+CACHED INPUT TOKENS\s+CACHE WRITE TOKENS$", lines[1]);

        // m: the failover (2 attempts, served), a request served at once, and an old row without request id (failed).
        Assert.Matches(@"^m\s+3\s+66\.7 %\s+1\s+4\s+2\s", Assert.Single(lines, l => l.StartsWith("m ", StringComparison.Ordinal)));
        Assert.Matches(@"^TOTAL\s+3\s+66\.7 %\s+1\s+4\s+2\s", Assert.Single(lines, l => l.StartsWith("TOTAL", StringComparison.Ordinal)));
        Assert.Contains("Attempts are upstream calls", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_CacheTokens_PrintsTheirSumsPerRowAndInTheTotal()
    {
        await SeedAsync();

        var (code, output, error) = await RunAsync("stats", "--group-by", "platform", $"--Portal:Storage:ConnectionString={Connection}");

        Assert.True(code == 0, error);
        var lines = Lines(output);

        // Prompt, completion, cached input and cache write tokens are the last four columns; rows without them add 0.
        Assert.Matches(@"^alpha\s.*\s120\s+0\s+5\s+0$", Assert.Single(lines, l => l.StartsWith("alpha ", StringComparison.Ordinal)));
        Assert.Matches(@"^beta\s.*\s200\s+0\s+30\s+10$", Assert.Single(lines, l => l.StartsWith("beta ", StringComparison.Ordinal)));
        Assert.Matches(@"^TOTAL\s.*\s320\s+0\s+35\s+10$", Assert.Single(lines, l => l.StartsWith("TOTAL", StringComparison.Ordinal)));
        Assert.Contains("cached input and cache write tokens are part of the prompt tokens", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_GroupByPlatform_PrintsOneRowPerPlatformByNameAndTheTotalOnce()
    {
        await SeedAsync();

        var (code, output, error) = await RunAsync("stats", "--group-by", "platform", $"--Portal:Storage:ConnectionString={Connection}");

        Assert.True(code == 0, error);
        Assert.Contains("per platform:", output, StringComparison.Ordinal);
        var lines = Lines(output);
        Assert.StartsWith("PLATFORM ", lines[1], StringComparison.Ordinal);

        // The failover tried alpha, then was served by beta: a request on both, served and a failover on beta only.
        Assert.Matches(@"^alpha\s+3\s+33\.3 %\s+0\s+3\s+2\s", Assert.Single(lines, l => l.StartsWith("alpha ", StringComparison.Ordinal)));
        Assert.Matches(@"^beta\s+1\s+100\.0 %\s+1\s+1\s+0\s", Assert.Single(lines, l => l.StartsWith("beta ", StringComparison.Ordinal)));
        Assert.Matches(@"^TOTAL\s+3\s+66\.7 %\s+1\s+4\s+2\s", Assert.Single(lines, l => l.StartsWith("TOTAL", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.StartsWith("m ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stats_GroupByKey_NamesEachKeyWithItsPlatform()
    {
        await SeedAsync();

        var (code, output, error) = await RunAsync("stats", "--group-by", "key", $"--Portal:Storage:ConnectionString={Connection}");

        Assert.True(code == 0, error);
        Assert.Contains("per key:", output, StringComparison.Ordinal);
        var lines = Lines(output);
        Assert.StartsWith("KEY ", lines[1], StringComparison.Ordinal);
        Assert.Single(lines, l => l.Contains("(alpha)", StringComparison.Ordinal));
        Assert.Single(lines, l => l.Contains("(beta)", StringComparison.Ordinal));
        Assert.DoesNotContain("0123456789", output, StringComparison.Ordinal); // masked, never the value
    }

    [Fact]
    public async Task Stats_UnknownGrouping_Exits1NamingTheChoices()
    {
        var (code, _, error) = await RunAsync("stats", "--group-by", "user", $"--Portal:Storage:ConnectionString={Connection}");

        Assert.NotEqual(0, code);
        Assert.Contains("user", error, StringComparison.Ordinal);
        Assert.Contains("platform", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_DescribesGroupBy()
    {
        var (code, output, _) = await RunAsync("stats", "--help");

        Assert.Equal(0, code);
        Assert.Contains("--group-by", output, StringComparison.Ordinal);
        Assert.Contains("model|platform|key", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PortalCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// Platforms alpha and beta with a key each; in the last hour, model m: a request that failed on alpha and was
    /// served by beta (200 prompt tokens, 30 of them cached and 10 written to the cache), one served by alpha at once
    /// (120 prompt tokens, 5 cached), and a row without request id that failed on alpha.
    /// </summary>
    private async Task SeedAsync()
    {
        await using var repository = await EfPortalRepository.OpenAsync(new StorageOptions { ConnectionString = Connection, RetentionDays = 0 });
        var alpha = await repository.AddPlatformAsync(new Platform { Name = "alpha", Format = "openai", BaseUrl = "https://alpha.test" });
        var beta = await repository.AddPlatformAsync(new Platform { Name = "beta", Format = "openai", BaseUrl = "https://beta.test" });
        var alphaKey = await repository.AddApiKeyAsync(new ApiKey { PlatformId = alpha.Id, Value = "sk-alpha-0123456789abcd" });
        var betaKey = await repository.AddApiKeyAsync(new ApiKey { PlatformId = beta.Id, Value = "sk-beta-0123456789wxyz" });
        var at = DateTimeOffset.UtcNow.AddMinutes(-10);
        await repository.SaveRequestStatsAsync(
        [
            Stat(at, alphaKey, success: false) with { RequestId = "0190000000000000000000000000000a", Attempt = 1 },
            Stat(at.AddSeconds(1), betaKey, success: true) with { RequestId = "0190000000000000000000000000000a", Attempt = 2, PromptTokens = 200, CachedInputTokens = 30, CacheWriteTokens = 10 },
            Stat(at.AddSeconds(2), alphaKey, success: true) with { RequestId = "0190000000000000000000000000000b", Attempt = 1, PromptTokens = 120, CachedInputTokens = 5 },
            Stat(at.AddSeconds(3), alphaKey, success: false),
        ], CancellationToken.None);
    }

    private static RequestStat Stat(DateTimeOffset at, ApiKey key, bool success) => new()
    {
        Id = Guid.CreateVersion7(at).ToString("N"),
        Timestamp = at,
        ModelName = "m",
        PlatformId = key.PlatformId,
        ApiKeyId = key.Id,
        ModelId = 1,
        Duration = TimeSpan.FromMilliseconds(100),
        Success = success,
        StatusCode = success ? 200 : 500,
    };
}
