using System.Collections.Concurrent;
using Portal.Contracts;
using Portal.Providers;
using Portal.Selection;
using Portal.Testing;

namespace Portal.Tests.Gateway;

/// <summary>The request context: what selectors see of a request and its candidates, and what stat rows record of it.</summary>
public sealed class RequestContextTests
{
    private const string Alias = "chat";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Context_ReachesTheSelectorAtEveryAttemptAndEveryStatRow(bool stream)
    {
        // Model 10 fails with 503 (platform 1 is blamed, the request fails over), model 20 on platform 2 answers.
        var repository = TwoPlatforms("mock-error-503", "mock-ok");
        var selector = new RecordingSelector();
        await using var gateway = Create(repository, selector);
        var context = new PortalRequestContext
        {
            Protocol = "test-protocol",
            Caller = "team-a",
            SessionKey = "session-1",
            Tags = new Dictionary<string, string> { ["tier"] = "gold" },
        };

        await SendAsync(gateway, RepositorySeed.Chat(Alias), context, stream);

        Assert.Collection(
            selector.Seen,
            first =>
            {
                Assert.Equal((0, 0, 2), (first.Attempt, first.Tried, first.Candidates));
                Assert.Equal(("test-protocol", "team-a", "session-1", "gold", Alias), (first.Protocol, first.Caller, first.Session, first.Tier, first.Model));
            },
            second => Assert.Equal((1, 1, 1), (second.Attempt, second.Tried, second.Candidates)));
        Assert.Equal(2, context.Attempt);
        Assert.Equal(new long[] { 10, 20 }, context.TriedChannels.ToArray().Select(c => c.Model.Id));
        var rows = await gateway.QueryStatsAsync(new StatsQuery { RequestId = context.RequestId });
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row => Assert.Equal(("test-protocol", "team-a", context.RequestId), (row.Protocol, row.Caller, row.RequestId)));
        Assert.Equal(new[] { 1, 2 }, rows.Select(r => r.Attempt));
    }

    [Fact]
    public async Task StatRows_IdsAreVersion7GuidsOfTheirAttemptsStart()
    {
        var repository = TwoPlatforms("mock-error-503", "mock-ok");
        await using var gateway = Create(repository, new RecordingSelector());
        var context = new PortalRequestContext();

        await SendAsync(gateway, RepositorySeed.Chat(Alias), context, stream: false);

        var rows = await gateway.QueryStatsAsync(new StatsQuery { RequestId = context.RequestId });
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Equal(7, Guid.ParseExact(row.Id, "N").Version);
            Assert.Equal(row.Timestamp.ToUnixTimeMilliseconds(), Internal.TimeOrderedIdTests.MillisecondsOf(row.Id));
        });
        Assert.NotEqual(rows[0].Id, rows[1].Id);
    }

    [Fact]
    public async Task DefaultContext_RecordsTheOpenAIChatProtocolAndNoCaller()
    {
        await using var gateway = Create(TwoPlatforms("mock-ok", "mock-ok"), new RecordingSelector());

        await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias));

        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.Equal(InboundProtocols.OpenAIChat, row.Protocol);
        Assert.Null(row.Caller);
    }

    [Fact]
    public async Task Context_UsedForASecondRequest_Throws()
    {
        await using var gateway = Create(TwoPlatforms("mock-ok", "mock-ok"), new RecordingSelector());
        var context = new PortalRequestContext();
        await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias), context);

        var exception = await Assert.ThrowsAsync<InvalidOperationException>(() => gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias), context));

        Assert.Contains("one per request", exception.Message, StringComparison.Ordinal);
        Assert.Equal(0, gateway.InFlightRequests);
    }

    [Fact]
    public async Task Load_ShowsAttemptsInFlightAndLatencyAfterASuccess()
    {
        var selector = new RecordingSelector();
        await using var gateway = Create(TwoPlatforms("mock-ok", "mock-ok"), selector);

        // Before anything ran: nothing in flight, no latency known.
        await using (var open = gateway.StreamChatCompletionAsync(RepositorySeed.Chat(Alias)).GetAsyncEnumerator())
        {
            Assert.True(await open.MoveNextAsync()); // committed and still running on model 10's channel

            await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias));
        }

        await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias));

        Assert.Equal(3, selector.Seen.Count);
        Assert.Equal((0, null), (selector.Seen[0].FirstInFlight, selector.Seen[0].FirstLatency));
        Assert.Equal(1, selector.Seen[1].FirstInFlight);
        Assert.Equal(0, selector.Seen[2].FirstInFlight);
        Assert.NotNull(selector.Seen[2].FirstLatency);
    }

    [Fact]
    public async Task SeededRandom_SameSeedSameChoices()
    {
        static async Task<long[]> RunAsync(int seed)
        {
            var repository = new InMemoryPortalRepository();
            repository.Add(new Platform { Id = 1, Name = "p", Format = PlatformFormats.Mock, BaseUrl = "mock://local" });
            repository.Add(new Model { Id = 10, PlatformId = 1, Name = "mock-ok", Alias = Alias });
            for (var key = 1; key <= 6; key++)
            {
                repository.Add(new ApiKey { Id = key, PlatformId = 1, Value = $"sk-mock-{key:D2}-0123456789abcdef" });
            }

            await using var gateway = PortalGateway.Create(new PortalOptions { Repository = repository, Random = new Random(seed) });
            for (var i = 0; i < 24; i++)
            {
                await gateway.ChatCompletionAsync(RepositorySeed.Chat(Alias));
            }

            var rows = await gateway.QueryStatsAsync(new StatsQuery());
            return [.. rows.OrderBy(r => r.Timestamp).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => r.ApiKeyId)];
        }

        var first = await RunAsync(7);
        var again = await RunAsync(7);
        var other = await RunAsync(8);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    private static InMemoryPortalRepository TwoPlatforms(string firstModel, string secondModel)
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "one", Format = PlatformFormats.Mock, BaseUrl = "mock://one" });
        repository.Add(new Platform { Id = 2, Name = "two", Format = PlatformFormats.Mock, BaseUrl = "mock://two" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = firstModel, Alias = Alias });
        repository.Add(new Model { Id = 20, PlatformId = 2, Name = secondModel, Alias = Alias });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-mock-one-0123456789abcdef" });
        repository.Add(new ApiKey { Id = 201, PlatformId = 2, Value = "sk-mock-two-0123456789abcdef" });
        return repository;
    }

    private static PortalGateway Create(InMemoryPortalRepository repository, RecordingSelector selector) =>
        PortalGateway.Create(new PortalOptions { Repository = repository, SelectorStrategy = selector.Name, Selectors = [selector] });

    private static async Task SendAsync(PortalGateway gateway, ChatCompletionRequest request, PortalRequestContext context, bool stream)
    {
        if (stream)
        {
            await foreach (var _ in gateway.StreamChatCompletionAsync(request, context))
            {
            }
        }
        else
        {
            await gateway.ChatCompletionAsync(request, context);
        }
    }

    /// <summary>Picks the candidate with the lowest model id and records what each selection saw.</summary>
    private sealed class RecordingSelector : IChannelSelector
    {
        public string Name => "recording";

        public List<Seen> Seen { get; } = [];

        public int Select(ReadOnlySpan<Channel> candidates) => throw new InvalidOperationException("The gateway must call the overload with the request.");

        public int Select(in ChannelSelection selection)
        {
            var best = 0;
            for (var i = 1; i < selection.Candidates.Length; i++)
            {
                if (selection.Candidates[i].Model.Id < selection.Candidates[best].Model.Id)
                {
                    best = i;
                }
            }

            var request = selection.Request;
            var load = selection.GetLoad(best);
            lock (Seen)
            {
                Seen.Add(new Seen(request.Attempt, request.TriedChannels.Length, selection.Candidates.Length, request.Protocol, request.Caller,
                    request.SessionKey, request.Tags?.GetValueOrDefault("tier"), request.Model, load.InFlight, load.Latency));
            }

            return best;
        }
    }

    private sealed record Seen(int Attempt, int Tried, int Candidates, string Protocol, string? Caller, string? Session, string? Tier, string Model, int FirstInFlight, TimeSpan? FirstLatency);
}
