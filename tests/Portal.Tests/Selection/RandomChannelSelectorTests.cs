using Portal.Selection;

namespace Portal.Tests.Selection;

public sealed class RandomChannelSelectorTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly RandomChannelSelector _selector = new();

    [Fact]
    public void Name_IsRandom()
    {
        Assert.Equal(SelectorStrategies.Random, _selector.Name);
    }

    [Fact]
    public void Select_SingleCandidate_ReturnsIt()
    {
        var channels = CreateChannels(1);

        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(0, _selector.Select(channels));
        }
    }

    [Fact]
    public void Select_SomeKeysUnknown_OnlyUnknownPicked()
    {
        int[] tried = [0, 2, 3, 5, 6, 8];
        int[] untried = [1, 4, 7, 9];
        var channels = CreateChannels(10);
        foreach (var i in tried)
        {
            channels[i].KeyHealth.RecordSuccess(Now);
        }

        var counts = Draw(channels, 10_000);

        Assert.All(tried, i => Assert.Equal(0, counts[i]));
        Assert.All(untried, i => Assert.True(counts[i] > 0, $"Unknown channel {i} was never picked."));
    }

    [Fact]
    public void Select_OneUnknownAmongAvailable_AlwaysPicksIt()
    {
        var channels = CreateChannels(5);
        for (var i = 0; i < channels.Length; i++)
        {
            if (i != 3)
            {
                channels[i].KeyHealth.RecordSuccess(Now);
            }
        }

        for (var i = 0; i < 1_000; i++)
        {
            Assert.Equal(3, _selector.Select(channels));
        }
    }

    [Fact]
    public void Select_NoKeyUnknown_EveryChannelPicked()
    {
        var channels = CreateChannels(10);
        foreach (var channel in channels)
        {
            channel.KeyHealth.RecordSuccess(Now);
        }

        var counts = Draw(channels, 1_000);

        Assert.All(counts, c => Assert.True(c > 0, "A channel was never picked in 1,000 draws."));
        Assert.Equal(1_000, counts.Sum());
    }

    [Fact]
    public void Select_AllKeysUnknown_EveryChannelPicked()
    {
        var channels = CreateChannels(10);

        var counts = Draw(channels, 1_000);

        Assert.All(counts, c => Assert.True(c > 0, "A channel was never picked in 1,000 draws."));
    }

    [Fact]
    public void Select_KeyStatusWarningOrAvailable_TreatedAlikeAsTried()
    {
        var channels = CreateChannels(3);
        channels[0].KeyHealth.RecordSuccess(Now);
        channels[1].KeyHealth.RecordFailure(Now.AddMinutes(-10), "boom", 500, null, new Portal.Health.BackoffOptions());

        var counts = Draw(channels, 1_000);

        Assert.Equal(1_000, counts[2]);
    }

    [Fact]
    public void Select_ManySelections_DoesNotAllocate()
    {
        var channels = CreateChannels(100);
        for (var i = 0; i < channels.Length; i += 2)
        {
            channels[i].KeyHealth.RecordSuccess(Now); // half Unknown: both passes run
        }

        var allAvailable = CreateChannels(100);
        foreach (var channel in allAvailable)
        {
            channel.KeyHealth.RecordSuccess(Now);
        }

        // Warm up: the first use of Random.Shared on a thread allocates its state.
        _selector.Select(channels);
        _selector.Select(allAvailable);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0;
        for (var i = 0; i < 10_000; i++)
        {
            sum += _selector.Select(channels);
            sum += _selector.Select(allAvailable);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sum > 0);
    }

    private int[] Draw(Channel[] channels, int draws)
    {
        var counts = new int[channels.Length];
        for (var i = 0; i < draws; i++)
        {
            counts[_selector.Select(channels)]++;
        }

        return counts;
    }

    private static Channel[] CreateChannels(int count)
    {
        var platform = new Platform { Id = 1, Name = "p", Format = "openai", BaseUrl = "https://example.test" };
        var model = new Model { Id = 1, PlatformId = 1, Name = "m" };
        return [.. Enumerable.Range(1, count).Select(i => new Channel(platform, model, new ApiKey { Id = i, PlatformId = 1, Value = "sk-test-" + i }))];
    }
}
