using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Portal.Contracts;
using Portal.Providers;
using Portal.Providers.OpenAI;

namespace Portal.Benchmarks;

/// <summary>Reading a ~1 MB OpenAI chat completion stream from memory: SSE framing alone, and framing plus chunk deserialization.</summary>
/// <remarks>The MB/s column is the payload size divided by the mean time of one whole stream. Target: over 200 MB/s for framing.</remarks>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class SseParsingBenchmarks
{
    /// <summary>The size of the stream each invocation reads.</summary>
    internal static readonly byte[] Payload = BuildStream(targetBytes: 1024 * 1024, out _);

    /// <summary>The number of events in <see cref="Payload"/>, [DONE] included.</summary>
    internal static readonly int EventCount = CountEvents();

    private byte[] _payload = [];

    [GlobalSetup]
    public void Setup() => _payload = Payload;

    /// <summary>SSE framing only: every event's data is located and copied out, nothing is decoded.</summary>
    [Benchmark(Baseline = true)]
    public async Task<long> Framing()
    {
        using var stream = new MemoryStream(_payload, writable: false);
        var reader = new SseReader(stream);
        await using (reader.ConfigureAwait(false))
        {
            long bytes = 0;
            while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                bytes += reader.Data.Length;
            }

            return bytes;
        }
    }

    /// <summary>The adapter's path: framing, then each chunk deserialized with the source-generated context.</summary>
    [Benchmark]
    public async Task<int> FramingAndDeserialize()
    {
        using var stream = new MemoryStream(_payload, writable: false);
        var reader = new SseReader(stream);
        await using (reader.ConfigureAwait(false))
        {
            var characters = 0;
            while (await reader.ReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (reader.Data.Span.SequenceEqual("[DONE]"u8))
                {
                    break;
                }

                var chunk = JsonSerializer.Deserialize(reader.Data.Span, PortalJsonContext.Default.ChatCompletionChunk);
                characters += chunk!.Choices.Count > 0 ? chunk.Choices[0].Delta?.Content?.Length ?? 0 : 0;
            }

            return characters;
        }
    }

    /// <summary>Builds an OpenAI-shaped stream: content deltas of a few words each, a finish chunk with usage, then [DONE].</summary>
    internal static byte[] BuildStream(int targetBytes, out int events)
    {
        string[] words = ["The", " gateway", " routes", " each", " request", " to", " a", " healthy", " channel,", " and", " fails", " over", " when", " one", " breaks.", " Zoë", " says", " “ok”", " ✓", "\\n"];
        var builder = new StringBuilder(targetBytes + 1024);
        events = 0;
        while (builder.Length < targetBytes)
        {
            var delta = events == 0
                ? "\"role\":\"assistant\",\"content\":\"\""
                : "\"content\":\"" + words[events % words.Length] + "\"";
            builder.Append("data: {\"id\":\"chatcmpl-BkZ8x2dP4qR7sT1uV3wX5yZ9aB0c\",\"object\":\"chat.completion.chunk\",\"created\":1750000000,")
                .Append("\"model\":\"gpt-4o-mini-2024-07-18\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_34a54ae93c\",")
                .Append("\"choices\":[{\"index\":0,\"delta\":{").Append(delta).Append("},\"logprobs\":null,\"finish_reason\":null}],")
                .Append("\"usage\":null,\"obfuscation\":\"").Append(events.ToString("x6", CultureInfo.InvariantCulture)).Append("\"}\n\n");
            events++;
        }

        builder.Append("data: {\"id\":\"chatcmpl-BkZ8x2dP4qR7sT1uV3wX5yZ9aB0c\",\"object\":\"chat.completion.chunk\",\"created\":1750000000,")
            .Append("\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],")
            .Append("\"usage\":{\"prompt_tokens\":1024,\"completion_tokens\":").Append(events.ToString(CultureInfo.InvariantCulture))
            .Append(",\"total_tokens\":").Append((1024 + events).ToString(CultureInfo.InvariantCulture)).Append("}}\n\n")
            .Append("data: [DONE]\n\n");
        events += 2;
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static int CountEvents()
    {
        BuildStream(targetBytes: 1024 * 1024, out var events);
        return events;
    }

    /// <summary>Adds the MB/s column.</summary>
    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn());
    }

    /// <summary>Payload megabytes (10^6 bytes) per second of mean time.</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => nameof(ThroughputColumn);

        public string ColumnName => "MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => $"Throughput over the {Payload.Length:N0}-byte stream ({EventCount:N0} events), in 10^6 bytes per second";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
            return mean is > 0 ? (Payload.Length / (mean.Value / 1e9) / 1e6).ToString("N1", CultureInfo.InvariantCulture) : "NA";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}
