using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts.Internal;

/// <summary>Reads and writes <see cref="ToolChoice"/> as a mode string or an object, keeping the shape and unknown fields.</summary>
internal sealed class ToolChoiceConverter : JsonConverter<ToolChoice>
{
    private const string TypeProperty = "type";
    private const string FunctionProperty = "function";

    public override ToolChoice Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new ToolChoice { Mode = reader.GetString()! };
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException(
                $"'tool_choice' must be a string or an object, but it was {reader.TokenType}.");
        }

        var choice = new ToolChoice();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case TypeProperty when reader.TokenType is JsonTokenType.String:
                    choice.Type = reader.GetString();
                    break;
                case FunctionProperty when reader.TokenType is JsonTokenType.StartObject:
                    choice.Function = JsonSerializer.Deserialize(
                        ref reader, ContractTypeInfo.Get(options, PortalJsonContext.Default.ToolChoiceFunction));
                    break;
                default:
                    // Anything else, including a "type" or "function" of an unexpected shape, is kept verbatim.
                    (choice.AdditionalProperties ??= [])[name] = JsonElement.ParseValue(ref reader);
                    break;
            }
        }

        return choice;
    }

    public override void Write(Utf8JsonWriter writer, ToolChoice value, JsonSerializerOptions options)
    {
        if (value.Mode is { } mode)
        {
            writer.WriteStringValue(mode);
            return;
        }

        writer.WriteStartObject();
        if (value.Type is { } type)
        {
            writer.WriteString(TypeProperty, type);
        }

        if (value.Function is { } function)
        {
            writer.WritePropertyName(FunctionProperty);
            JsonSerializer.Serialize(writer, function, ContractTypeInfo.Get(options, PortalJsonContext.Default.ToolChoiceFunction));
        }

        if (value.AdditionalProperties is { } additional)
        {
            foreach (var (name, element) in additional)
            {
                writer.WritePropertyName(name);
                element.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }
}
