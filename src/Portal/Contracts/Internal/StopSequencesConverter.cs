using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts.Internal;

/// <summary>Reads and writes <see cref="StopSequences"/> as a string or an array of strings, keeping the shape.</summary>
internal sealed class StopSequencesConverter : JsonConverter<StopSequences>
{
    public override StopSequences Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new StopSequences(reader.GetString()!);
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"'stop' must be a string or an array of strings, but it was {reader.TokenType}.");
        }

        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException($"'stop' array items must be strings, but one was {reader.TokenType}.");
            }

            values.Add(reader.GetString()!);
        }

        return new StopSequences(values);
    }

    public override void Write(Utf8JsonWriter writer, StopSequences value, JsonSerializerOptions options)
    {
        if (value.IsSingle && value.Values.Count == 1)
        {
            writer.WriteStringValue(value.Values[0]);
            return;
        }

        writer.WriteStartArray();
        foreach (var sequence in value.Values)
        {
            writer.WriteStringValue(sequence);
        }

        writer.WriteEndArray();
    }
}
