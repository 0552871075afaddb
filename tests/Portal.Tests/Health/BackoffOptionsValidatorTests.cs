using Portal.Health;

namespace Portal.Tests.Health;

public sealed class BackoffOptionsValidatorTests
{
    private static readonly BackoffOptionsValidator Validator = new("Portal:Health:");

    [Fact]
    public void Validate_DefaultsAndEdgeValues_Succeed()
    {
        Assert.True(Validator.Validate(null, new BackoffOptions()).Succeeded);
        Assert.True(Validator.Validate(null, new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(3), MaxDelay = TimeSpan.FromSeconds(3), Multiplier = 1, Jitter = 0, MaxRetryAfter = TimeSpan.Zero }).Succeeded);
        Assert.True(Validator.Validate(null, new BackoffOptions { Jitter = 1, MaxRetryAfter = TimeSpan.FromDays(1), MaxDelay = TimeSpan.MaxValue }).Succeeded);
    }

    public static TheoryData<string, BackoffOptions> Invalid => new()
    {
        { "Portal:Health:InitialDelay must be positive (it is 00:00:00).", new BackoffOptions { InitialDelay = TimeSpan.Zero } },
        { "Portal:Health:InitialDelay must be positive (it is -00:00:01).", new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(-1) } },
        { "Portal:Health:Multiplier must be a finite number of at least 1 (it is 0.99).", new BackoffOptions { Multiplier = 0.99 } },
        { "Portal:Health:Multiplier must be a finite number of at least 1 (it is NaN).", new BackoffOptions { Multiplier = double.NaN } },
        { "Portal:Health:Multiplier must be a finite number of at least 1 (it is Infinity).", new BackoffOptions { Multiplier = double.PositiveInfinity } },
        { "Portal:Health:Multiplier must be a finite number of at least 1 (it is -Infinity).", new BackoffOptions { Multiplier = double.NegativeInfinity } },
        { "Portal:Health:MaxDelay must be at least Portal:Health:InitialDelay (it is 00:00:05, Portal:Health:InitialDelay is 00:00:10).", new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(5) } },
        { "Portal:Health:Jitter must be between 0 and 1 (it is 1.5).", new BackoffOptions { Jitter = 1.5 } },
        { "Portal:Health:Jitter must be between 0 and 1 (it is -0.1).", new BackoffOptions { Jitter = -0.1 } },
        { "Portal:Health:Jitter must be between 0 and 1 (it is NaN).", new BackoffOptions { Jitter = double.NaN } },
        { "Portal:Health:MaxRetryAfter must be between 0 and 1 day (it is -00:00:01).", new BackoffOptions { MaxRetryAfter = TimeSpan.FromSeconds(-1) } },
        { "Portal:Health:MaxRetryAfter must be between 0 and 1 day (it is 1.00:00:01).", new BackoffOptions { MaxRetryAfter = TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1) } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidSetting_FailsWithOneMessageNamingIt(string expected, BackoffOptions options)
    {
        var result = Validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(expected, Assert.Single(result.Failures!));
    }

    [Fact]
    public void Validate_SeveralInvalidSettings_ReportsEach()
    {
        var result = Validator.Validate(null, new BackoffOptions { InitialDelay = TimeSpan.Zero, Jitter = 2 });

        Assert.Equal(2, result.Failures!.Count());
    }
}
