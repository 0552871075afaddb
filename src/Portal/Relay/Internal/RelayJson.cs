using System.Text.Json.Serialization;

namespace Portal.Relay.Internal;

/// <summary>Source-generated serialization for the few values the relay writes itself.</summary>
[JsonSerializable(typeof(string))]
internal sealed partial class RelayJson : JsonSerializerContext;
