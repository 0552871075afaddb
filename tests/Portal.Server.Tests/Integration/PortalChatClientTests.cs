using Microsoft.Extensions.AI;
using Portal.Extensions.AI;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>
/// The in-process <see cref="PortalChatClient"/> over the gateway the server built from portal.json (mock format, SQLite stats).
/// tests/Portal.Tests/Extensions/AI covers the client's mapping over FakeUpstream with an in-memory repository; this
/// covers the server's own engine instance, the mock format and stats reaching SQLite.
/// </summary>
public sealed class PortalChatClientTests
{
    private const string MockAnswer = "This is a mock response from mock-1 to: Hello from the same process!";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_OverServerGatewayMockPlatform_AnswersAndRecordsStat(bool stream)
    {
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(MockPlatform()));
        using IChatClient client = new PortalChatClient(host.Gateway, defaultModel: "fast");

        ChatResponse response;
        if (stream)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in client.GetStreamingResponseAsync("Hello from the same process!"))
            {
                updates.Add(update);
            }

            Assert.True(updates.Count > 1, "The mock stream arrived as a single update.");
            response = updates.ToChatResponse();
        }
        else
        {
            response = await client.GetResponseAsync("Hello from the same process!");
        }

        Assert.Equal(MockAnswer, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.OutputTokenCount > 0);

        var stat = Assert.Single(await host.Gateway.QueryStatsAsync(new StatsQuery { ModelName = "fast" }));
        Assert.True(stat.Success);
        Assert.Equal(stream, stat.IsStream);
        Assert.Equal(await PlatformIdAsync(host, "mock", "fast"), stat.PlatformId);
    }
}
