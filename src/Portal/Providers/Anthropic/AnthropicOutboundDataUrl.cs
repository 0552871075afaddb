namespace Portal.Providers.Anthropic;

/// <summary>A base64 <c>data:</c> URL taken apart into the media type and data of an Anthropic <c>base64</c> source.</summary>
/// <param name="MediaType">The media type in lower case, such as <c>image/png</c>.</param>
/// <param name="Data">The base64 data, as the client sent it.</param>
internal readonly record struct AnthropicOutboundDataUrl(string MediaType, string Data)
{
    private const string Scheme = "data:";
    private const string Base64Marker = ";base64";

    /// <summary>Whether <paramref name="url"/> is a <c>data:</c> URL (of any shape).</summary>
    public static bool IsDataUrl(string url) => url.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Takes apart <c>data:&lt;media type&gt;[;parameters];base64,&lt;data&gt;</c>.</summary>
    /// <param name="url">A <c>data:</c> URL (see <see cref="IsDataUrl"/>).</param>
    /// <param name="where">Where the URL is in the request, for the error message.</param>
    /// <returns>The media type and data.</returns>
    /// <exception cref="PortalException">The URL has no media type or is not base64-encoded (OpenAI accepts only base64 too).</exception>
    public static AnthropicOutboundDataUrl Parse(string url, string where)
    {
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        var header = comma < 0 ? "" : url[Scheme.Length..comma];
        if (comma < 0 || !header.EndsWith(Base64Marker, StringComparison.OrdinalIgnoreCase))
        {
            throw AnthropicOutboundMapping.InvalidRequest($"{where}: a data URL must be base64-encoded (data:<media type>;base64,<data>).");
        }

        var semicolon = header.IndexOf(';', StringComparison.Ordinal);
        var mediaType = header[..semicolon].Trim();
        if (mediaType.Length == 0)
        {
            throw AnthropicOutboundMapping.InvalidRequest($"{where}: a data URL must name its media type (data:<media type>;base64,<data>).");
        }

        // Media types are case-insensitive; Anthropic accepts only the lower-case spelling.
#pragma warning disable CA1308 // Lower case is what the platform expects, not a normalization for comparison.
        return new AnthropicOutboundDataUrl(mediaType.ToLowerInvariant(), url[(comma + 1)..]);
#pragma warning restore CA1308
    }
}
