using System.Net;
using System.Text;
using System.Text.Json;
using Portal.Server.Tests.Infrastructure;
using Portal.Testing;
using static Portal.Server.Tests.Anthropic.AnthropicKit;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Anthropic;

/// <summary>One alias served by an Anthropic platform and an OpenAI-format one: a request fails over from one format to the other.</summary>
public sealed class CrossFormatFailoverTests
{
    [Theory]
    [InlineData("messages", false)]
    [InlineData("messages", true)]
    [InlineData("chat", false)]
    [InlineData("chat", true)]
    public async Task AnthropicPlatformOverloaded_FailsOverToOpenAIPlatform_AnswerArrives_TwoStatRowsAnthropicThenOpenAI(string entry, bool stream)
    {
        await using var claude = await FakeUpstream.StartAsync();
        claude.DefaultResponse = FakeResponse.Json(529, """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""");
        await using var gpt = await FakeUpstream.StartAsync();
        gpt.DefaultResponse = stream ? FakeResponse.Stream("served ", "by ", "gpt") : FakeResponse.ChatCompletion("served by gpt", promptTokens: 5, completionTokens: 7);
        await using var host = await GatewayHost.StartAsync(o =>
        {
            // Least recently used, never-used channels in the order of portal.json: the Anthropic platform goes first.
            o.Settings["Portal:Gateway:SelectorStrategy"] = "lru";
            o.ClientTokens.Add(ClientToken);
            o.PortalJson = PortalJson(AnthropicPlatform("claude", claude.BaseUrl), OpenAIPlatform("gpt", gpt.BaseUrl, keys: [OpenAIKey]));
        });
        var claudeId = await PlatformIdAsync(host, "claude");
        var gptId = await PlatformIdAsync(host, "gpt");
        using var client = RawClient(host);

        string text;
        if (entry == "messages")
        {
            using var response = await PostAsync(client, "v1/messages", MessagesBody(stream: stream));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            text = stream ? StreamText((await ReadEventsAsync(response)).Events) : AnthropicMessageText(await response.Content.ReadAsStringAsync());
        }
        else
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ClientToken);
            var result = await ChatAsync(client, ChatBody(Alias, stream));
            Assert.True(result.Status == HttpStatusCode.OK, $"{(int)result.Status}: {result.Body}");
            text = stream ? DeltaText(result.Events) : MessageText(result.Body!);
        }

        Assert.Equal("served by gpt", text);
        Assert.Equal(1, claude.RequestCount);
        Assert.Equal(1, gpt.RequestCount);
        Assert.Equal(PlatformKey, Header(claude.Requests[0], "x-api-key"));
        Assert.Equal("Bearer " + OpenAIKey, Header(gpt.Requests[0], "authorization"));

        var rows = await StatsAsync(host);
        Assert.Equal(2, rows.Count);
        Assert.Equal(rows[0].RequestId, rows[1].RequestId);
        Assert.Equal((claudeId, "anthropic", false, 529), (rows[0].PlatformId, rows[0].TargetFormat, rows[0].Success, rows[0].StatusCode));
        Assert.Equal((gptId, "openai", true), (rows[1].PlatformId, rows[1].TargetFormat, rows[1].Success));
        Assert.True(rows[0].Attempt < rows[1].Attempt);
        var protocol = entry == "messages" ? "anthropic-messages" : "openai-chat";
        Assert.All(rows, row => Assert.Equal(protocol, row.Protocol));
        Assert.All(rows, row => Assert.Equal(stream, row.IsStream));
        Assert.Equal(HealthStatus.Warning, host.Gateway.GetHealth(ResourceKind.Platform, claudeId).Status);
    }

    /// <summary>The text of an Anthropic message.</summary>
    private static string AnthropicMessageText(string body)
    {
        using var document = JsonDocument.Parse(body);
        Assert.Equal("message", document.RootElement.GetProperty("type").GetString());
        return string.Concat(document.RootElement.GetProperty("content").EnumerateArray()
            .Where(b => b.GetProperty("type").GetString() == "text")
            .Select(b => b.GetProperty("text").GetString()));
    }

    /// <summary>The text of an Anthropic stream that ended with message_stop.</summary>
    private static string StreamText(List<(string Type, string Data)> events)
    {
        Assert.Equal("message_stop", events[^1].Type);
        var text = new StringBuilder();
        foreach (var (_, data) in events.Where(e => e.Type == "content_block_delta"))
        {
            using var document = JsonDocument.Parse(data);
            var delta = document.RootElement.GetProperty("delta");
            if (delta.GetProperty("type").GetString() == "text_delta")
            {
                text.Append(delta.GetProperty("text").GetString());
            }
        }

        return text.ToString();
    }
}
