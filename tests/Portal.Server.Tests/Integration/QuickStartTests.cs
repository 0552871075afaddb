using System.Net;
using System.Text.RegularExpressions;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Integration.IntegrationKit;

namespace Portal.Server.Tests.Integration;

/// <summary>
/// The README's quick start works as written: the shipped portal.json and the README's request, without a token. The
/// portal.json is the committed one (<see cref="RepositoryFiles.ReadShippedAsync"/>), not the working copy's, which
/// the README tells users to fill with real platforms.
/// </summary>
public sealed partial class QuickStartTests
{
    private const string ReadmeBody = """{"model":"fast","messages":[{"role":"user","content":"Hello!"}]}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChatCompletions_ReadmeRequestWithShippedPortalJson_MockAnswers(bool stream)
    {
        var readme = await File.ReadAllTextAsync(RepositoryFiles.ReadmePath());
        Assert.True(
            Whitespace().Replace(readme, "").Contains(ReadmeBody, StringComparison.Ordinal),
            "README.md no longer shows the quick-start request " + ReadmeBody);
        var shipped = await RepositoryFiles.ReadShippedAsync("portal.json");

        // The host writes it to its own folder and imports that copy.
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = shipped);
        using var client = RawClient(host);
        var body = stream ? ReadmeBody[..^1] + ",\"stream\":true}" : ReadmeBody;

        var result = await ChatAsync(client, body);

        Assert.Equal(HttpStatusCode.OK, result.Status);
        string text;
        if (stream)
        {
            Assert.Equal("text/event-stream", result.ContentType);
            Assert.Null(result.Error);
            Assert.True(result.Done, "The stream did not end with [DONE]: " + string.Join(" | ", result.Events));
            Assert.True(result.Events.Count > 2, "The mock answer was not streamed in pieces.");
            text = DeltaText(result.Events);
        }
        else
        {
            Assert.Equal("application/json", result.ContentType);
            text = MessageText(result.Body!);
        }

        Assert.StartsWith("This is a mock response from ", text, StringComparison.Ordinal);
        Assert.EndsWith(" to: Hello!", text, StringComparison.Ordinal);
    }

    private const string ReadmeMessagesBody = """{"model":"fast","max_tokens":256,"messages":[{"role":"user","content":"Hello!"}]}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Messages_ReadmeRequestWithShippedPortalJson_MockAnswersInAnthropicsShape(bool stream)
    {
        var readme = await File.ReadAllTextAsync(RepositoryFiles.ReadmePath());
        Assert.True(
            Whitespace().Replace(readme, "").Contains(ReadmeMessagesBody, StringComparison.Ordinal),
            "README.md no longer shows the quick-start Messages request " + ReadmeMessagesBody);
        var shipped = await RepositoryFiles.ReadShippedAsync("portal.json");
        await using var host = await GatewayHost.StartAsync(o => o.PortalJson = shipped);
        using var client = RawClient(host);
        var body = stream ? ReadmeMessagesBody[..^1] + ",\"stream\":true}" : ReadmeMessagesBody;

        using var response = await client.PostAsync("v1/messages", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        if (stream)
        {
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith("event: message_start\n", text, StringComparison.Ordinal);
            Assert.EndsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", text, StringComparison.Ordinal);
            var deltas = Regex.Matches(text, "\"text_delta\",\"text\":\"([^\"]*)\"").Select(m => m.Groups[1].Value);
            text = string.Concat(deltas);
        }
        else
        {
            using var message = System.Text.Json.JsonDocument.Parse(text);
            Assert.Equal("message", message.RootElement.GetProperty("type").GetString());
            Assert.Equal("end_turn", message.RootElement.GetProperty("stop_reason").GetString());
            text = message.RootElement.GetProperty("content")[0].GetProperty("text").GetString()!;
        }

        Assert.StartsWith("This is a mock response from ", text, StringComparison.Ordinal);
        Assert.EndsWith(" to: Hello!", text, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
