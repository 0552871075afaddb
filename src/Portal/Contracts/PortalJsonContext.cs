using System.Diagnostics.CodeAnalysis;
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
// The generator declares each JsonTypeInfo<T> property nullable-oblivious on purpose (the same property serves T and T?),
// so the public API baseline lists them with '~'; nothing here can be annotated.
[SuppressMessage("ApiDesign", "RS0041:Public members should not use oblivious types", Justification = "The System.Text.Json generator makes its JsonTypeInfo<T> properties oblivious.")]
public sealed partial class PortalJsonContext : JsonSerializerContext;
