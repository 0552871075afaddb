using System.Text;
using System.Text.Json;
using Portal.Relay.Internal;

namespace Portal.Tests.Relay;

/// <summary>
/// The quick look that lets most stream chunks through without reading their JSON: it may say "plain" only of a chunk
/// in which the full scan finds no usage, finish reason or error.
/// </summary>
public sealed class ChunkScanTests
{
    private const string Text = """{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"hi"},"logprobs":null,"finish_reason":null}]}""";

    public static TheoryData<string> PlainChunks => new()
    {
        Text,
        """{"id":"c1","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}""",
        " \r\n{ \"choices\" : [ { \"delta\" : { \"content\" : \"x\" } , \"finish_reason\" : null } ] , \"usage\"\t:\tnull }\n",
        """{"choices":[{"delta":{"content":"the \"usage\" and \"error\" of \"finish_reason\""},"finish_reason":null}]}""",
        """{"choices":[{"delta":{"role":"assistant","content":"usage"},"finish_reason":null}],"type":"error"}""",
        """{"error":null,"choices":[{"delta":{},"finish_reason":null},{"delta":{},"finish_reason":null}]}""",
        "{}",
        // A name that ends like one the gateway reads, with a null value.
        """{"say \"usage":null,"choices":[{"delta":{},"finish_reason":null}]}""",
    };

    public static TheoryData<string> ChunksToRead => new()
    {
        """{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
        """{"choices":[{"delta":{},"finish_reason" : "length"}]}""",
        """{"choices":[{"delta":{},"finish_reason":null},{"delta":{},"finish_reason":"stop"}]}""",
        """{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}""",
        """{"error":{"message":"Model crashed","type":"server_error"}}""",
        """{"choices":[{"delta":{"content":"x"},"finish_reason":nullx}]}""",
        // A member name spelt in escapes: only the full scan decodes it.
        """{"choices":[],"us\u0061ge":{"prompt_tokens":3,"completion_tokens":5}}""",
        """{"choices":[{"delta":{"content":"caf\u00e9"},"finish_reason":null}]}""",
        // A name that ends like one the gateway reads: the quick look cannot tell, so the scan reads it.
        """{"say \"usage":{"a":1},"choices":[{"delta":{},"finish_reason":null}]}""",
        // Not one JSON object.
        """{"choices":[ oops""",
        "[1,2]",
        "<html>oops</html>",
        "",
        "{",
    };

    [Theory]
    [MemberData(nameof(PlainChunks))]
    public void IsPlain_ChunkWithNothingToRead_True(string chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(chunk);

        Assert.True(ChunkScan.IsPlain(bytes));
        AssertScanFindsNothing(bytes);
    }

    [Theory]
    [MemberData(nameof(ChunksToRead))]
    public void IsPlain_ChunkWithUsageFinishErrorEscapesOrNotAnObject_False(string chunk)
    {
        Assert.False(ChunkScan.IsPlain(Encoding.UTF8.GetBytes(chunk)));
    }

    [Fact]
    public void IsPlain_MalformedInsideItsBraces_TrueWithoutValidating()
    {
        // The documented trade: after a stream's first chunk, a chunk that looks plain is relayed as the upstream sent it.
        Assert.True(ChunkScan.IsPlain("{\"choices\":[ not json }"u8));
    }

    [Fact]
    public void IsPlain_EveryTruncationOfAFinishingChunk_NeverPlainWhileTheScanWouldFindSomething()
    {
        // Cut anywhere, a chunk that still looks plain is one the scan rejects as malformed or finds nothing in.
        var chunk = Encoding.UTF8.GetBytes("""{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""");
        var plain = 0;
        for (var length = 0; length <= chunk.Length; length++)
        {
            var cut = chunk[..length];
            if (!ChunkScan.IsPlain(cut))
            {
                continue;
            }

            plain++;
            ChunkScan scan;
            try
            {
                scan = ChunkScan.Read(cut);
            }
            catch (JsonException)
            {
                continue;
            }

            Assert.False(scan.HasUsage || scan.Finished || scan.HasError, $"plain but not empty: {Encoding.UTF8.GetString(cut)}");
        }

        Assert.NotEqual(0, plain); // e.g. {"choices":[{"delta":{}
    }

    [Fact]
    public void MustRead_FirstChunkAlways_LaterOnlyUnlessPlain()
    {
        var plain = Encoding.UTF8.GetBytes(Text);
        var finishing = """{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"""u8.ToArray();

        Assert.True(ChunkScan.MustRead(plain, first: true));
        Assert.False(ChunkScan.MustRead(plain, first: false));
        Assert.True(ChunkScan.MustRead(finishing, first: false));
    }

    private static void AssertScanFindsNothing(byte[] chunk)
    {
        var scan = ChunkScan.Read(chunk);
        Assert.False(scan.HasUsage);
        Assert.False(scan.Finished);
        Assert.False(scan.HasError);
    }
}
