using System.Runtime.CompilerServices;
using System.Text.Json;
using Portal.Contracts;
using Portal.Providers;
using Portal.Testing;
using Portal.Tests.Relay;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>
/// Only the exchange with the upstream can blame an upstream: a failure inside the gateway (reading, converting or
/// building the request) blames nobody and does not fail over; a client body an adapter cannot take is the client's 400
/// before any attempt.
/// </summary>
public sealed class BlameBoundaryTests
{
    public static TheoryData<Entry> Entries => EntryPoints.All;

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task AdapterThrowsNonUpstreamException_InternalErrorNoBlameNoFailover(Entry entry)
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "broken", Format = ThrowingAdapter.FormatName, BaseUrl = "https://broken.example" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = MockModel, Alias = Alias });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-broken-0123456789abcdef" });
        repository.AddMockChannel(2, 20);
        await using var gateway = PortalGateway.Create(new PortalOptions
        {
            Repository = repository,
            SelectorStrategy = FirstChannelSelector.StrategyName,
            Selectors = [new FirstChannelSelector()],
            Adapters = [new ThrowingAdapter()],
        });

        var sent = await EntryPoints.SendAsync(gateway, entry);

        var exception = sent.AssertFailed(PortalErrorCode.InternalError);
        sent.AssertNothingSent();
        Assert.DoesNotContain("tool schema", exception.Message, StringComparison.Ordinal);
        AssertNotBlamed(gateway, ResourceKind.Platform, 1);
        AssertNotBlamed(gateway, ResourceKind.ApiKey, 101);
        AssertNotBlamed(gateway, ResourceKind.Model, 10);

        // One attempt, recorded, and no failover to the healthy mock platform: it would only hide the bug.
        var row = Assert.Single(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.False(row.Success);
        Assert.Equal(1, row.PlatformId);
        Assert.Equal(1, row.Attempt);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_BodyATypedChannelCannotTake_InvalidRequestBeforeAnyAttempt(bool stream)
    {
        // The first channel relays bytes (and would have answered); the second needs the body typed. The body's error
        // is found before the first attempt, so no upstream is called and no stat row says an attempt failed.
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "never");
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias);
        repository.AddMockChannel(2, 20);
        await using var gateway = CreateRelayGateway(repository);
        var body = "{\"model\":\"gpt\"" + (stream ? ",\"stream\":true" : "") + ",\"messages\":[{\"role\":\"user\",\"content\":5}]}";

        var exception = await Assert.ThrowsAsync<PortalException>(() => RelayAsync(gateway, body, new RecordingRelayWriter()));

        Assert.Equal(PortalErrorCode.InvalidRequest, exception.Code);
        Assert.Equal(0, upstream.RequestCount);
        Assert.Empty(await gateway.QueryStatsAsync(new StatsQuery()));
        Assert.All(gateway.GetAllHealth(), h => Assert.Equal(0, h.ErrorCount));
    }

    /// <summary>An adapter that fails while building the upstream request, as a conversion bug would.</summary>
    private sealed class ThrowingAdapter : IProviderAdapter
    {
        public const string FormatName = "broken";

        public string Format => FormatName;

        public Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            throw new JsonException("The tool schema could not be converted.");

        public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw new JsonException("The tool schema could not be converted.");
#pragma warning disable CS0162 // Unreachable: the iterator needs a yield to be one.
            yield break;
#pragma warning restore CS0162
        }
    }
}
