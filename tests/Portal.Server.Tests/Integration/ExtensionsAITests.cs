using System.Text.Json;
using Microsoft.Extensions.AI;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>Microsoft.Extensions.AI's OpenAI <see cref="IChatClient"/> against the real server.</summary>
public sealed class ExtensionsAITests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_TextAnswer_TextUsageAndFinishReason(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.Stream("The ", "answer ", "is 42.")
            : FakeResponse.ChatCompletion("The answer is 42.", promptTokens: 5, completionTokens: 7);
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        using var client = SdkClient(host).AsIChatClient();

        var response = await GetAsync(client, "What is the answer?", options: null, stream);

        Assert.Equal("The answer is 42.", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.NotNull(response.Usage);
        Assert.Equal(5, response.Usage.InputTokenCount);
        Assert.Equal(7, response.Usage.OutputTokenCount);
        Assert.Equal(12, response.Usage.TotalTokenCount);
        Assert.Equal(UpstreamModel, Assert.Single(upstream.Requests).BodyJson.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponse_UpstreamToolCall_SurfacesFunctionCallContent(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = stream
            ? FakeResponse.SseRaw(ToolCallStreamEvents("call_xyz", "get_weather", """{"ci""", """ty":"Paris"}"""))
            : FakeResponse.Json(200, ToolCallCompletion("call_xyz", "get_weather", """{"city":"Paris"}"""));
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = PortalJson(OpenAIPlatform("a", upstream.BaseUrl)));
        using var client = SdkClient(host).AsIChatClient();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => "sunny in " + city, "get_weather", "Weather of a city")] };

        var response = await GetAsync(client, "Weather in Paris?", options, stream);

        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("call_xyz", call.CallId);
        Assert.Equal("get_weather", call.Name);
        Assert.NotNull(call.Arguments);
        var city = Assert.Single(call.Arguments);
        Assert.Equal("city", city.Key);
        Assert.Equal("Paris", city.Value is JsonElement element ? element.GetString() : city.Value?.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
        Assert.Equal(9, response.Usage?.InputTokenCount);

        var sent = Assert.Single(upstream.Requests).BodyJson;
        Assert.Equal("get_weather", Assert.Single(sent.GetProperty("tools").EnumerateArray()).GetProperty("function").GetProperty("name").GetString());
    }

    private static async Task<ChatResponse> GetAsync(IChatClient client, string text, ChatOptions? options, bool stream)
    {
        if (!stream)
        {
            return await client.GetResponseAsync(text, options);
        }

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(text, options))
        {
            updates.Add(update);
        }

        Assert.True(updates.Count > 1, "A stream arrived as a single update.");
        return updates.ToChatResponse();
    }
}
