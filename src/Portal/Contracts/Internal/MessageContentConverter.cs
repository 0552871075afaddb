using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts.Internal;

/// <summary>Reads and writes <see cref="MessageContent"/> as a string or an array of content parts, keeping the shape.</summary>
internal sealed class MessageContentConverter : JsonConverter<MessageContent>
{
    public override MessageContent Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new MessageContent(reader.GetString()!);
            case JsonTokenType.StartArray:
                var typeInfo = ContractTypeInfo.Get(options, PortalJsonContext.Default.IListContentPart);
                var parts = JsonSerializer.Deserialize(ref reader, typeInfo) ?? new List<ContentPart>();
                return new MessageContent(parts);
            default:
                throw new JsonException(
                    $"Message 'content' must be a string or an array of content parts, but it was {reader.TokenType}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, MessageContent value, JsonSerializerOptions options)
    {
        if (value.Parts is { } parts)
        {
            JsonSerializer.Serialize(writer, parts, ContractTypeInfo.Get(options, PortalJsonContext.Default.IListContentPart));
        }
        else
        {
            writer.WriteStringValue(value.Text);
        }
    }
}
