using System.Text;
using System.Text.Json;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;
using static Portal.Tests.Relay.RelayTestKit;

namespace Portal.Tests.Relay;

/// <summary>
/// What a relayed request sends upstream, recorded by a real fake platform: the client's bytes, with only <c>model</c>
/// rewritten and, for streams, <c>stream_options.include_usage</c> turned on.
/// </summary>
public sealed class RelayBodyTests
{
    // Odd whitespace, raw UTF-8 (BMP and emoji), escapes of every kind, unusual numbers, unknown fields at every level.
    private const string Prefix = "\r\n\t{ \"x_first\" : [ 1.50 , -0 , 1E+2 , 12345678901234567890 , null ] ,\n  \"model\"  :\t";
    private const string Suffix =
        " ,\"messages\" :[ {\"role\":\"user\" , \"content\":\"h\u00e9llo \u4f60\u597d \ud83d\ude80 \\u00e9\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\n\\t\\b\\f\\r <tag> & \\u0000\",\"x_msg\":{\"a\":[[],{}]}} ],"
        + "\"metadata\":{\"model\":\"nested-not-touched\",\"emoji\":\"\ud83e\udd16\"} ,\"x_last\":\"gpt\"}\n";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_UnusualBody_ReachesUpstreamByteForByteExceptModel(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        await using var gateway = Gateway(upstream, UpstreamName);
        var streamMember = stream ? "\"stream\" : true ,\"stream_options\":{ \"include_usage\" : true ,\"x\":1} ," : "";
        var body = Prefix.Replace("\"model\"", streamMember + "\"model\"", StringComparison.Ordinal) + "\"gpt\"" + Suffix;

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        var expected = Prefix.Replace("\"model\"", streamMember + "\"model\"", StringComparison.Ordinal) + "\"gpt-upstream\"" + Suffix;
        Assert.Equal(expected, Assert.Single(upstream.Requests).BodyText);
        Assert.Equal(Encoding.UTF8.GetBytes(expected), upstream.Requests[0].Body);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Relay_AliasEqualsUpstreamName_BodyIsByteIdentical(bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = Ok(stream, "ok");
        await using var gateway = Gateway(upstream, "gpt", alias: null);
        var body = Prefix + "\"gpt\"" + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "") + Suffix;

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        Assert.Equal(Encoding.UTF8.GetBytes(body), Assert.Single(upstream.Requests).Body);
    }

    [Theory]
    [InlineData("we\"ird\\name")]
    [InlineData("mod\u00e8le-\u4f60\u597d-\ud83d\ude80")]
    [InlineData("line\nbreak</script>")]
    public async Task Relay_UpstreamNameNeedsEscaping_ModelIsEscapedAndRestUntouched(string upstreamName)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var gateway = Gateway(upstream, upstreamName);
        var body = Prefix + "\"gpt\"" + Suffix;

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        var sent = Assert.Single(upstream.Requests);
        Assert.Equal(upstreamName, sent.BodyJson.GetProperty("model").GetString());
        var text = sent.BodyText;
        Assert.StartsWith(Prefix, text, StringComparison.Ordinal);
        Assert.EndsWith(Suffix, text, StringComparison.Ordinal);
        var model = text[Prefix.Length..^Suffix.Length];
        Assert.Equal(upstreamName, JsonSerializer.Deserialize<string>(model));
    }

    public static TheoryData<string, string> UsageShapes => new()
    {
        // name, the stream_options member (with its leading comma) or nothing
        { "absent", "" },
        { "null", ",\"stream_options\":null" },
        { "null spaced", ", \"stream_options\" :  null " },
        { "empty object", ",\"stream_options\":{}" },
        { "empty object spaced", ",\"stream_options\": {  \n } " },
        { "other fields", ",\"stream_options\":{\"include_obfuscation\":false,\"x_opt\":[1,{\"include_usage\":false}]}" },
        { "include_usage false", ",\"stream_options\":{\"include_obfuscation\":false,\"include_usage\":false,\"x_opt\":[1]}" },
        { "include_usage null", ",\"stream_options\":{ \"include_usage\" : null , \"x_opt\":[1]}" },
        { "include_usage false only", ",\"stream_options\":{\"include_usage\":false}" },
    };

    [Theory]
    [MemberData(nameof(UsageShapes))]
    public async Task Relay_StreamWithoutUsage_InjectsIncludeUsageAndKeepsOtherOptions(string shape, string optionsMember)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("ok");
        await using var gateway = Gateway(upstream, UpstreamName);
        var body = "{\"model\":\"gpt\",\"stream\":true" + optionsMember + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        using var client = JsonDocument.Parse(body);

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        var sent = Assert.Single(upstream.Requests);
        AssertUpstreamOptions(shape, client.RootElement, sent.BodyText);
    }

    [Theory]
    [MemberData(nameof(UsageShapes))]
    public async Task Relay_StreamOptionsBeforeModel_InjectsIncludeUsageAndRewritesModel(string shape, string optionsMember)
    {
        // The two edits in the other order: stream_options (or the root's start) before model.
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("ok");
        await using var gateway = Gateway(upstream, UpstreamName);
        var body = "{\"stream\":true" + optionsMember + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"model\":\"gpt\",\"x_tail\":true}";
        using var client = JsonDocument.Parse(body);

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        var sent = Assert.Single(upstream.Requests);
        AssertUpstreamOptions(shape, client.RootElement, sent.BodyText);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",\"stream\":false")]
    [InlineData(",\"stream\":null")]
    [InlineData(",\"stream\":false,\"stream_options\":null")]
    public async Task Relay_NonStream_NoStreamOptionsAdded(string members)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        await using var gateway = Gateway(upstream, "gpt", alias: null);
        var body = "{\"model\":\"gpt\"" + members + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        Assert.Equal(body, Assert.Single(upstream.Requests).BodyText);
    }

    [Theory]
    [InlineData("")]
    [InlineData(",\"stream_options\":{\"include_usage\":false}")]
    public async Task Relay_RequestStreamUsageDisabled_StreamBodyOnlyModelRewritten(string optionsMember)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("ok");
        await using var gateway = Gateway(upstream, UpstreamName, requestStreamUsage: false);
        var body = "{\"model\":\"gpt\",\"stream\":true" + optionsMember + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        Assert.Equal(body.Replace("\"gpt\"", "\"gpt-upstream\"", StringComparison.Ordinal), Assert.Single(upstream.Requests).BodyText);
    }

    [Fact]
    public async Task Relay_ClientAskedForUsage_StreamOptionsUntouched()
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Stream("ok");
        await using var gateway = Gateway(upstream, "gpt", alias: null);
        var body = "{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{ \"include_obfuscation\":true, \"include_usage\" :true },\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        Assert.Equal(body, Assert.Single(upstream.Requests).BodyText);
    }

    [Fact]
    public async Task Relay_TypedFieldOfWrongType_ForwardedVerbatimToOpenAIPlatform()
    {
        // Only platforms of another format need the body deserialized; an OpenAI platform judges the fields itself.
        await using var upstream = await FakeUpstream.StartAsync();
        await using var gateway = Gateway(upstream, "gpt", alias: null);
        var body = "{\"model\":\"gpt\",\"temperature\":\"hot\",\"max_tokens\":[1],\"messages\":[{\"role\":\"user\",\"content\":{\"weird\":1}}]}";

        await RelayAsync(gateway, body, new RecordingRelayWriter());

        Assert.Equal(body, Assert.Single(upstream.Requests).BodyText);
    }

    /// <summary>
    /// Asserts the upstream body is valid JSON with one <c>stream_options</c> whose <c>include_usage</c> is true (once),
    /// the client's other options kept, the model rewritten, and every other member unchanged.
    /// </summary>
    private static void AssertUpstreamOptions(string shape, JsonElement client, string sentText)
    {
        using var document = JsonDocument.Parse(sentText); // Throws if the edits broke the JSON.
        var sent = document.RootElement;
        var names = sent.EnumerateObject().Select(p => p.Name).ToList();
        Assert.True(names.Count == names.Distinct(StringComparer.Ordinal).Count(), $"{shape}: duplicate members in {sentText}");
        var options = sent.GetProperty("stream_options");
        Assert.Equal(JsonValueKind.Object, options.ValueKind);
        Assert.Single(options.EnumerateObject(), p => p.Name == "include_usage");
        Assert.Equal(JsonValueKind.True, options.GetProperty("include_usage").ValueKind);
        if (client.TryGetProperty("stream_options", out var clientOptions) && clientOptions.ValueKind == JsonValueKind.Object)
        {
            foreach (var option in clientOptions.EnumerateObject().Where(p => p.Name != "include_usage"))
            {
                Assert.Equal(option.Value.GetRawText(), options.GetProperty(option.Name).GetRawText());
            }

            Assert.Equal(clientOptions.EnumerateObject().Count(p => p.Name != "include_usage") + 1, options.EnumerateObject().Count());
        }
        else
        {
            Assert.Single(options.EnumerateObject());
        }

        Assert.Equal(UpstreamName, sent.GetProperty("model").GetString());
        foreach (var member in client.EnumerateObject().Where(p => p.Name is not ("model" or "stream_options")))
        {
            Assert.Equal(member.Value.GetRawText(), sent.GetProperty(member.Name).GetRawText());
        }

        Assert.Equal(client.EnumerateObject().Select(p => p.Name).Append("stream_options").Distinct().Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    private static PortalGateway Gateway(FakeUpstream upstream, string upstreamName, bool requestStreamUsage = true, string? alias = Alias)
    {
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, upstreamName, alias);
        return CreateRelayGateway(repository, requestStreamUsage);
    }
}
