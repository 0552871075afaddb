using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Portal.Contracts;
using Portal.Contracts.Internal;
using Portal.Providers.Anthropic;

namespace Portal.Tests.Providers.Anthropic;

/// <summary>Shared helpers of the inbound Anthropic conversion tests: converting, comparing JSON, reading events back.</summary>
internal static class AnthropicInboundTestKit
{
    public static AnthropicInboundRequest Convert(string anthropicJson) => AnthropicInbound.ToChat(Encoding.UTF8.GetBytes(anthropicJson));

    /// <summary>The converted request as the OpenAI adapter would send it.</summary>
    public static string ToWire(ChatCompletionRequest request) => JsonSerializer.Serialize(request, WireJson.Context.ChatCompletionRequest);

    /// <summary>Asserts two JSON texts are the same value (property order and whitespace aside).</summary>
    public static void AssertSameJson(string expected, string actual)
    {
        var expectedNode = JsonNode.Parse(expected);
        var actualNode = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(expectedNode, actualNode),
            $"Expected:\n{expectedNode?.ToJsonString()}\nActual:\n{actualNode?.ToJsonString()}");
    }

    public static PortalException AssertInvalid(string anthropicJson, string message)
    {
        var e = Assert.Throws<PortalException>(() => Convert(anthropicJson));
        Assert.Equal(PortalErrorCode.InvalidRequest, e.Code);
        Assert.Equal(message, e.Message);
        return e;
    }

    public static ChatCompletionChunk Chunk(string openAIJson) =>
        JsonSerializer.Deserialize(openAIJson, PortalJsonContext.Default.ChatCompletionChunk)!;

    public static ChatCompletionResponse Response(string openAIJson) =>
        JsonSerializer.Deserialize(openAIJson, PortalJsonContext.Default.ChatCompletionResponse)!;

    /// <summary>One framed event, as Anthropic writes it.</summary>
    public static string Frame(string type, string json) => $"event: {type}\ndata: {json}\n\n";

    /// <summary>Runs chunks through a new encoder and returns everything written, as text.</summary>
    public static string Encode(AnthropicEventEncoder encoder, params string[] chunks)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in chunks)
        {
            encoder.Add(Chunk(chunk), output);
        }

        encoder.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    /// <summary>Splits framed events into (event name, data) pairs, checking the framing and that each data is one JSON object whose type is the event name.</summary>
    public static List<(string Event, JsonElement Data)> ParseEvents(string text)
    {
        Assert.EndsWith("\n\n", text);
        var events = new List<(string, JsonElement)>();
        foreach (var frame in text[..^2].Split("\n\n"))
        {
            var lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0]);
            Assert.StartsWith("data: ", lines[1]);
            var name = lines[0]["event: ".Length..];
            var data = JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone();
            Assert.Equal(JsonValueKind.Object, data.ValueKind);
            Assert.Equal(name, data.GetProperty("type").GetString());
            events.Add((name, data));
        }

        return events;
    }

    /// <summary>
    /// Asserts the order Anthropic guarantees: message_start first, message_stop last, right after message_delta; block
    /// indexes 0, 1, 2... each started once, its deltas while it is open, then stopped with the same index before the next starts.
    /// </summary>
    public static List<(string Event, JsonElement Data)> AssertWellFormed(string text)
    {
        var events = ParseEvents(text);
        Assert.True(events.Count >= 3);
        Assert.Equal("message_start", events[0].Event);
        Assert.Equal("message_delta", events[^2].Event);
        Assert.Equal("message_stop", events[^1].Event);
        int? open = null;
        var next = 0;
        foreach (var (name, data) in events.Skip(1).SkipLast(2))
        {
            switch (name)
            {
                case "content_block_start":
                    Assert.Null(open);
                    Assert.Equal(next, data.GetProperty("index").GetInt32());
                    open = next++;
                    break;
                case "content_block_delta":
                    Assert.Equal(open, data.GetProperty("index").GetInt32());
                    break;
                case "content_block_stop":
                    Assert.Equal(open, data.GetProperty("index").GetInt32());
                    open = null;
                    break;
                default:
                    Assert.Fail($"Unexpected event {name} inside the message.");
                    break;
            }
        }

        Assert.Null(open);
        return events;
    }
}
