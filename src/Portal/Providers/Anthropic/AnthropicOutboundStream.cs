using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>Decodes one Anthropic Messages event stream into contract chunks, event by event.</summary>
/// <remarks>
/// <para>
/// <c>message_start</c> gives the chunk that opens the assistant message; text, thinking and tool input deltas give a
/// chunk each; the <c>message_delta</c> that carries the stop reason gives the chunk with <c>finish_reason</c>; and
/// <c>message_stop</c> gives the last chunk, with no choice and the usage of the whole request, and sets
/// <see cref="Finished"/>. Tool calls are numbered in the order their blocks start, from 0, whatever other blocks lie
/// between them. An empty tool input delta (Anthropic opens each tool block with one) gives no chunk.
/// </para>
/// <para>
/// <c>ping</c>, <c>content_block_stop</c>, <c>signature_delta</c> (the contract has nowhere to keep a thinking signature),
/// text and thinking block starts, other block types, and event types this class does not know give nothing, so the
/// stream keeps working when Anthropic adds events. Events after <c>message_stop</c> are ignored.
/// </para>
/// <para>One instance per stream; not thread-safe.</para>
/// </remarks>
internal sealed class AnthropicOutboundStream
{
    private const string What = "an event";

    private readonly long _created;

    /// <summary>The contract's tool call index of each Anthropic tool_use block, by the block's index.</summary>
    private readonly Dictionary<int, int> _toolIndexes = [];

    private string _id = "";
    private string _model = "";
    private bool _started;
    private bool _finishReasonSent;

    /// <summary>Starts decoding a stream.</summary>
    /// <param name="created">The <c>created</c> time every chunk reports, in Unix seconds (Anthropic sends none).</param>
    public AnthropicOutboundStream(long created)
    {
        _created = created;
    }

    /// <summary>Whether <c>message_stop</c> was read: the stream ended as it should.</summary>
    public bool Finished { get; private set; }

    /// <summary>The token counts reported so far: input counts from <c>message_start</c>, output counts from the last <c>message_delta</c>.</summary>
    public AnthropicOutboundUsage Usage { get; private set; }

    /// <summary>Decodes one event.</summary>
    /// <param name="eventType">The event's SSE <c>event:</c> name, used when its data has no <c>type</c>.</param>
    /// <param name="data">The event's data, a JSON object.</param>
    /// <returns>The chunk the event stands for, or <see langword="null"/> when it stands for none.</returns>
    /// <exception cref="UpstreamException">
    /// The event is an <c>error</c> (kind <see cref="UpstreamErrorKind.Http"/>, with the status Anthropic would have
    /// answered with: 529 for <c>overloaded_error</c> and so on), or it is malformed or out of order (kind <see cref="UpstreamErrorKind.Protocol"/>).
    /// </exception>
    public ChatCompletionChunk? Read(string? eventType, ReadOnlySpan<byte> data)
    {
        if (Finished)
        {
            return null;
        }

        using var document = AnthropicOutboundMapping.ParseObject(data, What);
        var root = document.RootElement;
        var type = AnthropicOutboundMapping.StringOf(root, "type") ?? eventType;
        switch (type)
        {
            case "error":
                throw AnthropicOutboundMapping.Error(root);
            case "message_start":
                return Start(root);
            case "content_block_start" or "content_block_delta" or "message_delta" or "message_stop" when !_started:
                throw AnthropicOutboundMapping.Protocol($"Upstream sent {type} before message_start.");
            case "content_block_start":
                return BlockStart(root);
            case "content_block_delta":
                return BlockDelta(root);
            case "message_delta":
                return MessageDelta(root);
            case "message_stop":
                Finished = true;
                return new ChatCompletionChunk { Id = _id, Created = _created, Model = _model, Usage = Usage.ToUsage() };
            default:
                return null;
        }
    }

    private ChatCompletionChunk Start(JsonElement root)
    {
        if (_started)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream sent a second message_start.");
        }

        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream sent a message_start without a message.");
        }

        _started = true;
        _id = AnthropicOutboundMapping.StringOf(message, "id") ?? "";
        _model = AnthropicOutboundMapping.StringOf(message, "model") ?? "";
        if (message.TryGetProperty("usage", out var usage))
        {
            Usage = Usage.With(usage);
        }

        // OpenAI's first chunk carries the role and empty content.
        return Chunk(new ChatMessageDelta { Role = "assistant", Content = "" });
    }

    private ChatCompletionChunk? BlockStart(JsonElement root)
    {
        if (!root.TryGetProperty("content_block", out var block) || block.ValueKind != JsonValueKind.Object)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream sent a content_block_start without a content block.");
        }

        if (AnthropicOutboundMapping.StringOf(block, "type") != "tool_use")
        {
            return null;
        }

        var id = AnthropicOutboundMapping.StringOf(block, "id");
        var name = AnthropicOutboundMapping.StringOf(block, "name");
        if (id is null || name is null)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream started a tool_use block without an id and a name.");
        }

        var index = _toolIndexes.Count;
        if (!_toolIndexes.TryAdd(BlockIndex(root, "content_block_start"), index))
        {
            throw AnthropicOutboundMapping.Protocol("Upstream started the same content block twice.");
        }

        return Chunk(new ChatMessageDelta
        {
            ToolCalls = [new ToolCall { Index = index, Id = id, Type = "function", Function = new FunctionCall { Name = name, Arguments = "" } }],
        });
    }

    private ChatCompletionChunk? BlockDelta(JsonElement root)
    {
        if (!root.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object)
        {
            throw AnthropicOutboundMapping.Protocol("Upstream sent a content_block_delta without a delta.");
        }

        switch (AnthropicOutboundMapping.StringOf(delta, "type"))
        {
            case "text_delta":
                return Chunk(new ChatMessageDelta { Content = Required(delta, "text", "text_delta") });
            case "thinking_delta":
                return Chunk(new ChatMessageDelta { ReasoningContent = Required(delta, "thinking", "thinking_delta") });
            case "input_json_delta":
                var json = Required(delta, "partial_json", "input_json_delta");
                if (!_toolIndexes.TryGetValue(BlockIndex(root, "content_block_delta"), out var index))
                {
                    throw AnthropicOutboundMapping.Protocol("Upstream sent an input_json_delta for a block that is not a tool_use block.");
                }

                return json.Length == 0
                    ? null
                    : Chunk(new ChatMessageDelta { ToolCalls = [new ToolCall { Index = index, Function = new FunctionCall { Arguments = json } }] });
            default:
                // signature_delta, citations_delta, and delta types added later.
                return null;
        }
    }

    private ChatCompletionChunk? MessageDelta(JsonElement root)
    {
        if (root.TryGetProperty("usage", out var usage))
        {
            Usage = Usage.With(usage);
        }

        var stopReason = root.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object
            ? AnthropicOutboundMapping.StringOf(delta, "stop_reason")
            : null;
        if (stopReason is null || _finishReasonSent)
        {
            return null;
        }

        _finishReasonSent = true;
        return Chunk(new ChatMessageDelta(), AnthropicOutboundMapping.FinishReason(stopReason));
    }

    private ChatCompletionChunk Chunk(ChatMessageDelta delta, string? finishReason = null) => new()
    {
        Id = _id,
        Created = _created,
        Model = _model,
        Choices = [new ChatChunkChoice { Delta = delta, FinishReason = finishReason }],
    };

    private static int BlockIndex(JsonElement root, string type) =>
        root.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt32(out var value)
            ? value
            : throw AnthropicOutboundMapping.Protocol($"Upstream sent a {type} without a block index.");

    private static string Required(JsonElement delta, string name, string type) =>
        AnthropicOutboundMapping.StringOf(delta, name) ?? throw AnthropicOutboundMapping.Protocol($"Upstream sent a {type} without its {name}.");
}
