using System.Text;
using BenchmarkDotNet.Attributes;
using Portal.Providers;
using Portal.Providers.OpenAI;
using Portal.Relay.Internal;

namespace Portal.Benchmarks;

/// <summary>
/// The byte relay's work per stream event, on the load harness's canned stream (bench/load/nginx.conf: 22 events, 6.1 KB,
/// shaped like OpenAI's): SSE framing alone, the chunk scan alone (every chunk read in full, and as the relay reads them),
/// and both as the relay runs them.
/// </summary>
[MemoryDiagnoser]
public class RelayStreamBenchmarks
{
    private static readonly Channel BenchChannel = new(
        new Platform { Id = 1, Name = "bench", Format = "openai", BaseUrl = "http://127.0.0.1:1" },
        new Model { Id = 1, PlatformId = 1, Name = "gpt-bench" },
        new ApiKey { Id = 1, PlatformId = 1, Value = "sk-bench-0123456789abcdef" });

    private byte[] _stream = [];
    private byte[][] _chunks = [];

    [GlobalSetup]
    public void Setup()
    {
        var chunks = new List<byte[]>();
        var text = new StringBuilder();
        for (var i = 0; i < 18; i++)
        {
            text.Append(Event($"{{\"content\":\" word{i}\"}}", "null"));
        }

        _stream = Encoding.UTF8.GetBytes(
            Event("{\"role\":\"assistant\",\"content\":\"\"}", "null") + text + Event("{}", "\"stop\"")
            + "data: {\"id\":\"chatcmpl-bench-stream-1\",\"object\":\"chat.completion.chunk\",\"created\":1764201600,\"model\":\"gpt-bench-stream\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":25,\"completion_tokens\":18,\"total_tokens\":43,\"prompt_tokens_details\":{\"cached_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"obfuscation\":\"Qx\"}\n\n"
            + "data: [DONE]\n\n");
        foreach (var line in Encoding.UTF8.GetString(_stream).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            if (line != "data: [DONE]")
            {
                chunks.Add(Encoding.UTF8.GetBytes(line["data: ".Length..]));
            }
        }

        _chunks = [.. chunks];
    }

    /// <summary>SSE framing of the whole stream: every event located and its data copied out.</summary>
    [Benchmark]
    public async Task<int> Framing()
    {
        await using var reader = new SseReader(new MemoryStream(_stream, writable: false));
        var bytes = 0;
        while (reader.TryRead() || await reader.ReadAsync(CancellationToken.None))
        {
            bytes += reader.Data.Length;
        }

        return bytes;
    }

    /// <summary>The chunk scan of every event: choices, finish reason, usage, error, and the JSON validated.</summary>
    [Benchmark]
    public int Scan()
    {
        var choices = 0;
        foreach (var chunk in _chunks)
        {
            choices += ChunkScan.Read(chunk).Choices;
        }

        return choices;
    }

    /// <summary>The chunks as the relay reads them: the first scanned, then each plain one only looked at (<see cref="ChunkScan.IsPlain"/>).</summary>
    [Benchmark]
    public int ScanAsRelayed()
    {
        var choices = 0;
        for (var i = 0; i < _chunks.Length; i++)
        {
            if (ChunkScan.MustRead(_chunks[i], first: i == 0))
            {
                choices += ChunkScan.Read(_chunks[i]).Choices;
            }
        }

        return choices;
    }

    /// <summary>What the relay does per stream: the stream's rules over the framed events, each scanned.</summary>
    [Benchmark]
    public async Task<int> FramingScanAndRules()
    {
        await using var events = new OpenAIEventStream(new MemoryStream(_stream, writable: false), 200, BenchChannel);
        var choices = 0;
        var first = true;
        while (events.TryRead() || await events.ReadAsync(CancellationToken.None))
        {
            var scan = ChunkScan.MustRead(events.Data.Span, first) ? ChunkScan.Read(events.Data.Span) : default;
            first = false;
            events.Check(error: null, scan.Finished);
            choices += scan.Choices;
        }

        return choices;
    }

    private static string Event(string delta, string finish) =>
        "data: {\"id\":\"chatcmpl-bench-stream-1\",\"object\":\"chat.completion.chunk\",\"created\":1764201600,\"model\":\"gpt-bench-stream\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,\"delta\":"
        + delta + ",\"logprobs\":null,\"finish_reason\":" + finish + "}],\"obfuscation\":\"Qx\"}\n\n";
}
