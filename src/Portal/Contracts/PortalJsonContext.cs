using System.Text.Json.Serialization;

namespace Portal.Contracts;

/// <summary>Source-generated JSON metadata for the OpenAI wire contracts; null optional fields are omitted when written.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ChatCompletionRequest))]
[JsonSerializable(typeof(ChatCompletionResponse))]
[JsonSerializable(typeof(ChatCompletionChunk))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ChatMessage))]
[JsonSerializable(typeof(IList<ContentPart>))]
[JsonSerializable(typeof(ToolChoiceFunction))]
[JsonSerializable(typeof(Usage))]
public sealed partial class PortalJsonContext : JsonSerializerContext;
