using System.Text.Json;

namespace Portal.Relay.Internal;

/// <summary>What the gateway needs from an OpenAI response or stream chunk, read without deserializing it.</summary>
internal struct ChunkScan
{
    /// <summary>How many entries <c>choices</c> has.</summary>
    public int Choices { get; private set; }

    /// <summary>Whether a choice has a non-null <c>finish_reason</c>.</summary>
    public bool Finished { get; private set; }

    /// <summary>Whether a <c>usage</c> object is present.</summary>
    public bool HasUsage { get; private set; }

    public int? PromptTokens { get; private set; }

    public int? CompletionTokens { get; private set; }

    /// <summary>Prompt tokens read from the platform's cache (<c>prompt_tokens_details.cached_tokens</c>), when reported.</summary>
    public int? CachedTokens { get; private set; }

    /// <summary>Prompt tokens written to the platform's cache (<c>cache_creation_input_tokens</c>, which some platforms add to OpenAI's usage), when reported.</summary>
    public int? CacheWriteTokens { get; private set; }

    /// <summary>The tokens, as a stat row records them.</summary>
    public Stats.TokenCounts Tokens => new(PromptTokens, CompletionTokens, CachedTokens, CacheWriteTokens);

    /// <summary>Whether a top-level <c>error</c> is present.</summary>
    public bool HasError { get; private set; }

    /// <summary>Scans a JSON object; throws <see cref="JsonException"/> when it is not valid JSON or not an object.</summary>
    public static ChunkScan Read(ReadOnlySpan<byte> json)
    {
        var scan = default(ChunkScan);
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("The upstream sent JSON that is not an object.");
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    scan.ReadChoices(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    scan.ReadUsage(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                scan.HasError = reader.TokenType != JsonTokenType.Null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Validates the rest: the object must be complete, with nothing after it.
        while (reader.Read())
        {
        }

        return scan;
    }

    /// <summary>
    /// Whether a chunk is plainly one that <see cref="Read"/> would find nothing in (no usage, no finish reason, no
    /// error), told without reading it as JSON: it is enclosed in braces, has no <c>\u</c> escape (so no member name can
    /// be spelt in escapes), and every <c>usage</c>, <c>error</c> and <c>finish_reason</c> member in it, at any depth, is
    /// <c>null</c>. Most chunks of a stream are such (a piece of text each), and this costs a few vectorized searches where
    /// <see cref="Read"/> reads every token.
    /// </summary>
    /// <remarks>
    /// It does not validate: a chunk that passes may still be malformed inside its braces. False means only that the chunk
    /// must be read with <see cref="Read"/>, which validates it.
    /// </remarks>
    public static bool IsPlain(ReadOnlySpan<byte> json)
    {
        json = json.Trim(JsonWhitespace);
        return json.Length >= 2 && json[0] == (byte)'{' && json[^1] == (byte)'}' && json.IndexOf("\\u"u8) < 0
            && AllNull(json, "\"usage\""u8) && AllNull(json, "\"error\""u8) && AllNull(json, "\"finish_reason\""u8);
    }

    /// <summary>
    /// Whether a stream's chunk must be read with <see cref="Read"/>: the first always is (so an upstream that sends
    /// something else than chunks fails before the commit), a later one unless it <see cref="IsPlain"/>.
    /// </summary>
    public static bool MustRead(ReadOnlySpan<byte> chunk, bool first) => first || !IsPlain(chunk);

    private static ReadOnlySpan<byte> JsonWhitespace => " \t\r\n"u8;

    /// <summary>Whether every member named <paramref name="quotedName"/> (quotes included) is <c>null</c>.</summary>
    /// <remarks>
    /// Without <c>\u</c> escapes, a member of that name is written as the name's bytes, quotes included, followed by a
    /// colon, so none is missed. An occurrence that no colon follows is no member (a string value, say). One that is not
    /// that member but looks like it (the end of a string such as <c>"say \"usage"</c> used as a name) can only make the
    /// answer false, which costs a full scan and nothing else.
    /// </remarks>
    private static bool AllNull(ReadOnlySpan<byte> json, ReadOnlySpan<byte> quotedName)
    {
        int at;
        while ((at = json.IndexOf(quotedName)) >= 0)
        {
            json = json[(at + quotedName.Length)..].TrimStart(JsonWhitespace);
            if (json.IsEmpty || json[0] != (byte)':')
            {
                continue;
            }

            json = json[1..].TrimStart(JsonWhitespace);
            // null, then whatever may end a value (not "nullx").
            if (!json.StartsWith("null"u8) || (json.Length > 4 && json[4] is not ((byte)',' or (byte)'}' or (byte)']') && !JsonWhitespace.Contains(json[4])))
            {
                return false;
            }
        }

        return true;
    }

    private void ReadChoices(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            Choices++;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isFinish = reader.ValueTextEquals("finish_reason"u8);
                reader.Read();
                if (isFinish && reader.TokenType == JsonTokenType.String)
                {
                    Finished = true;
                }

                reader.Skip();
            }
        }
    }

    private void ReadUsage(ref Utf8JsonReader reader)
    {
        HasUsage = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var prompt = reader.ValueTextEquals("prompt_tokens"u8);
            var completion = !prompt && reader.ValueTextEquals("completion_tokens"u8);
            var details = !prompt && !completion && reader.ValueTextEquals("prompt_tokens_details"u8);
            var cacheWrite = !prompt && !completion && !details && reader.ValueTextEquals("cache_creation_input_tokens"u8);
            reader.Read();
            if (details && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadPromptDetails(ref reader);
                continue;
            }

            if ((prompt || completion || cacheWrite) && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                if (prompt)
                {
                    PromptTokens = value;
                }
                else if (completion)
                {
                    CompletionTokens = value;
                }
                else
                {
                    CacheWriteTokens = value;
                }
            }

            reader.Skip();
        }
    }

    /// <summary>Reads <c>prompt_tokens_details</c> (the reader is on its start), keeping <c>cached_tokens</c>.</summary>
    private void ReadPromptDetails(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var cached = reader.ValueTextEquals("cached_tokens"u8);
            reader.Read();
            if (cached && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                CachedTokens = value;
            }

            reader.Skip();
        }
    }
}
