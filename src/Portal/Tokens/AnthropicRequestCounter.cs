using System.Text.Json;
using Portal.Relay;

namespace Portal.Tokens;

/// <summary>Walks an Anthropic Messages request body once, with a <see cref="Utf8JsonReader"/>, adding up its estimated tokens.</summary>
/// <remarks>
/// Nothing is deserialized: strings are counted from the body's bytes, JSON values (tool inputs and schemas) from their
/// compacted text, and images by the size read from the start of their base64 data. A content block is read twice: a
/// copy of the reader finds its <c>type</c> first, wherever it stands among the block's members.
/// See <see cref="TokenEstimator.EstimateAnthropicRequest"/> for what is counted.
/// </remarks>
internal ref struct AnthropicRequestCounter
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = ChatRelayRequest.MaxDepth };

    private readonly ReadOnlySpan<byte> _json;
    private Utf8JsonReader _reader;

    private AnthropicRequestCounter(ReadOnlySpan<byte> json)
    {
        _json = json;
        _reader = new Utf8JsonReader(json, ReaderOptions);
    }

    private enum BlockKind
    {
        Other,
        Text,
        Image,
        Document,
        ToolUse,
        ToolResult,
        SearchResult,
        RedactedThinking,
    }

    /// <summary>Estimates the input tokens of a request body.</summary>
    /// <param name="json">The UTF-8 JSON body.</param>
    /// <returns>The estimate.</returns>
    /// <exception cref="PortalException">The body is not a JSON object (code <see cref="PortalErrorCode.InvalidRequest"/>).</exception>
    public static int Count(ReadOnlySpan<byte> json)
    {
        var counter = new AnthropicRequestCounter(json);
        try
        {
            var total = counter.CountRoot();
            _ = counter._reader.Read(); // Throws on anything but whitespace after the object.
            return total;
        }
        catch (JsonException ex)
        {
            throw new PortalException(PortalErrorCode.InvalidRequest,
                $"The request body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).",
                innerException: ex);
        }
        catch (InvalidOperationException ex)
        {
            // A string that is not valid UTF-8 or escapes a lone surrogate (\ud800).
            throw new PortalException(PortalErrorCode.InvalidRequest,
                "The request body holds a string that is not valid Unicode text (invalid UTF-8, or a lone surrogate escape such as \\ud800).",
                innerException: ex);
        }
    }

    private int CountRoot()
    {
        if (!_reader.Read() || _reader.TokenType != JsonTokenType.StartObject)
        {
            throw new PortalException(PortalErrorCode.InvalidRequest, "The request body must be a JSON object.");
        }

        var total = TokenCosts.ReplyPriming;
        var tools = 0;
        var forced = false;
        while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
        {
            if (_reader.ValueTextEquals("system"u8))
            {
                _reader.Read();
                if (_reader.TokenType is JsonTokenType.String or JsonTokenType.StartArray)
                {
                    total += TokenCosts.PerMessage;
                }

                total += CountContent();
            }
            else if (_reader.ValueTextEquals("messages"u8))
            {
                _reader.Read();
                total += CountMessages();
            }
            else if (_reader.ValueTextEquals("tools"u8))
            {
                _reader.Read();
                total += CountTools(out tools);
            }
            else if (_reader.ValueTextEquals("tool_choice"u8))
            {
                _reader.Read();
                forced = _reader.TokenType == JsonTokenType.StartObject && TypeIs(_reader, "any"u8, "tool"u8);
                _reader.Skip();
            }
            else
            {
                SkipValue();
            }
        }

        if (tools > 0)
        {
            total += forced ? TokenCosts.AnthropicToolPromptForced : TokenCosts.AnthropicToolPromptAuto;
        }

        return total;
    }

    private int CountMessages()
    {
        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            _reader.Skip();
            return 0;
        }

        var total = 0;
        while (_reader.Read() && _reader.TokenType != JsonTokenType.EndArray)
        {
            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                _reader.Skip();
                continue;
            }

            total += TokenCosts.PerMessage;
            while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
            {
                if (_reader.ValueTextEquals("role"u8))
                {
                    _reader.Read();
                    total += CountStringOrSkip();
                }
                else if (_reader.ValueTextEquals("content"u8))
                {
                    _reader.Read();
                    total += CountContent();
                }
                else
                {
                    SkipValue();
                }
            }
        }

        return total;
    }

    private int CountTools(out int tools)
    {
        tools = 0;
        if (_reader.TokenType != JsonTokenType.StartArray)
        {
            _reader.Skip();
            return 0;
        }

        var total = 0;
        while (_reader.Read() && _reader.TokenType != JsonTokenType.EndArray)
        {
            if (_reader.TokenType != JsonTokenType.StartObject)
            {
                _reader.Skip();
                continue;
            }

            tools++;
            total += TokenCosts.PerTool;
            while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
            {
                if (_reader.ValueTextEquals("name"u8) || _reader.ValueTextEquals("description"u8))
                {
                    _reader.Read();
                    total += CountStringOrSkip();
                }
                else if (_reader.ValueTextEquals("input_schema"u8))
                {
                    _reader.Read();
                    total += CountValue();
                }
                else
                {
                    SkipValue();
                }
            }
        }

        return total;
    }

    /// <summary>Counts a message's (or a tool result's, or a system prompt's) content: a string, or an array of blocks.</summary>
    private int CountContent()
    {
        switch (_reader.TokenType)
        {
            case JsonTokenType.String:
                return JsonTokens.CountString(ref _reader);
            case JsonTokenType.StartArray:
                var total = 0;
                while (_reader.Read() && _reader.TokenType != JsonTokenType.EndArray)
                {
                    total += _reader.TokenType == JsonTokenType.StartObject ? CountBlock() : CountStringOrSkip();
                }

                return total;
            default:
                _reader.Skip();
                return 0;
        }
    }

    private int CountBlock()
    {
        var kind = Classify(_reader);
        var total = kind is BlockKind.ToolUse or BlockKind.ToolResult ? TokenCosts.PerToolCall : 0;
        while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
        {
            if (kind == BlockKind.RedactedThinking)
            {
                SkipValue(); // Encrypted: its size says nothing of its tokens.
            }
            else if (_reader.ValueTextEquals("text"u8) || _reader.ValueTextEquals("thinking"u8))
            {
                _reader.Read();
                total += CountStringOrSkip();
            }
            else if (kind == BlockKind.ToolUse && (_reader.ValueTextEquals("name"u8) || _reader.ValueTextEquals("id"u8)))
            {
                _reader.Read();
                total += CountStringOrSkip();
            }
            else if (kind == BlockKind.ToolUse && _reader.ValueTextEquals("input"u8))
            {
                _reader.Read();
                total += CountValue();
            }
            else if (kind == BlockKind.ToolResult && _reader.ValueTextEquals("tool_use_id"u8))
            {
                _reader.Read();
                total += CountStringOrSkip();
            }
            else if (kind is BlockKind.Document or BlockKind.SearchResult
                && (_reader.ValueTextEquals("title"u8) || _reader.ValueTextEquals("context"u8)))
            {
                _reader.Read();
                total += CountStringOrSkip();
            }
            else if (_reader.ValueTextEquals("source"u8))
            {
                _reader.Read();
                total += kind switch
                {
                    BlockKind.Image => CountImageSource(),
                    BlockKind.Document => CountDocumentSource(),
                    BlockKind.SearchResult => CountStringOrSkip(),
                    _ => SkipValue(0),
                };
            }
            else if (kind is not (BlockKind.Image or BlockKind.Document) && _reader.ValueTextEquals("content"u8))
            {
                _reader.Read();
                total += CountContent();
            }
            else
            {
                SkipValue();
            }
        }

        return total;
    }

    private int CountImageSource()
    {
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            _reader.Skip();
            return TokenCosts.AnthropicUnknownImage;
        }

        var cost = TokenCosts.AnthropicUnknownImage;
        while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
        {
            var isData = _reader.ValueTextEquals("data"u8);
            _reader.Read();
            if (isData && _reader.TokenType == JsonTokenType.String
                && ImageSize.TryRead(_reader.ValueSpan, _reader.ValueIsEscaped, out var width, out var height))
            {
                cost = ImageCosts.Anthropic(width, height);
            }

            _reader.Skip();
        }

        return cost;
    }

    private int CountDocumentSource()
    {
        if (_reader.TokenType != JsonTokenType.StartObject)
        {
            _reader.Skip();
            return 0;
        }

        var isText = TypeIs(_reader, "text"u8, "text"u8);
        var isContent = !isText && TypeIs(_reader, "content"u8, "content"u8);
        var total = isText || isContent ? 0 : TokenCosts.AnthropicPdfDocument;
        while (_reader.Read() && _reader.TokenType == JsonTokenType.PropertyName)
        {
            if (isText && _reader.ValueTextEquals("data"u8))
            {
                _reader.Read();
                total += CountStringOrSkip();
            }
            else if (isContent && _reader.ValueTextEquals("content"u8))
            {
                _reader.Read();
                total += CountContent();
            }
            else
            {
                SkipValue();
            }
        }

        return total;
    }

    /// <summary>Counts the compacted JSON text of the value the reader is on, and moves past it.</summary>
    private int CountValue()
    {
        var start = (int)_reader.TokenStartIndex;
        _reader.Skip();
        return JsonTokens.CountCompact(_json[start..(int)_reader.BytesConsumed]);
    }

    private int CountStringOrSkip()
    {
        if (_reader.TokenType == JsonTokenType.String)
        {
            return JsonTokens.CountString(ref _reader);
        }

        _reader.Skip();
        return 0;
    }

    /// <summary>Moves from a property name past its value.</summary>
    private void SkipValue()
    {
        _reader.Read();
        _reader.Skip();
    }

    /// <summary>Moves past the value the reader is on and returns <paramref name="result"/>.</summary>
    private int SkipValue(int result)
    {
        _reader.Skip();
        return result;
    }

    /// <summary>Reads the <c>type</c> of the block a copy of the reader starts on.</summary>
    private static BlockKind Classify(Utf8JsonReader block)
    {
        if (!SeekType(ref block))
        {
            return BlockKind.Other;
        }

        if (block.ValueTextEquals("text"u8))
        {
            return BlockKind.Text;
        }

        if (block.ValueTextEquals("image"u8))
        {
            return BlockKind.Image;
        }

        if (block.ValueTextEquals("document"u8))
        {
            return BlockKind.Document;
        }

        if (block.ValueTextEquals("tool_use"u8) || block.ValueTextEquals("server_tool_use"u8) || block.ValueTextEquals("mcp_tool_use"u8))
        {
            return BlockKind.ToolUse;
        }

        // tool_result, mcp_tool_result and the server tools' results (web_search_tool_result, ...).
        if (block.ValueTextEquals("tool_result"u8) || (!block.ValueIsEscaped && block.ValueSpan.EndsWith("_tool_result"u8)))
        {
            return BlockKind.ToolResult;
        }

        if (block.ValueTextEquals("search_result"u8))
        {
            return BlockKind.SearchResult;
        }

        return block.ValueTextEquals("redacted_thinking"u8) ? BlockKind.RedactedThinking : BlockKind.Other;
    }

    /// <summary>Whether the object a copy of the reader starts on has a <c>type</c> of <paramref name="first"/> or <paramref name="second"/>.</summary>
    private static bool TypeIs(Utf8JsonReader value, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) =>
        SeekType(ref value) && (value.ValueTextEquals(first) || value.ValueTextEquals(second));

    /// <summary>Moves a reader on an object's start to the string value of the object's <c>type</c> member.</summary>
    /// <returns>Whether the object has a <c>type</c> that is a string.</returns>
    private static bool SeekType(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isType = reader.ValueTextEquals("type"u8);
            reader.Read();
            if (isType && reader.TokenType == JsonTokenType.String)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
