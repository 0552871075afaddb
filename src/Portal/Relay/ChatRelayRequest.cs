using System.Text.Json;

namespace Portal.Relay;

/// <summary>A chat completion request kept as the client's JSON bytes, for <see cref="PortalGateway.RelayChatCompletionAsync(Relay.ChatRelayRequest, Relay.IChatRelayWriter, CancellationToken)"/>.</summary>
/// <remarks>
/// <see cref="Parse"/> validates the JSON and reads only what routing needs (<c>model</c>, <c>stream</c>,
/// <c>stream_options.include_usage</c>); the rest is forwarded untouched to platforms that speak OpenAI, and
/// deserialized only for a platform of another format.
/// </remarks>
public sealed class ChatRelayRequest
{
    /// <summary>How deeply JSON may nest in a request body.</summary>
    public const int MaxDepth = 64;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    // Set by the gateway as attempts start and end; LastAttempt is built only when read (failures), not per request.
    private Channel? _lastChannel;
    private int _attempts;
    private ChatRelayResult? _lastResult;

    private ChatRelayRequest(ReadOnlyMemory<byte> body, string model, bool stream, bool includeUsage, in Edits edits)
    {
        Body = body;
        Model = model;
        Stream = stream;
        IncludeUsage = includeUsage;
        Locations = edits;
        RequestId = Portal.Internal.RequestScope.NewRequestId();
    }

    /// <summary>The id of this request, recorded on the stat row of each of its attempts (<see cref="RequestStat.RequestId"/>).</summary>
    /// <value>32 hexadecimal digits that sort by time (a version 7 GUID), assigned by <see cref="Parse"/>.</value>
    public string RequestId { get; }

    /// <summary>
    /// The channel and attempt count of the latest attempt, updated as the request runs: after a failure (a stream broken
    /// midway, a client that left, a cancellation by shutdown) it says where the request was when it ended.
    /// </summary>
    /// <value><see langword="null"/> until the first attempt starts.</value>
    public ChatRelayResult? LastAttempt => _lastResult
        ?? (_lastChannel is { } channel ? new ChatRelayResult(channel.Platform.Id, channel.Model.Id, channel.ApiKey.Id, _attempts, null, null) : null);

    /// <summary>Records that attempt number <paramref name="attempt"/> starts on <paramref name="channel"/>.</summary>
    internal void AttemptStarted(Channel channel, int attempt)
    {
        _lastChannel = channel;
        _attempts = attempt;
    }

    /// <summary>Records what served the request.</summary>
    internal void Served(ChatRelayResult result) => _lastResult = result;

    /// <summary>The request body as the client sent it.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The model name or alias asked for.</summary>
    public string Model { get; }

    /// <summary>Whether the client asked for a stream (<c>"stream": true</c>).</summary>
    public bool Stream { get; }

    /// <summary>Whether the client asked for a usage chunk at the end of a stream (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; }

    /// <summary>The body deserialized, once a platform of another format needed it.</summary>
    internal Contracts.ChatCompletionRequest? TypedRequest { get; set; }

    /// <summary>Where the parts the gateway may rewrite are in <see cref="Body"/>.</summary>
    internal Edits Locations { get; }

    /// <summary>Validates a request body and reads what routing needs.</summary>
    /// <param name="body">The UTF-8 JSON body; it must stay unchanged while the request is used.</param>
    /// <returns>The request.</returns>
    /// <exception cref="PortalException">
    /// The body is not a valid chat completion request (code <see cref="PortalErrorCode.InvalidRequest"/>); the message
    /// says what is wrong and where.
    /// </exception>
    public static ChatRelayRequest Parse(ReadOnlyMemory<byte> body)
    {
        if (body.Span.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw Invalid("The request body is empty: send a JSON object.");
        }

        var reader = new Utf8JsonReader(body.Span, ReaderOptions);
        try
        {
            return Read(ref reader, body);
        }
        catch (JsonException ex)
        {
            var message = NestsTooDeep(body.Span)
                ? $"The request body nests JSON deeper than {MaxDepth} levels."
                : $"The request body is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1}).";
            throw new PortalException(PortalErrorCode.InvalidRequest, message, innerException: ex);
        }
        catch (InvalidOperationException ex)
        {
            // A string (or property name) that is not valid UTF-8 or escapes a lone surrogate (\ud800).
            throw new PortalException(PortalErrorCode.InvalidRequest,
                "The request body holds a string that is not valid Unicode text (invalid UTF-8, or a lone surrogate escape such as \\ud800).", innerException: ex);
        }
    }

    /// <summary>Whether the JSON, read up to its first error, nests deeper than <see cref="MaxDepth"/> (only called for invalid bodies).</summary>
    private static bool NestsTooDeep(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = int.MaxValue });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= MaxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // The syntax error the first reading hit; the depth reached before it is what counts.
        }

        return false;
    }

    private static ChatRelayRequest Read(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid("The request body must be a JSON object.");
        }

        string? model = null;
        bool? stream = null;
        var includeUsage = false;
        var messages = -1;
        var edits = new Edits { RootStart = (int)reader.TokenStartIndex };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                Once(model is not null, "model");
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw Invalid("'model' must be a string: a model name or alias.");
                }

                model = reader.GetString();
                edits.ModelStart = (int)reader.TokenStartIndex;
                edits.ModelEnd = (int)reader.BytesConsumed;
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                Once(stream is not null, "stream");
                reader.Read();
                stream = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False or JsonTokenType.Null => false,
                    _ => throw Invalid("'stream' must be true or false."),
                };
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                Once(edits.OptionsStart >= 0 || edits.OptionsNullStart >= 0, "stream_options");
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    edits.OptionsNullStart = (int)reader.TokenStartIndex;
                    edits.OptionsNullEnd = (int)reader.BytesConsumed;
                    continue;
                }

                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Invalid("'stream_options' must be an object.");
                }

                edits.OptionsStart = (int)reader.TokenStartIndex;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    edits.OptionsEmpty = false;
                    if (reader.ValueTextEquals("include_usage"u8))
                    {
                        Once(edits.UsageStart >= 0, "stream_options.include_usage");
                        reader.Read();
                        includeUsage = reader.TokenType switch
                        {
                            JsonTokenType.True => true,
                            JsonTokenType.False or JsonTokenType.Null => false,
                            _ => throw Invalid("'stream_options.include_usage' must be true or false."),
                        };
                        edits.UsageStart = (int)reader.TokenStartIndex;
                        edits.UsageEnd = (int)reader.BytesConsumed;
                    }
                    else
                    {
                        CheckText(ref reader);
                        reader.Read();
                        SkipChecked(ref reader);
                    }
                }
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                Once(messages >= 0, "messages");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw Invalid("'messages' must be an array of messages.");
                }

                messages = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw Invalid($"'messages[{messages}]' must be an object with a 'role'.");
                    }

                    SkipChecked(ref reader);
                    messages++;
                }
            }
            else
            {
                CheckText(ref reader);
                reader.Read();
                SkipChecked(ref reader);
            }
        }

        // Reading to the end validates the rest of the document (one value, nothing after it).
        while (reader.Read())
        {
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            throw Invalid("The request has no model: set 'model' to a model name or alias.");
        }

        if (messages <= 0)
        {
            throw Invalid("The request has no messages: 'messages' must contain at least one message.");
        }

        return new ChatRelayRequest(body, model, stream == true, includeUsage, edits);
    }

    /// <summary>Skips the value the reader is on, checking that every string and property name in it is valid text.</summary>
    /// <remarks>
    /// The reader checks JSON syntax but not the text inside strings: a lone surrogate escape (<c>\ud800</c>) or invalid
    /// UTF-8 passes it and fails later, wherever the string is decoded (in an adapter, a conversion, an upstream). Found
    /// here, it is the client's 400 before any attempt, not an upstream failure.
    /// </remarks>
    private static void SkipChecked(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            CheckText(ref reader);
            return;
        }

        var depth = reader.CurrentDepth;
        while (reader.Read() && reader.CurrentDepth > depth)
        {
            CheckText(ref reader);
        }
    }

    /// <summary>
    /// Throws when the string or property name the reader is on is not valid UTF-8 or escapes a lone surrogate, or when
    /// the number it is on does not fit a double (<c>1e999</c>: it would read as infinity, which no JSON writer accepts).
    /// </summary>
    private static void CheckText(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
            {
                throw Invalid("The request body holds a number out of range: JSON numbers must fit a 64-bit floating point value.");
            }

            return;
        }

        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName))
        {
            return;
        }

        // The body is one contiguous buffer, so ValueSpan holds the whole token.
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            if (!System.Text.Unicode.Utf8.IsValid(raw))
            {
                throw new InvalidOperationException("Invalid UTF-8 in a string.");
            }

            return;
        }

        // Unescaping validates both the bytes and the escapes; it throws InvalidOperationException on either.
        char[]? rented = null;
        Span<char> buffer = raw.Length <= 256 ? stackalloc char[raw.Length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            reader.CopyString(buffer);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static void Once(bool seen, string name)
    {
        if (seen)
        {
            throw Invalid($"'{name}' appears more than once in the request body.");
        }
    }

    private static PortalException Invalid(string message) => new(PortalErrorCode.InvalidRequest, message);

    /// <summary>Byte offsets into the body (-1 when absent); ends are exclusive.</summary>
    internal struct Edits
    {
        public Edits()
        {
        }

        public int RootStart { get; set; }

        public int ModelStart { get; set; } = -1;

        public int ModelEnd { get; set; } = -1;

        public int OptionsStart { get; set; } = -1;

        public bool OptionsEmpty { get; set; } = true;

        public int OptionsNullStart { get; set; } = -1;

        public int OptionsNullEnd { get; set; } = -1;

        public int UsageStart { get; set; } = -1;

        public int UsageEnd { get; set; } = -1;
    }
}
