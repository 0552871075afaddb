using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Portal.Contracts.Internal;

/// <summary>Finds the metadata a converter needs for a nested type without reflection.</summary>
internal static class ContractTypeInfo
{
    /// <summary>
    /// Returns the caller's metadata for <typeparamref name="T"/> when its resolver knows the type, so the caller's
    /// options (for example indentation) also apply inside converters; otherwise the <see cref="PortalJsonContext"/> one.
    /// </summary>
    public static JsonTypeInfo<T> Get<T>(JsonSerializerOptions options, JsonTypeInfo<T> fallback) =>
        options.TryGetTypeInfo(typeof(T), out var info) && info is JsonTypeInfo<T> typed ? typed : fallback;
}
