using System.Text.Json;
using Portal.Relay.Internal;

namespace Portal.Relay;

/// <summary>A chat completion request kept as the client's JSON bytes, for <see cref="PortalGateway.RelayChatCompletionAsync(Relay.ChatRelayRequest, Relay.IChatRelayWriter, CancellationToken)"/>.</summary>
/// <remarks>
/// <see cref="Parse"/> validates the JSON and reads only what routing needs (<c>model</c>, <c>stream</c>,
/// <c>stream_options.include_usage</c>); the rest is forwarded untouched to platforms that speak OpenAI, and
/// deserialized only for a platform of another format.
/// </remarks>
public sealed class ChatRelayRequest : IRelayRequest
{
    /// <summary>How deeply JSON may nest in a request body.</summary>
    public const int MaxDepth = RequestJson.MaxDepth;

    private RelayProgress _progress;

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
    public ChatRelayResult? LastAttempt => _progress.LastAttempt;

    /// <summary>Records that attempt number <paramref name="attempt"/> starts on <paramref name="channel"/>.</summary>
    internal void AttemptStarted(Channel channel, int attempt) => _progress.AttemptStarted(channel, attempt);

    /// <summary>Records what served the request.</summary>
    internal void Served(ChatRelayResult result) => _progress.Served(result);

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
    public static ChatRelayRequest Parse(ReadOnlyMemory<byte> body) => RequestJson.Parse(body, Read);

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

    private static void SkipChecked(ref Utf8JsonReader reader) => RequestJson.SkipChecked(ref reader);

    private static void CheckText(ref Utf8JsonReader reader) => RequestJson.CheckText(ref reader);

    private static void Once(bool seen, string name) => RequestJson.Once(seen, name);

    private static PortalException Invalid(string message) => RequestJson.Invalid(message);

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
