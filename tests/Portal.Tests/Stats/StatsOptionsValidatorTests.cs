using Portal.Stats;

namespace Portal.Tests.Stats;

public sealed class StatsOptionsValidatorTests
{
    private static readonly StatsOptionsValidator Validator = new("Portal:Stats:");

    [Fact]
    public void Validate_DefaultsAndEdgeValues_Succeed()
    {
        Assert.True(Validator.Validate(null, new StatsOptions()).Succeeded);
        Assert.True(Validator.Validate(null, new StatsOptions { QueueCapacity = 1, BatchSize = 1, BatchDelay = TimeSpan.Zero, FlushTimeout = TimeSpan.Zero }).Succeeded);
        Assert.True(Validator.Validate(null, new StatsOptions { BatchDelay = TimeSpan.FromMinutes(1) }).Succeeded);
    }

    public static TheoryData<string, StatsOptions> Invalid => new()
    {
        { "Portal:Stats:QueueCapacity must be at least 1 (it is 0).", new StatsOptions { QueueCapacity = 0 } },
        { "Portal:Stats:BatchSize must be at least 1 (it is -3).", new StatsOptions { BatchSize = -3 } },
        { "Portal:Stats:BatchDelay must be between 0 and 1 minute (it is -00:00:01).", new StatsOptions { BatchDelay = TimeSpan.FromSeconds(-1) } },
        { "Portal:Stats:BatchDelay must be between 0 and 1 minute (it is 00:01:00.0010000).", new StatsOptions { BatchDelay = TimeSpan.FromMilliseconds(60_001) } },
        { "Portal:Stats:MaxRetryDelay must be positive (it is 00:00:00).", new StatsOptions { MaxRetryDelay = TimeSpan.Zero } },
        { "Portal:Stats:FlushTimeout must not be negative (it is -00:00:01).", new StatsOptions { FlushTimeout = TimeSpan.FromSeconds(-1) } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidSetting_FailsWithOneMessageNamingIt(string expected, StatsOptions options)
    {
        var result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(expected, Assert.Single(result.Failures!));
    }
}
