using Portal.Health;

namespace Portal.Tests.Health;

public sealed class BackoffTests
{
    private static readonly BackoffOptions Defaults = new();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    [InlineData(8, 128)]
    [InlineData(9, 256)]
    [InlineData(10, 300)]
    [InlineData(11, 300)]
    public void Compute_DefaultOptions_DoublesFromOneSecondUpToCap(int failures, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.Compute(failures, Defaults));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Compute_NoFailuresYet_ReturnsInitialDelay(int failures)
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Compute(failures, Defaults));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(1025)]
    [InlineData(int.MaxValue)]
    public void Compute_HugeFailureCount_ReturnsCapWithoutOverflow(int failures)
    {
        Assert.Equal(TimeSpan.FromSeconds(300), Backoff.Compute(failures, Defaults));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void Compute_HugeFailureCountWithMaximalCap_ReturnsCapWithoutOverflow(int failures)
    {
        var options = new BackoffOptions { MaxDelay = TimeSpan.MaxValue };

        Assert.Equal(TimeSpan.MaxValue, Backoff.Compute(failures, options));
    }

    [Theory]
    [InlineData(1, 500)]
    [InlineData(2, 1500)]
    [InlineData(3, 4500)]
    [InlineData(4, 10_000)]
    [InlineData(100, 10_000)]
    public void Compute_CustomInitialAndMultiplier_FollowsSchedule(int failures, int expectedMilliseconds)
    {
        var options = new BackoffOptions
        {
            InitialDelay = TimeSpan.FromMilliseconds(500),
            Multiplier = 3,
            MaxDelay = TimeSpan.FromSeconds(10),
        };

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), Backoff.Compute(failures, options));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(int.MaxValue)]
    public void Compute_MultiplierOne_KeepsInitialDelay(int failures)
    {
        var options = new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(5), Multiplier = 1 };

        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.Compute(failures, options));
    }

    [Fact]
    public void Validate_Defaults_DoesNotThrow()
    {
        new BackoffOptions().Validate();
        new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(3), MaxDelay = TimeSpan.FromSeconds(3), Multiplier = 1 }.Validate();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_NonPositiveInitialDelay_ThrowsNamingSetting(int seconds)
    {
        var options = new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(seconds) };

        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(BackoffOptions.InitialDelay), e.ParamName);
        Assert.Contains("Backoff.InitialDelay", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.99)]
    [InlineData(-2.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Validate_InvalidMultiplier_ThrowsNamingSetting(double multiplier)
    {
        var options = new BackoffOptions { Multiplier = multiplier };

        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(BackoffOptions.Multiplier), e.ParamName);
        Assert.Contains("Backoff.Multiplier", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MaxDelayBelowInitialDelay_ThrowsNamingSetting()
    {
        var options = new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(5) };

        var e = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Equal(nameof(BackoffOptions.MaxDelay), e.ParamName);
        Assert.Contains("Backoff.MaxDelay", e.Message, StringComparison.Ordinal);
    }
}
