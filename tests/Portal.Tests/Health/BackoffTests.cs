using Portal.Health;
using Portal.Internal;

namespace Portal.Tests.Health;

public sealed class BackoffTests
{
    /// <summary>The schedule itself: jitter off.</summary>
    private static readonly BackoffOptions Defaults = new() { Jitter = 0 };

    /// <summary>A source that must not be asked: with jitter off nothing is drawn.</summary>
    private static readonly RandomSource Unused = new(new ThrowingRandom());

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
    public void Compute_DefaultScheduleWithoutJitter_DoublesFromOneSecondUpToCap(int failures, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Backoff.Compute(failures, Defaults, Unused));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Compute_NoFailuresYet_ReturnsInitialDelay(int failures)
    {
        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Compute(failures, Defaults, Unused));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(1000)]
    [InlineData(1025)]
    [InlineData(int.MaxValue)]
    public void Compute_HugeFailureCount_ReturnsCapWithoutOverflow(int failures)
    {
        Assert.Equal(TimeSpan.FromSeconds(300), Backoff.Compute(failures, Defaults, Unused));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(int.MaxValue)]
    public void Compute_HugeFailureCountWithMaximalCap_ReturnsCapWithoutOverflow(int failures)
    {
        var options = new BackoffOptions { MaxDelay = TimeSpan.MaxValue, Jitter = 0 };

        Assert.Equal(TimeSpan.MaxValue, Backoff.Compute(failures, options, Unused));
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
            Jitter = 0,
        };

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), Backoff.Compute(failures, options, Unused));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(50)]
    [InlineData(int.MaxValue)]
    public void Compute_MultiplierOne_KeepsInitialDelay(int failures)
    {
        var options = new BackoffOptions { InitialDelay = TimeSpan.FromSeconds(5), Multiplier = 1, Jitter = 0 };

        Assert.Equal(TimeSpan.FromSeconds(5), Backoff.Compute(failures, options, Unused));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(5, 16)]
    [InlineData(9, 256)]
    public void Compute_DefaultJitter_StaysWithinTwentyPercentAndSpreads(int failures, int scheduleSeconds)
    {
        var random = new RandomSource(new Random(1234));
        var schedule = TimeSpan.FromSeconds(scheduleSeconds);

        var delays = Enumerable.Range(0, 500).Select(_ => Backoff.Compute(failures, new BackoffOptions(), random)).ToList();

        Assert.All(delays, d => Assert.InRange(d, schedule * 0.8, schedule * 1.2));
        Assert.True(delays.Min() < schedule * 0.85, $"The shortest of 500 delays, {delays.Min()}, should reach near 80 % of {schedule}.");
        Assert.True(delays.Max() > schedule * 1.15, $"The longest of 500 delays, {delays.Max()}, should reach near 120 % of {schedule}.");
        Assert.True(delays.Distinct().Count() > 400, "Jittered delays should hardly ever repeat.");
    }

    [Fact]
    public void Compute_JitterAtTheCap_NeverExceedsMaxDelay()
    {
        var random = new RandomSource(new Random(99));
        var cap = new BackoffOptions().MaxDelay;

        var delays = Enumerable.Range(0, 500).Select(_ => Backoff.Compute(20, new BackoffOptions(), random)).ToList();

        Assert.All(delays, d => Assert.InRange(d, cap * 0.8, cap));
        Assert.Contains(delays, d => d < cap * 0.9);
    }

    [Fact]
    public void Compute_SameSeed_SameDelays()
    {
        var first = new RandomSource(new Random(7));
        var second = new RandomSource(new Random(7));

        var a = Enumerable.Range(1, 12).Select(n => Backoff.Compute(n, new BackoffOptions(), first));
        var b = Enumerable.Range(1, 12).Select(n => Backoff.Compute(n, new BackoffOptions(), second));

        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Compute_CustomJitter_StaysWithinItsFraction(double jitter)
    {
        var random = new RandomSource(new Random(5));
        var options = new BackoffOptions { Jitter = jitter };

        var delays = Enumerable.Range(0, 500).Select(_ => Backoff.Compute(3, options, random)).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromSeconds(4 * (1 - jitter)), TimeSpan.FromSeconds(4 * (1 + jitter))));
        Assert.Contains(delays, d => d < TimeSpan.FromSeconds(4 * (1 - (jitter * 0.8))));
    }

    public static TheoryData<double, long, long> ExtremeSchedules => new()
    {
        // multiplier, initial delay ticks, max delay ticks
        { double.MaxValue, 1, TimeSpan.MaxValue.Ticks },
        { double.MaxValue, TimeSpan.MaxValue.Ticks, TimeSpan.MaxValue.Ticks },
        { 1e308, TimeSpan.TicksPerSecond, TimeSpan.TicksPerDay },
        { 1.0000001, 1, 2 },
        { 2, TimeSpan.MaxValue.Ticks / 2, TimeSpan.MaxValue.Ticks },
        { 10, TimeSpan.TicksPerDay, TimeSpan.MaxValue.Ticks },
    };

    [Theory]
    [MemberData(nameof(ExtremeSchedules))]
    public void Compute_ExtremeMultipliersAndCountsWithJitter_NeverNegativeNeverPastTheCap(double multiplier, long initialTicks, long maxTicks)
    {
        var options = new BackoffOptions
        {
            Multiplier = multiplier,
            InitialDelay = TimeSpan.FromTicks(initialTicks),
            MaxDelay = TimeSpan.FromTicks(maxTicks),
        };
        var random = new RandomSource(new Random(3));

        foreach (var failures in new[] { int.MinValue, 0, 1, 2, 3, 63, 64, 65, 1024, 1025, 100_000, int.MaxValue - 1, int.MaxValue })
        {
            for (var i = 0; i < 20; i++)
            {
                var delay = Backoff.Compute(failures, options, random);

                Assert.InRange(delay, TimeSpan.Zero, options.MaxDelay);
            }
        }
    }

    /// <summary>Fails the test if jitter is drawn where none should be.</summary>
    private sealed class ThrowingRandom : Random
    {
        public override double NextDouble() => throw new InvalidOperationException("No random number should be drawn.");

        public override int Next(int maxValue) => throw new InvalidOperationException("No random number should be drawn.");
    }
}
