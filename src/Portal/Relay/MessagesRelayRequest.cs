using System.Text.Json;
using Portal.Relay.Internal;

namespace Portal.Relay;

/// <summary>An Anthropic Messages request (<c>POST /v1/messages</c>) kept as the client's JSON bytes, for <see cref="PortalGateway.RelayMessagesAsync"/>.</summary>
/// <remarks>
/// <see cref="Parse"/> validates the JSON and reads only what routing needs (<c>model</c>, <c>stream</c>) and what every
/// platform requires (<c>messages</c>, <c>max_tokens</c>); the rest is forwarded untouched to Anthropic platforms and
/// converted only for a platform of another format.
/// </remarks>
public sealed class MessagesRelayRequest : IRelayRequest
{
    private RelayProgress _progress;

    private MessagesRelayRequest(ReadOnlyMemory<byte> body, string model, bool stream, int modelStart, int modelEnd)
    {
        Body = body;
        Model = model;
        Stream = stream;
        ModelStart = modelStart;
        ModelEnd = modelEnd;
        RequestId = Portal.Internal.RequestScope.NewRequestId();
    }

    /// <summary>The id of this request, recorded on the stat row of each of its attempts (<see cref="RequestStat.RequestId"/>).</summary>
    public string RequestId { get; }

    /// <summary>The channel and attempt count of the latest attempt, updated as the request runs; <see langword="null"/> until the first attempt starts.</summary>
    public ChatRelayResult? LastAttempt => _progress.LastAttempt;

    /// <summary>The request body as the client sent it.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The model name or alias asked for.</summary>
    public string Model { get; }

    /// <summary>Whether the client asked for a stream (<c>"stream": true</c>).</summary>
    public bool Stream { get; }

    /// <summary>The client's <c>anthropic-version</c> header, forwarded to Anthropic platforms; <see langword="null"/> when it sent none (the platform's <see cref="Platform.ApiVersion"/> or <c>2023-06-01</c> is sent).</summary>
    public string? AnthropicVersion { get; set; }

    /// <summary>The client's <c>anthropic-beta</c> header (comma-separated beta names), forwarded to Anthropic platforms as it is; <see langword="null"/> when it sent none.</summary>
    public string? AnthropicBeta { get; set; }

    /// <summary>Where the value of <c>model</c> starts in <see cref="Body"/>.</summary>
    internal int ModelStart { get; }

    /// <summary>Where the value of <c>model</c> ends in <see cref="Body"/> (exclusive).</summary>
    internal int ModelEnd { get; }

    /// <summary>The body converted to the chat contract, once a platform of another format needed it.</summary>
    internal Contracts.ChatCompletionRequest? ChatRequest { get; set; }

    /// <summary>Validates a Messages request body and reads what routing needs.</summary>
    /// <param name="body">The UTF-8 JSON body; it must stay unchanged while the request is used.</param>
    /// <returns>The request.</returns>
    /// <exception cref="PortalException">The body is not a valid Messages request (code <see cref="PortalErrorCode.InvalidRequest"/>); the message says what is wrong.</exception>
    public static MessagesRelayRequest Parse(ReadOnlyMemory<byte> body) => RequestJson.Parse(body, ReadMessage);

    /// <summary>Validates a token-count request body (<c>POST /v1/messages/count_tokens</c>: a Messages request without <c>max_tokens</c> and <c>stream</c>).</summary>
    /// <param name="body">The UTF-8 JSON body; it must stay unchanged while the request is used.</param>
    /// <returns>The request.</returns>
    /// <exception cref="PortalException">The body is not a valid token-count request (code <see cref="PortalErrorCode.InvalidRequest"/>).</exception>
    public static MessagesRelayRequest ParseTokenCount(ReadOnlyMemory<byte> body) => RequestJson.Parse(body, ReadTokenCount);

    /// <summary>The body with <c>model</c> set to <paramref name="upstreamModel"/>; the client's bytes as they are when it is unchanged.</summary>
    internal ReadOnlyMemory<byte> BodyFor(string upstreamModel) => RelayBody.WithModel(Body, ModelStart, ModelEnd, Model, upstreamModel);

    /// <summary>Records that attempt number <paramref name="attempt"/> starts on <paramref name="channel"/>.</summary>
    internal void AttemptStarted(Channel channel, int attempt) => _progress.AttemptStarted(channel, attempt);

    /// <summary>Records what served the request.</summary>
    internal void Served(ChatRelayResult result) => _progress.Served(result);

    private static MessagesRelayRequest ReadMessage(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body) => Read(ref reader, body, countOnly: false);

    private static MessagesRelayRequest ReadTokenCount(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body) => Read(ref reader, body, countOnly: true);

    private static MessagesRelayRequest Read(ref Utf8JsonReader reader, ReadOnlyMemory<byte> body, bool countOnly)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw RequestJson.Invalid("The request body must be a JSON object.");
        }

        string? model = null;
        bool? stream = null;
        int modelStart = -1, modelEnd = -1, messages = -1;
        var maxTokens = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                RequestJson.Once(model is not null, "model");
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    throw RequestJson.Invalid("model: must be a string, a model name or alias.");
                }

                model = reader.GetString();
                modelStart = (int)reader.TokenStartIndex;
                modelEnd = (int)reader.BytesConsumed;
            }
            else if (!countOnly && reader.ValueTextEquals("stream"u8))
            {
                RequestJson.Once(stream is not null, "stream");
                reader.Read();
                stream = reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False or JsonTokenType.Null => false,
                    _ => throw RequestJson.Invalid("stream: must be true or false."),
                };
            }
            else if (!countOnly && reader.ValueTextEquals("max_tokens"u8))
            {
                RequestJson.Once(maxTokens, "max_tokens");
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value) || value < 0)
                {
                    throw RequestJson.Invalid("max_tokens: must be a non-negative integer.");
                }

                maxTokens = true;
            }
            else if (reader.ValueTextEquals("messages"u8))
            {
                RequestJson.Once(messages >= 0, "messages");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw RequestJson.Invalid("messages: must be an array of messages.");
                }

                messages = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        throw RequestJson.Invalid($"messages.{messages}: must be an object with a 'role' and 'content'.");
                    }

                    RequestJson.SkipChecked(ref reader);
                    messages++;
                }
            }
            else
            {
                RequestJson.CheckText(ref reader);
                reader.Read();
                RequestJson.SkipChecked(ref reader);
            }
        }

        // Reading to the end validates the rest of the document (one value, nothing after it).
        while (reader.Read())
        {
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            throw RequestJson.Invalid("model: Field required (a model name or alias).");
        }

        if (messages < 0)
        {
            throw RequestJson.Invalid("messages: Field required.");
        }

        if (messages == 0)
        {
            throw RequestJson.Invalid("messages: at least one message is required.");
        }

        if (!countOnly && !maxTokens)
        {
            throw RequestJson.Invalid("max_tokens: Field required.");
        }

        return new MessagesRelayRequest(body, model, stream == true, modelStart, modelEnd);
    }
}
