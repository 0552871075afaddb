using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Portal.Server.Hosting;

namespace Portal.Server.Tests.Hosting;

public sealed class SettingsCheckTests
{
    /// <summary>The problems with <paramref name="settings"/>, against the sections the real server registers.</summary>
    private static IReadOnlyList<string> Problems(params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        builder.AddPortalServer();
        try
        {
            SettingsCheck.ThrowIfInvalid(builder.Configuration, builder.Services);
            return [];
        }
        catch (InvalidOperationException ex)
        {
            return ex.Message.Split(Environment.NewLine);
        }
    }

    [Theory]
    [InlineData("Portal:Auth:AdminTokens", "Portal:Auth:AdminToken")]
    [InlineData("Portal:Auth:ClientToken:0", "Portal:Auth:ClientTokens:0")]
    [InlineData("Portal:Gateway:MaxAttempt", "Portal:Gateway:MaxAttempts")]
    [InlineData("Portal:Gateway:AtemptTimeout", "Portal:Gateway:AttemptTimeout")]
    [InlineData("Portal:Limits:MaxRequestBodySize", "Portal:Limits:MaxRequestBodyBytes")]
    [InlineData("Portal:Shutdown:Timout", "Portal:Shutdown:Timeout")]
    [InlineData("Portal:Readiness:ProbeIntervall", "Portal:Readiness:ProbeInterval")]
    [InlineData("Portal:Storage:Provder", "Portal:Storage:Provider")]
    [InlineData("Portal:Storage:CacheTTLs", "Portal:Storage:CacheTtl")]
    [InlineData("Portal:ConfigFiles", "Portal:ConfigFile")]
    [InlineData("Portal:Gatway:MaxAttempts", "Portal:Gateway:MaxAttempts")]
    [InlineData("Portal:Gatway:MaxAttempt", "Portal:Gateway:MaxAttempts")]
    [InlineData("Portal:Storag:Provider", "Portal:Storage:Provider")]
    [InlineData("Portal:Health:MaxDelays", "Portal:Health:MaxDelay")]
    [InlineData("Portal:Health:Jiter", "Portal:Health:Jitter")]
    [InlineData("Portal:Helth:Multiplier", "Portal:Health:Multiplier")]
    [InlineData("Portal:Stats:BatchSise", "Portal:Stats:BatchSize")]
    [InlineData("Portal:Stat:QueueCapacity", "Portal:Stats:QueueCapacity")]
    public void UnknownSetting_SuggestsTheClosestKnownOne(string key, string suggestion)
    {
        var problem = Assert.Single(Problems((key, "1")));
        Assert.Equal($"unknown setting {key}; did you mean {suggestion}?", problem);
    }

    [Fact]
    public void UnknownSetting_NothingClose_ListsTheSectionsSettings()
    {
        var problem = Assert.Single(Problems(("Portal:Gateway:Retries", "2")));
        Assert.StartsWith("unknown setting Portal:Gateway:Retries; Portal:Gateway has MaxAttempts, RequestTimeout, AttemptTimeout, ", problem, StringComparison.Ordinal);
        Assert.Contains("HealthSyncInterval", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownSection_NothingClose_ListsTheSections()
    {
        var problem = Assert.Single(Problems(("Portal:Telemetry:Enabled", "true")));
        Assert.StartsWith("unknown setting Portal:Telemetry:Enabled; Portal has ", problem, StringComparison.Ordinal);
        var sections = problem["unknown setting Portal:Telemetry:Enabled; Portal has ".Length..].Split(", ");
        Assert.Superset(new HashSet<string> { "Auth", "Gateway", "Health", "Stats", "Limits", "Shutdown", "Readiness", "Storage", "ConfigFile" }, sections.ToHashSet());
    }

    [Fact]
    public void KnownSettings_AnyCaseListsAndOtherRoots_AreAccepted()
    {
        Assert.Empty(Problems(
            ("portal:gateway:maxattempts", "5"),
            ("Portal:Auth:ClientTokens:0", "a"),
            ("Portal:Auth:ClientTokens:1", "b"),
            ("Portal:Auth:AdminToken", "c"),
            ("Portal:ConfigFile", "/etc/portal/portal.json"),
            ("Portal:Storage:ConfigFile", "/etc/portal/portal.json"),
            ("Portal:Gateway:SelectorStrategy", "lru"),
            ("Portal:Gateway:RequestStreamUsage", "false"),
            ("Portal:Health:Multiplier", "1.5"),
            ("Portal:Health:Jitter", "0"),
            ("Portal:Stats:QueueCapacity", "1000"),
            ("Portal:Stats:BatchSize", "100"),
            ("Logging:LogLevel:Whatever", "Debug"),
            ("Kestrel:Endpoints:Http:Url", "http://127.0.0.1:0")));
    }

    [Theory]
    [InlineData("Portal:Gateway:AttemptTimeout")]
    [InlineData("Portal:Gateway:RequestTimeout")]
    [InlineData("Portal:Gateway:ConnectTimeout")]
    [InlineData("Portal:Gateway:HealthSyncInterval")]
    [InlineData("Portal:Health:InitialDelay")]
    [InlineData("Portal:Health:MaxDelay")]
    [InlineData("Portal:Health:MaxRetryAfter")]
    [InlineData("Portal:Stats:BatchDelay")]
    [InlineData("Portal:Stats:MaxRetryDelay")]
    [InlineData("Portal:Stats:FlushTimeout")]
    [InlineData("Portal:Shutdown:Timeout")]
    [InlineData("Portal:Readiness:StorageUnavailableAfter")]
    [InlineData("Portal:Readiness:ProbeInterval")]
    [InlineData("Portal:Storage:CacheTtl")]
    [InlineData("Portal:Storage:RetentionInterval")]
    public void EveryDurationSetting_AcceptsEveryFormAndNamesTheFormsWhenBad(string key)
    {
        foreach (var form in new[] { "250ms", "30s", "5m", "1h", "7d", "1.5h", "00:00:30", "1.12:00:00", "0" })
        {
            Assert.Empty(Problems((key, form)));
        }

        var problem = Assert.Single(Problems((key, "5x")));
        Assert.Equal($"{key}: '5x' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss", problem);
    }

    [Theory]
    [InlineData("Portal:Gateway:MaxAttempts", "three", "Portal:Gateway:MaxAttempts: 'three' is not a whole number")]
    [InlineData("Portal:Gateway:RequestStreamUsage", "yes", "Portal:Gateway:RequestStreamUsage: 'yes' is not true or false")]
    [InlineData("Portal:Storage:RetentionDays", "30d", "Portal:Storage:RetentionDays: '30d' is not a whole number")]
    [InlineData("Portal:Health:Jitter", "20%", "Portal:Health:Jitter: '20%' is not a number")]
    [InlineData("Portal:Stats:BatchSize", "1e3", "Portal:Stats:BatchSize: '1e3' is not a whole number")]
    public void ValueOfTheWrongType_NamesTheSettingAndWhatItTakes(string key, string value, string expected)
    {
        Assert.Equal(expected, Assert.Single(Problems((key, value))));
    }

    [Fact]
    public void SeveralProblems_AreAllReportedInKeyOrder()
    {
        var problems = Problems(("Portal:Shutdown:Timeout", "soon"), ("Portal:Gateway:MaxAttempt", "3"));

        Assert.Equal(2, problems.Count);
        Assert.StartsWith("unknown setting Portal:Gateway:MaxAttempt;", problems[0], StringComparison.Ordinal);
        Assert.StartsWith("Portal:Shutdown:Timeout: 'soon'", problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void NewSection_IsKnownOnceRegistered()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Portal:Cors:AllowedOrigins:0"] = "https://a.example",
            ["Portal:Cors:AllowedOrigin:0"] = "https://b.example",
            ["Portal:Cors:MaxAge"] = "10m",
        }).Build();

        var problems = SettingsCheck.Check(configuration, [new SettingsSection("Portal:Cors", typeof(CorsLikeOptions))]);

        Assert.Equal("unknown setting Portal:Cors:AllowedOrigin:0; did you mean Portal:Cors:AllowedOrigins:0?", Assert.Single(problems));
    }

    private sealed class CorsLikeOptions
    {
        public string[] AllowedOrigins { get; set; } = [];

        public TimeSpan MaxAge { get; set; }
    }
}
