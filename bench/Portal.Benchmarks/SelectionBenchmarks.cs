using BenchmarkDotNet.Attributes;
using Portal.Selection;

namespace Portal.Benchmarks;

/// <summary>One channel selection among N usable candidates, per strategy.</summary>
/// <remarks>
/// Every key has succeeded once (health Available), the steady state of a running gateway: the random selector then
/// scans for untried keys, finds none and picks uniformly; the LRU selector scans for the oldest and claims it.
/// Target: under 1 µs and 0 B allocated per selection at 100 channels.
/// </remarks>
[MemoryDiagnoser]
public class SelectionBenchmarks
{
    private Channel[] _channels = [];
    private IChannelSelector _selector = null!;

    /// <summary>How many usable candidates the selector chooses among.</summary>
    [Params(10, 100, 1_000)]
    public int Channels { get; set; }

    /// <summary>The selection strategy.</summary>
    [Params(SelectorStrategies.Random, SelectorStrategies.Lru)]
    public string Strategy { get; set; } = SelectorStrategies.Random;

    [GlobalSetup]
    public void Setup()
    {
        var platform = new Platform { Id = 1, Name = "bench", Format = "openai", BaseUrl = "http://127.0.0.1:1" };
        var model = new Model { Id = 1, PlatformId = 1, Name = "gpt-bench" };
        var now = DateTimeOffset.UnixEpoch;
        _channels = new Channel[Channels];
        for (var i = 0; i < _channels.Length; i++)
        {
            var key = new ApiKey { Id = i + 1, PlatformId = 1, Value = $"sk-bench-{i:D6}-0123456789abcdef" };
            var channel = new Channel(platform, model, key);
            channel.KeyHealth.RecordSuccess(now);
            _channels[i] = channel;
        }

        _selector = Strategy switch
        {
            SelectorStrategies.Random => new RandomChannelSelector(),
            SelectorStrategies.Lru => new LruChannelSelector(),
            _ => throw new InvalidOperationException($"Unknown strategy '{Strategy}'."),
        };
    }

    /// <summary>Chooses one channel.</summary>
    [Benchmark]
    public int Select() => _selector.Select(_channels);
}
