using System.Buffers;
using System.Text.Json;
using Portal.Contracts;

namespace Portal.Providers.Anthropic;

/// <summary>
/// Turns a stream of OpenAI chat completion chunks into Anthropic Messages server-sent events, framed as Anthropic
/// frames them: <c>event: &lt;type&gt;\ndata: &lt;json&gt;\n\n</c>.
/// </summary>
/// <remarks>
/// <para>
/// The events are <c>message_start</c> (once, first; its usage is the first chunk's when that chunk carries usage,
/// otherwise zero), then content blocks numbered from 0 (<c>content_block_start</c>, deltas, <c>content_block_stop</c>),
/// then, from <see cref="Complete"/>, <c>message_delta</c> (stop reason and the last usage seen) and <c>message_stop</c>.
/// At most one block is open at a time: text opens a <c>text</c> block (<c>text_delta</c>); a tool call, identified by
/// its <c>index</c> in the OpenAI stream, closes the open block and opens a <c>tool_use</c> block whose argument
/// pieces follow as <c>input_json_delta</c>; text after a tool call opens a new text block.
/// </para>
/// <para>
/// Only choice 0 is converted (an Anthropic message has one answer). Refusal text is written as text.
/// <c>reasoning_content</c> is dropped: a <c>thinking</c> block needs a signature only Anthropic can make, and one
/// without it would be rejected if the conversation later reaches an Anthropic platform. The finish reason and the
/// usage may come in different chunks (OpenAI sends usage last, with no choices): the last of each is kept.
/// Argument pieces of a tool call whose block was already closed (a platform interleaving parallel calls) cannot be
/// written, since a block cannot be reopened, and are dropped. A tool call without an <c>index</c> continues the open
/// tool call unless it carries a new <c>id</c>; one without an <c>id</c> gets a random <c>toolu_</c> ID.
/// </para>
/// <para>One encoder per stream; not thread-safe.</para>
/// </remarks>
internal sealed class AnthropicEventEncoder
{
    private readonly string _model;
    private string? _messageId;
    private bool _started;
    private bool _completed;
    private OpenBlock _open;
    private int _nextBlock;
    private int _openToolKey;
    private string? _openToolId;
    private int _nextSyntheticKey = -1;
    private List<int>? _toolKeys;
    private string? _finishReason;
    private Usage? _usage;

    /// <summary>Creates an encoder for one stream.</summary>
    /// <param name="model">The model as the client named it, written in <c>message_start</c>.</param>
    /// <param name="messageId">
    /// The message ID; by default <c>msg_</c> and the first chunk's ID (see <see cref="AnthropicInboundWire.MessageId"/>).
    /// </param>
    public AnthropicEventEncoder(string model, string? messageId = null)
    {
        _model = model;
        _messageId = messageId;
    }

    private enum OpenBlock
    {
        None,
        Text,
        Tool,
    }

    /// <summary>Whether a chunk carried usage.</summary>
    public bool HasUsage => _usage is not null;

    /// <summary>The input tokens of the last usage seen, without the cached ones (Anthropic's <c>input_tokens</c>); 0 before any.</summary>
    public int InputTokens => AnthropicInboundUsage.From(_usage).InputTokens;

    /// <summary>The output tokens of the last usage seen; 0 before any.</summary>
    public int OutputTokens => AnthropicInboundUsage.From(_usage).OutputTokens;

    /// <summary>The input tokens read from the platform's prompt cache, of the last usage seen; 0 before any.</summary>
    public int CacheReadInputTokens => AnthropicInboundUsage.From(_usage).CacheReadInputTokens;

    /// <summary>Writes the events for one chunk (none when it carries nothing to show, such as a role-only or usage chunk).</summary>
    /// <param name="chunk">The chunk.</param>
    /// <param name="output">Where the framed events go.</param>
    /// <exception cref="InvalidOperationException"><see cref="Complete"/> was already called.</exception>
    public void Add(ChatCompletionChunk chunk, IBufferWriter<byte> output)
    {
        ThrowIfCompleted();
        if (chunk.Usage is { } usage)
        {
            _usage = usage;
        }

        if (!_started)
        {
            _messageId ??= AnthropicInboundWire.MessageId(chunk.Id);
            WriteMessageStart(output);
        }

        foreach (var choice in chunk.Choices)
        {
            if (choice.Index != 0)
            {
                continue;
            }

            AddDelta(choice.Delta, output);
            if (choice.FinishReason is { } reason)
            {
                _finishReason = reason;
            }
        }
    }

    /// <summary>Ends the stream: closes the open block and writes <c>message_delta</c> and <c>message_stop</c>.</summary>
    /// <remarks>On a stream that produced nothing, writes <c>message_start</c> first, so the output is always a whole message.</remarks>
    /// <param name="output">Where the framed events go.</param>
    /// <exception cref="InvalidOperationException"><see cref="Complete"/> was already called.</exception>
    public void Complete(IBufferWriter<byte> output)
    {
        ThrowIfCompleted();
        _completed = true;
        if (!_started)
        {
            _messageId ??= AnthropicInboundWire.MessageId(null);
            WriteMessageStart(output);
        }

        CloseOpenBlock(output);

        var json = Begin(output, "message_delta"u8);
        json.WriteStartObject("delta"u8);
        json.WriteString("stop_reason"u8, AnthropicInboundWire.StopReason(_finishReason, _toolKeys is not null));
        json.WriteNull("stop_sequence"u8);
        json.WriteEndObject();
        AnthropicInboundUsage.From(_usage).WriteTo(json);
        End(json, output);

        End(Begin(output, "message_stop"u8), output);
    }

    /// <summary>Writes one <c>error</c> event, for a failure after the stream has started.</summary>
    /// <param name="output">Where the framed event goes.</param>
    /// <param name="type">The Anthropic error type, such as <c>overloaded_error</c> or <c>api_error</c>.</param>
    /// <param name="message">The message, safe to show the client.</param>
    public static void WriteError(IBufferWriter<byte> output, string type, string message)
    {
        var json = Begin(output, "error"u8);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, type);
        json.WriteString("message"u8, message);
        json.WriteEndObject();
        End(json, output);
    }

    private void AddDelta(ChatMessageDelta delta, IBufferWriter<byte> output)
    {
        AddText(delta.Content, output);
        AddText(delta.Refusal, output);
        foreach (var call in delta.ToolCalls ?? [])
        {
            AddToolCall(call, output);
        }
    }

    private void AddText(string? text, IBufferWriter<byte> output)
    {
        if (string.IsNullOrEmpty(text))
        {
            return;
        }

        if (_open != OpenBlock.Text)
        {
            CloseOpenBlock(output);
            var start = BeginBlockStart(output);
            start.WriteString("type"u8, "text"u8);
            start.WriteString("text"u8, ""u8);
            EndBlockStart(start, output, OpenBlock.Text);
        }

        var json = BeginDelta(output);
        json.WriteString("type"u8, "text_delta"u8);
        json.WriteString("text"u8, text);
        EndDelta(json, output);
    }

    private void AddToolCall(ToolCall call, IBufferWriter<byte> output)
    {
        var key = call.Index
            ?? (_open == OpenBlock.Tool && (call.Id is null || call.Id == _openToolId) ? _openToolKey : _nextSyntheticKey--);
        if (_open != OpenBlock.Tool || key != _openToolKey)
        {
            if (_toolKeys?.Contains(key) == true)
            {
                return;
            }

            (_toolKeys ??= []).Add(key);
            CloseOpenBlock(output);
            _openToolKey = key;
            _openToolId = string.IsNullOrEmpty(call.Id) ? AnthropicInboundWire.NewToolUseId() : call.Id;
            var start = BeginBlockStart(output);
            start.WriteString("type"u8, "tool_use"u8);
            start.WriteString("id"u8, _openToolId);
            start.WriteString("name"u8, call.Function?.Name ?? "");
            start.WriteStartObject("input"u8);
            start.WriteEndObject();
            EndBlockStart(start, output, OpenBlock.Tool);
        }

        if (call.Function?.Arguments is { Length: > 0 } arguments)
        {
            var json = BeginDelta(output);
            json.WriteString("type"u8, "input_json_delta"u8);
            json.WriteString("partial_json"u8, arguments);
            EndDelta(json, output);
        }
    }

    private void WriteMessageStart(IBufferWriter<byte> output)
    {
        _started = true;
        var json = Begin(output, "message_start"u8);
        json.WriteStartObject("message"u8);
        json.WriteString("id"u8, _messageId);
        json.WriteString("type"u8, "message"u8);
        json.WriteString("role"u8, "assistant"u8);
        json.WriteString("model"u8, _model);
        json.WriteStartArray("content"u8);
        json.WriteEndArray();
        json.WriteNull("stop_reason"u8);
        json.WriteNull("stop_sequence"u8);

        // Only the input side is known this early; output tokens come in message_delta.
        (AnthropicInboundUsage.From(_usage) with { OutputTokens = 0 }).WriteTo(json);
        json.WriteEndObject();
        End(json, output);
    }

    private void CloseOpenBlock(IBufferWriter<byte> output)
    {
        if (_open == OpenBlock.None)
        {
            return;
        }

        _open = OpenBlock.None;
        var json = Begin(output, "content_block_stop"u8);
        json.WriteNumber("index"u8, _nextBlock - 1);
        End(json, output);
    }

    private Utf8JsonWriter BeginBlockStart(IBufferWriter<byte> output)
    {
        var json = Begin(output, "content_block_start"u8);
        json.WriteNumber("index"u8, _nextBlock);
        json.WriteStartObject("content_block"u8);
        return json;
    }

    private void EndBlockStart(Utf8JsonWriter json, IBufferWriter<byte> output, OpenBlock kind)
    {
        json.WriteEndObject();
        End(json, output);
        _open = kind;
        _nextBlock++;
    }

    private Utf8JsonWriter BeginDelta(IBufferWriter<byte> output)
    {
        var json = Begin(output, "content_block_delta"u8);
        json.WriteNumber("index"u8, _nextBlock - 1);
        json.WriteStartObject("delta"u8);
        return json;
    }

    private static void EndDelta(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.WriteEndObject();
        End(json, output);
    }

    /// <summary>Writes the frame's head and opens the data object with its <c>type</c>; <see cref="End"/> closes both.</summary>
    private static Utf8JsonWriter Begin(IBufferWriter<byte> output, ReadOnlySpan<byte> type)
    {
        output.Write("event: "u8);
        output.Write(type);
        output.Write("\ndata: "u8);
        var json = new Utf8JsonWriter(output, AnthropicInboundJson.WriterOptions);
        json.WriteStartObject();
        json.WriteString("type"u8, type);
        return json;
    }

    private static void End(Utf8JsonWriter json, IBufferWriter<byte> output)
    {
        json.WriteEndObject();
        json.Dispose();
        output.Write("\n\n"u8);
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The Anthropic event stream is already complete.");
        }
    }
}
