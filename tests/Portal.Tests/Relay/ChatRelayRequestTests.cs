using System.Text;
using Portal.Relay;

namespace Portal.Tests.Relay;

/// <summary><see cref="ChatRelayRequest.Parse"/>: what it reads from a valid body and how it rejects an invalid one.</summary>
public sealed class ChatRelayRequestTests
{
    private const string Messages = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    [Fact]
    public void Parse_MinimalBody_ReadsModelAndKeepsBytes()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"model\":\"gpt\"," + Messages + "}");

        var request = ChatRelayRequest.Parse(bytes);

        Assert.Equal("gpt", request.Model);
        Assert.False(request.Stream);
        Assert.False(request.IncludeUsage);
        Assert.Equal(bytes, request.Body.ToArray());
    }

    [Theory]
    [InlineData("", false)]
    [InlineData(",\"stream\":true", true)]
    [InlineData(",\"stream\":false", false)]
    [InlineData(",\"stream\":null", false)]
    [InlineData(",\"stream\" :\n\ttrue ", true)]
    public void Parse_StreamValue_ReadsStream(string streamMember, bool expected)
    {
        var request = Parse("{\"model\":\"gpt\"," + Messages + streamMember + "}");

        Assert.Equal(expected, request.Stream);
    }

    [Theory]
    [InlineData("", false)]
    [InlineData(",\"stream_options\":null", false)]
    [InlineData(",\"stream_options\":{}", false)]
    [InlineData(",\"stream_options\":{\"include_obfuscation\":true}", false)]
    [InlineData(",\"stream_options\":{\"include_usage\":false}", false)]
    [InlineData(",\"stream_options\":{\"include_usage\":null}", false)]
    [InlineData(",\"stream_options\":{\"include_usage\":true}", true)]
    [InlineData(",\"stream_options\":{\"x\":{\"include_usage\":false},\"include_usage\":true,\"y\":[1]}", true)]
    public void Parse_StreamOptions_ReadsIncludeUsage(string optionsMember, bool expected)
    {
        var request = Parse("{\"model\":\"gpt\",\"stream\":true," + Messages + optionsMember + "}");

        Assert.True(request.Stream);
        Assert.Equal(expected, request.IncludeUsage);
    }

    [Fact]
    public void Parse_NestedModelAndUnknownFields_ReadsOnlyTopLevelModel()
    {
        var request = Parse("{\"metadata\":{\"model\":\"nested\",\"stream\":true},\"model\":\"g\\u0070t\",\"messages\":[{\"role\":\"user\",\"model\":\"x\",\"content\":\"hi\"}],\"x\":[[],{}]}");

        Assert.Equal("gpt", request.Model); // Escapes are decoded.
        Assert.False(request.Stream);
    }

    [Fact]
    public void Parse_Depth64_Accepted()
    {
        // The root object is level 1; 63 arrays inside it make 64 levels.
        var request = Parse("{\"model\":\"gpt\"," + Messages + ",\"x\":" + new string('[', 63) + new string(']', 63) + "}");

        Assert.Equal("gpt", request.Model);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Parse_Depth65_ThrowsNamingDepthLimit(bool insideMessage)
    {
        // 65 levels: the root object and 64 arrays, or the root, the messages array, a message and 62 arrays.
        var body = insideMessage
            ? "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"x\":" + new string('[', 62) + new string(']', 62) + "}]}"
            : "{\"model\":\"gpt\"," + Messages + ",\"x\":" + new string('[', 64) + new string(']', 64) + "}";

        var exception = AssertInvalid(body, "deeper than 64");

        Assert.DoesNotContain("not valid JSON", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptyBody_ThrowsSayingBodyIsEmpty()
    {
        // Bug: Utf8JsonReader throws on empty input before the "empty" check in Read is reached, so the client is told
        // "not valid JSON (line 1, byte 1)" instead of the dedicated message.
        AssertInvalid("", "empty");
    }

    [Theory]
    [InlineData("   ")]
    [InlineData("\r\n")]
    public void Parse_WhitespaceOnlyBody_ThrowsInvalidRequest(string body)
    {
        AssertInvalid(body, "");
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"model\":\"gpt\"}]")]
    [InlineData("\"gpt\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void Parse_NotAnObject_ThrowsMustBeObject(string body)
    {
        AssertInvalid(body, "must be a JSON object");
    }

    [Theory]
    [InlineData("{\"model\":\"gpt\",\n \"messages\":[{}] x}", 2, 18)]
    [InlineData("{\"model\":\"gpt\",\"messages\":[{},]}", 1, 31)]
    [InlineData("{\"model\":'gpt',\"messages\":[{}]}", 1, 10)]
    [InlineData("{\"model\":\"gpt\" // comment\n,\"messages\":[{}]}", 1, 16)]
    public void Parse_InvalidJson_ThrowsWithLineAndByte(string body, int line, int position)
    {
        AssertInvalid(body, "not valid JSON", $"line {line}, byte {position}");
    }

    [Theory]
    [InlineData("{\"model\":\"gpt\",\"messages\":[{}]} x", 33)]
    [InlineData("{\"model\":\"gpt\",\"messages\":[{}]}{}", 32)]
    [InlineData("{\"model\":\"gpt\",\"messages\":[{}]}\n,", 0)]
    public void Parse_TrailingDataAfterObject_ThrowsInvalidJson(string body, int position)
    {
        var exception = AssertInvalid(body, "not valid JSON");

        if (position > 0)
        {
            Assert.Contains($"byte {position}", exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_TrailingWhitespace_Accepted()
    {
        Assert.Equal("gpt", Parse("\r\n {\"model\":\"gpt\"," + Messages + "} \n\t").Model);
    }

    [Theory]
    [InlineData("{\"model\":\"gpt\",\"messages\":[{}]")]
    [InlineData("{\"model\":\"gpt\",\"messages\":[{}")]
    [InlineData("{")]
    public void Parse_TruncatedBody_ReportsInvalidJsonNotDepth(string body)
    {
        // Bug: a body cut off after a complete token makes Utf8JsonReader say "Expected depth to be zero at the end of the
        // JSON payload"; the catch in Parse matches "depth" in that message and answers "nests JSON deeper than 64 levels".
        var exception = AssertInvalid(body, "not valid JSON");

        Assert.DoesNotContain("deeper", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SyntaxErrorBelowDepthLimit_ReportsPositionNotDepth()
    {
        // Bug: at 63 levels (below the 64 limit) a syntax error is reported as "nests JSON deeper than 64 levels",
        // because the catch in Parse treats any error at CurrentDepth >= MaxDepth - 1 as a depth error.
        var body = "{\"model\":\"gpt\"," + Messages + ",\"x\":" + new string('[', 62) + "1 2" + new string(']', 62) + "}";

        var exception = AssertInvalid(body, "not valid JSON");

        Assert.DoesNotContain("deeper", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{" + Messages + "}")]
    [InlineData("{\"model\":\"\"," + Messages + "}")]
    [InlineData("{\"model\":\"  \"," + Messages + "}")]
    [InlineData("{\"Model\":\"gpt\"," + Messages + "}")]
    public void Parse_MissingOrEmptyModel_ThrowsNoModel(string body)
    {
        AssertInvalid(body, "no model");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{\"name\":\"gpt\"}")]
    [InlineData("[\"gpt\"]")]
    public void Parse_NonStringModel_ThrowsModelMustBeString(string model)
    {
        AssertInvalid("{\"model\":" + model + "," + Messages + "}", "'model' must be a string");
    }

    [Theory]
    [InlineData("{\"model\":\"gpt\"}")]
    [InlineData("{\"model\":\"gpt\",\"messages\":[]}")]
    [InlineData("{\"model\":\"gpt\",\"messages\":[ \n ]}")]
    public void Parse_MissingOrEmptyMessages_ThrowsNoMessages(string body)
    {
        AssertInvalid(body, "no messages");
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("\"hi\"")]
    [InlineData("null")]
    [InlineData("3")]
    public void Parse_NonArrayMessages_ThrowsMessagesMustBeArray(string messages)
    {
        AssertInvalid("{\"model\":\"gpt\",\"messages\":" + messages + "}", "'messages' must be an array");
    }

    [Theory]
    [InlineData("[\"hi\"]", 0)]
    [InlineData("[{\"role\":\"user\",\"content\":\"hi\"},null]", 1)]
    [InlineData("[{},{},[{}]]", 2)]
    public void Parse_MessageNotAnObject_ThrowsNamingIndex(string messages, int index)
    {
        AssertInvalid("{\"model\":\"gpt\",\"messages\":" + messages + "}", $"'messages[{index}]' must be an object");
    }

    [Theory]
    [InlineData("\"model\":\"gpt\",\"model\":\"gpt\"", "'model'")]
    [InlineData("\"model\":\"gpt\",\"mod\\u0065l\":\"other\"", "'model'")]
    [InlineData("\"model\":\"gpt\",\"stream\":true,\"stream\":false", "'stream'")]
    [InlineData("\"model\":\"gpt\",\"stream_options\":{},\"stream_options\":{}", "'stream_options'")]
    [InlineData("\"model\":\"gpt\",\"stream_options\":{\"include_usage\":true},\"stream_options\":null", "'stream_options'")]
    [InlineData("\"model\":\"gpt\",\"stream_options\":{\"include_usage\":true,\"include_usage\":false}", "'stream_options.include_usage'")]
    [InlineData("\"model\":\"gpt\",\"messages\":[{}]", "'messages'")]
    public void Parse_DuplicateKey_ThrowsAppearsMoreThanOnce(string members, string name)
    {
        AssertInvalid("{" + members + "," + Messages + "}", name, "more than once");
    }

    [Theory]
    [InlineData("null,\"stream_options\":null")]
    [InlineData("null,\"stream_options\":{\"include_usage\":true}")]
    public void Parse_DuplicateStreamOptionsAfterNull_ThrowsAppearsMoreThanOnce(string values)
    {
        // Bug: ChatRelayRequest.Read checks duplicates with Once(edits.OptionsStart >= 0, ...), and a null value sets only
        // OptionsNullStart, so a second stream_options after "stream_options":null is accepted.
        AssertInvalid("{\"model\":\"gpt\",\"stream\":true,\"stream_options\":" + values + "," + Messages + "}", "'stream_options'", "more than once");
    }

    [Theory]
    [InlineData("\"true\"")]
    [InlineData("1")]
    [InlineData("{}")]
    [InlineData("[]")]
    public void Parse_StreamNotBool_ThrowsStreamMustBeBool(string value)
    {
        AssertInvalid("{\"model\":\"gpt\",\"stream\":" + value + "," + Messages + "}", "'stream' must be true or false");
    }

    [Theory]
    [InlineData("\"yes\"")]
    [InlineData("true")]
    [InlineData("[]")]
    public void Parse_StreamOptionsNotObject_ThrowsMustBeObject(string value)
    {
        AssertInvalid("{\"model\":\"gpt\",\"stream\":true,\"stream_options\":" + value + "," + Messages + "}", "'stream_options' must be an object");
    }

    [Theory]
    [InlineData("\"true\"")]
    [InlineData("1")]
    [InlineData("{}")]
    public void Parse_IncludeUsageNotBool_ThrowsMustBeBool(string value)
    {
        AssertInvalid("{\"model\":\"gpt\",\"stream\":true,\"stream_options\":{\"include_usage\":" + value + "}," + Messages + "}", "'stream_options.include_usage' must be true or false");
    }

    [Fact]
    public void Parse_InvalidUtf8InModel_ThrowsInvalidRequest()
    {
        // Bug: Utf8JsonReader.GetString throws InvalidOperationException for invalid UTF-8, which Parse does not catch,
        // so a client's bad bytes surface as an unexpected exception (HTTP 500) instead of InvalidRequest.
        byte[] body = [.. "{\"model\":\"g"u8, 0xFF, .. "t\",\"messages\":[{}]}"u8];

        var exception = Record.Exception(() => ChatRelayRequest.Parse(body));

        var portal = Assert.IsType<PortalException>(exception);
        Assert.Equal(PortalErrorCode.InvalidRequest, portal.Code);
    }

    [Fact]
    public void Parse_LoneSurrogateEscapeInModel_ThrowsInvalidRequest()
    {
        // Bug: same cause as above; "\ud800" is valid JSON text but cannot become a .NET string, and GetString throws InvalidOperationException.
        var exception = Record.Exception(() => Parse("{\"model\":\"\\ud800\"," + Messages + "}"));

        var portal = Assert.IsType<PortalException>(exception);
        Assert.Equal(PortalErrorCode.InvalidRequest, portal.Code);
    }

    [Theory]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"description\":\"\\ud800\"}}}],")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"\\udc00\":1}}}],")]
    [InlineData("\"\\ud83d\":1,")]
    [InlineData("\"metadata\":{\"a\":\"x\\ude00\\ud83d\"},")]
    [InlineData("\"stream_options\":{\"\\ud800\":true},")]
    [InlineData("\"user\":\"\\ud83d\",")]
    public void Parse_LoneSurrogateEscapeAnywhere_ThrowsInvalidRequest(string member)
    {
        // A body found by fuzzing: valid JSON whose text cannot be decoded passed Parse, then failed inside an adapter,
        // and the failure was blamed on the platform. It is the client's error, found before any attempt.
        AssertInvalid("{\"model\":\"gpt\"," + member + Messages + "}", "not valid Unicode text");
    }

    [Theory]
    [InlineData("\"logit_bias\":{\"50256\":1e999},")]
    [InlineData("\"temperature\":-1e400,")]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"maximum\":1E+309}}}],")]
    public void Parse_NumberBeyondDouble_ThrowsInvalidRequest(string member)
    {
        // Found by fuzzing: 1e999 reads as infinity, which the typed path cannot write upstream again (a 500 before).
        AssertInvalid("{\"model\":\"gpt\"," + member + Messages + "}", "number out of range");
    }

    [Fact]
    public void Parse_LargeButFiniteNumbers_Accepted()
    {
        Assert.Equal("gpt", Parse("{\"model\":\"gpt\",\"seed\":9223372036854775808,\"x\":1e308,\"y\":-0," + Messages + "}").Model);
    }

    [Fact]
    public void Parse_InvalidUtf8InsideAMessage_ThrowsInvalidRequest()
    {
        var body = Encoding.UTF8.GetBytes("{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"ab__\"}]}");
        var at = Array.IndexOf(body, (byte)'_');
        body[at] = 0xC3; // a lead byte followed by '_': not UTF-8
        body[at + 1] = (byte)'(';

        var exception = Assert.Throws<PortalException>(() => ChatRelayRequest.Parse(body));

        Assert.Equal(PortalErrorCode.InvalidRequest, exception.Code);
    }

    [Theory]
    [InlineData("\"user\":\"\\ud83d\\ude00 \\u00e9 \\n\",")]
    [InlineData("\"user\":\"😀 é\",")]
    [InlineData("\"metadata\":{\"\\u00e9\":[\"\\\"quoted\\\"\"]},")]
    public void Parse_ValidEscapesAndNonAscii_Accepted(string member)
    {
        Assert.Equal("gpt", Parse("{\"model\":\"gpt\"," + member + Messages + "}").Model);
    }

    private static ChatRelayRequest Parse(string body) => ChatRelayRequest.Parse(Encoding.UTF8.GetBytes(body));

    private static PortalException AssertInvalid(string body, params string[] fragments)
    {
        var exception = Assert.Throws<PortalException>(() => Parse(body));
        Assert.Equal(PortalErrorCode.InvalidRequest, exception.Code);
        Assert.False(string.IsNullOrWhiteSpace(exception.Message));
        foreach (var fragment in fragments)
        {
            Assert.Contains(fragment, exception.Message, StringComparison.Ordinal);
        }

        return exception;
    }
}
