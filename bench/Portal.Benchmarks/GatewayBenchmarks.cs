using System.Net;
using System.Net.Http.Headers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Portal.Contracts;

namespace Portal.Benchmarks;

/// <summary>
/// One whole request through the engine over an in-process handler that answers at once with a canned ~600-byte
/// completion (or a five-chunk stream): resolution, selection, attempt bookkeeping, request serialization, response
/// parsing, health and the queued stat. No network, so this is the engine's own cost per request.
/// </summary>
[MemoryDiagnoser]
public class GatewayBenchmarks
{
    private const string Completion = """
        {"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-bench","choices":[{"index":0,"message":{"role":"assistant","content":"Lisbon will be mild next Tuesday, around 19 degrees with a light breeze in the evening, so a thin jacket is enough. Your seat is 14C and one checked bag of 23 kg is included."},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":48,"total_tokens":168,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"system_fingerprint":"fp_bench"}
        """;

    private static readonly byte[] CompletionBytes = Encoding.UTF8.GetBytes(Completion);
    private static readonly byte[] StreamBytes = Encoding.UTF8.GetBytes(string.Concat(
        Enumerable.Range(0, 5).Select(i => $"data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-bench\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"part {i} \"}},\"finish_reason\":null}}]}}\n\n"))
        + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":5,\"total_tokens\":125}}\n\ndata: [DONE]\n\n");

    private static readonly byte[] RequestBytes = Encoding.UTF8.GetBytes("""
        {"model":"bench","messages":[{"role":"system","content":"You are a helpful travel assistant."},{"role":"user","content":"Do I need a jacket in Lisbon next Tuesday?"}],"temperature":0.2}
        """);

    private static readonly byte[] StreamRequestBytes = Encoding.UTF8.GetBytes("""
        {"model":"bench","stream":true,"messages":[{"role":"system","content":"You are a helpful travel assistant."},{"role":"user","content":"Do I need a jacket in Lisbon next Tuesday?"}],"temperature":0.2}
        """);

    private readonly CountingWriter _writer = new();
    private PortalGateway _gateway = null!;
    private ChatCompletionRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var repository = new InMemoryPortalRepository(maxStats: 10_000);
        repository.Add(new Platform { Id = 1, Name = "bench", Format = "openai", BaseUrl = "http://127.0.0.1:1" });
        repository.Add(new Model { Id = 1, PlatformId = 1, Name = "gpt-bench", Alias = "bench" });
        for (var i = 1; i <= 4; i++)
        {
            repository.Add(new ApiKey { Id = i, PlatformId = 1, Value = $"sk-bench-{i}-0123456789abcdef" });
        }

        _gateway = PortalGateway.Create(new PortalOptions { Repository = repository, HttpMessageHandler = new CannedHandler() });
        _request = new ChatCompletionRequest
        {
            Model = "bench",
            Messages = [new ChatMessage("system", "You are a helpful travel assistant."), new ChatMessage("user", "Do I need a jacket in Lisbon next Tuesday?")],
            Temperature = 0.2,
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A non-streaming request.</summary>
    [Benchmark]
    public async Task<string?> Chat() => (await _gateway.ChatCompletionAsync(_request)).Id;

    /// <summary>A streaming request read to the end (six chunks).</summary>
    [Benchmark]
    public async Task<int> Stream()
    {
        var chunks = 0;
        await foreach (var chunk in _gateway.StreamChatCompletionAsync(_request))
        {
            chunks += chunk.Choices.Count;
        }

        return chunks;
    }

    /// <summary>The server's path: a body kept as bytes, parsed for routing, relayed (non-streaming).</summary>
    [Benchmark]
    public async Task<int> RelayChat()
    {
        var result = await _gateway.RelayChatCompletionAsync(Relay.ChatRelayRequest.Parse(RequestBytes), _writer);
        return result.Attempts;
    }

    /// <summary>The server's path for a stream (six chunks relayed as bytes).</summary>
    [Benchmark]
    public async Task<int> RelayStream()
    {
        var result = await _gateway.RelayChatCompletionAsync(Relay.ChatRelayRequest.Parse(StreamRequestBytes), _writer);
        return result.Attempts;
    }

    private sealed class CountingWriter : Relay.IChatRelayWriter
    {
        public long Bytes { get; private set; }

        public ValueTask StartAsync(bool stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask WriteBodyAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
        {
            Bytes += json.Length;
            return ValueTask.CompletedTask;
        }

        public ValueTask WriteEventAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            Bytes += data.Length;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class CannedHandler : HttpMessageHandler
    {
        private static readonly MediaTypeHeaderValue Json = new("application/json");
        private static readonly MediaTypeHeaderValue EventStream = new("text/event-stream");

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var stream = request.Headers.Accept.Any(a => a.MediaType == "text/event-stream");
            var content = new ByteArrayContent(stream ? StreamBytes : CompletionBytes);
            content.Headers.ContentType = stream ? EventStream : Json;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        }
    }
}
