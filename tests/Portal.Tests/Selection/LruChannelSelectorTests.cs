using Portal.Internal;
using Portal.Routing;
using Portal.Selection;

namespace Portal.Tests.Selection;

public sealed class LruChannelSelectorTests
{
    private readonly LruChannelSelector _selector = new();
    private readonly RoutingTable _routing = new();
    private readonly RandomSource _random = new(new Random(20261207));
    private readonly PortalRequestContext _request = new();

    [Fact]
    public void Name_IsLru()
    {
        Assert.Equal(SelectorStrategies.Lru, _selector.Name);
    }

    [Fact]
    public void Select_NeverUsedChannels_PickedInCandidateOrder()
    {
        var channels = CreateChannels(4);

        var picks = Enumerable.Range(0, 4).Select(_ => Select(channels)).ToArray();

        Assert.Equal(new[] { 0, 1, 2, 3 }, picks);
    }

    [Fact]
    public void Select_RepeatedOverN_CyclesRoundRobin()
    {
        var channels = CreateChannels(5);

        var picks = Enumerable.Range(0, 15).Select(_ => Select(channels)).ToArray();

        Assert.Equal(new[] { 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4 }, picks);
    }

    [Fact]
    public void Select_AllUsed_PicksLeastRecentlyUsed()
    {
        var all = CreateChannels(3); // a, b, c
        Select(all); // a
        Select(all); // b
        Select(all); // c
        Select(new[] { all[0] }); // a used again: b is now the least recently used

        Assert.Equal(1, Select(all));
        Assert.Equal(2, Select(all));
        Assert.Equal(0, Select(all));
    }

    [Fact]
    public void Select_SubsetOfCandidates_ChoosesLeastRecentlyUsedAmongThem()
    {
        var all = CreateChannels(3);
        Select(all); // a
        Select(all); // b
        Select(all); // c

        // Candidates in another order: the index refers to the span passed in.
        Assert.Equal(1, Select(new[] { all[2], all[0] }));
    }

    [Fact]
    public void Select_NeverUsedAmongUsed_NeverUsedFirst()
    {
        var all = CreateChannels(3);
        Select(new[] { all[0], all[1] });
        Select(new[] { all[0], all[1] });

        Assert.Equal(2, Select(all));
    }

    [Fact]
    public void Select_SingleCandidate_ReturnsIt()
    {
        var channels = CreateChannels(1);

        Assert.Equal(0, Select(channels));
        Assert.Equal(0, Select(channels));
    }

    [Fact]
    public void Select_ConcurrentThreads_SpreadsEvenlyWithoutErrors()
    {
        const int Threads = 8;
        const int SelectionsPerThread = 10_000;
        var channels = CreateChannels(10);
        var counts = new int[Threads][];
        using var start = new Barrier(Threads);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();

        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var local = counts[t] = new int[channels.Length];
            var routes = Routes(channels);
            try
            {
                start.SignalAndWait();
                for (var i = 0; i < SelectionsPerThread; i++)
                {
                    local[Select(channels, routes)]++;
                }
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        const int Total = Threads * SelectionsPerThread;
        for (var c = 0; c < channels.Length; c++)
        {
            var selected = counts.Sum(local => local[c]);
            Assert.InRange(selected, Total * 9 / 100, Total * 11 / 100);
        }
    }

    [Fact]
    public void Select_ManySelections_DoesNotAllocate()
    {
        var channels = CreateChannels(100);
        var routes = Routes(channels);
        Select(channels, routes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0;
        for (var i = 0; i < 10_000; i++)
        {
            sum += Select(channels, routes);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sum > 0);
    }

    private int Select(Channel[] candidates) => Select(candidates, Routes(candidates));

    private int Select(Channel[] candidates, ChannelRoute[] routes)
    {
        var selection = new ChannelSelection(candidates, routes, _request, _random);
        return _selector.Select(in selection);
    }

    private ChannelRoute[] Routes(Channel[] candidates) => [.. candidates.Select(_routing.Get)];

    private static Channel[] CreateChannels(int count)
    {
        var platform = new Platform { Id = 1, Name = "p", Format = "openai", BaseUrl = "https://example.test" };
        var model = new Model { Id = 1, PlatformId = 1, Name = "m" };
        return [.. Enumerable.Range(1, count).Select(i => new Channel(platform, model, new ApiKey { Id = i, PlatformId = 1, Value = "sk-test-" + i }))];
    }
}
