using Portal.Storage.Internal;

namespace Portal.Storage.Tests.Internal;

public sealed class FairShareYieldTests
{
    [Fact]
    public void Step_IdleCore_YieldsAfterEveryUnitOfWork()
    {
        var clock = new FakeCore(yieldCost: 0);
        var fairShare = clock.Create();

        var yields = Enumerable.Range(0, 50).Count(_ => clock.WorkThen(fairShare, workCost: 10));

        Assert.Equal(50, yields);
    }

    // A yield on an idle core returns at once, but is a system call all the same: one per quantum of work, not per unit.
    [Fact]
    public void Step_IdleCore_YieldsOncePerQuantumOfWork()
    {
        var clock = new FakeCore(yieldCost: 0);
        var fairShare = clock.Create(quantum: 100);

        var yields = Enumerable.Range(0, 50).Count(_ => clock.WorkThen(fairShare, workCost: 10));

        Assert.Equal(5, yields);
    }

    [Fact]
    public void Step_BusyCoreWithAQuantum_StillKeepsAboutHalfTheCore()
    {
        var clock = new FakeCore(yieldCost: 100);
        var fairShare = clock.Create(quantum: 50);

        var yields = Enumerable.Range(0, 1_000).Count(_ => clock.WorkThen(fairShare, workCost: 10));

        Assert.InRange(yields, 90, 100);
        Assert.InRange(clock.YieldedTime, clock.WorkTime - 100, clock.WorkTime + 100);
    }

    [Fact]
    public void Step_NoWorkYet_DoesNotYield()
    {
        var clock = new FakeCore(yieldCost: 0);
        var fairShare = clock.Create();

        Assert.False(fairShare.Step());
        Assert.Equal(0, clock.Yields);
    }

    // Other threads run for 100 units whenever the loop yields: the loop keeps yielding, but only once it has worked
    // as long as it has given away, so it keeps about half the core and its batch still finishes.
    [Fact]
    public void Step_BusyCore_YieldsOnlyWhileItHasWorkedMoreThanItGaveAway()
    {
        var clock = new FakeCore(yieldCost: 100);
        var fairShare = clock.Create();

        var yields = Enumerable.Range(0, 1_000).Count(_ => clock.WorkThen(fairShare, workCost: 10));

        Assert.InRange(yields, 90, 100); // 10,000 units of work, 100 given away per yield
        Assert.InRange(clock.YieldedTime, clock.WorkTime - 100, clock.WorkTime + 100);
    }

    // A yield that comes back late once (a long request ran) is paid back by working unyielded for as long.
    [Fact]
    public void Step_OneLongYield_NoFurtherYieldUntilWorkCatchesUp()
    {
        var clock = new FakeCore(yieldCost: 0);
        var fairShare = clock.Create();
        clock.WorkThen(fairShare, workCost: 10);
        clock.YieldCost = 500;
        Assert.True(clock.WorkThen(fairShare, workCost: 10));
        clock.YieldCost = 0;

        var unyielded = 0;
        while (!clock.WorkThen(fairShare, workCost: 10))
        {
            unyielded++;
        }

        Assert.Equal(48, unyielded); // 500 units given away, paid back in steps of 10 (the first 20 of work came before)
    }

    /// <summary>A fake clock: work and yields advance it by the given costs.</summary>
    private sealed class FakeCore(long yieldCost)
    {
        private long _now;

        public long YieldCost { get; set; } = yieldCost;

        public int Yields { get; private set; }

        public long WorkTime { get; private set; }

        public long YieldedTime { get; private set; }

        public FairShareYield Create(long quantum = 0) => new(() => _now, () =>
        {
            Yields++;
            _now += YieldCost;
            YieldedTime += YieldCost;
        }, quantum);

        public bool WorkThen(FairShareYield fairShare, long workCost)
        {
            _now += workCost;
            WorkTime += workCost;
            return fairShare.Step();
        }
    }
}
