using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Portal.Contracts.Internal;

/// <summary>The contracts as the gateway writes them on the wire, to platforms and to clients.</summary>
internal static class WireJson
{
    /// <summary>
    /// Null optional fields omitted, and non-ASCII text of the Basic Multilingual Plane kept as UTF-8 instead of
    /// <c>\uXXXX</c> escapes (six bytes per character otherwise); characters beyond it (emoji) are still escaped as
    /// surrogate pairs: the same value. The bodies are JSON, never HTML, so the relaxed encoder is safe.
    /// </summary>
    public static readonly PortalJsonContext Context = new(new JsonSerializerOptions
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
