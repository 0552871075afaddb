namespace Portal.Tokens;

/// <summary>What an image costs in input tokens, by each platform's published formula.</summary>
internal static class ImageCosts
{
    /// <summary>The cost of an image sent to Claude.</summary>
    /// <param name="width">The width in pixels (positive).</param>
    /// <param name="height">The height in pixels (positive).</param>
    /// <returns>
    /// width × height / <see cref="TokenCosts.AnthropicPixelsPerToken"/>, rounded up, after scaling the image so that its
    /// long edge is at most <see cref="TokenCosts.AnthropicMaxImageEdge"/>, and at most <see cref="TokenCosts.AnthropicMaxImageTokens"/>
    /// (Anthropic scales larger images down to that).
    /// </returns>
    public static int Anthropic(int width, int height)
    {
        double w = width;
        double h = height;
        var longEdge = Math.Max(w, h);
        if (longEdge > TokenCosts.AnthropicMaxImageEdge)
        {
            var scale = TokenCosts.AnthropicMaxImageEdge / longEdge;
            w *= scale;
            h *= scale;
        }

        var tokens = Math.Ceiling(w * h / TokenCosts.AnthropicPixelsPerToken);
        return (int)Math.Min(tokens, TokenCosts.AnthropicMaxImageTokens);
    }

    /// <summary>The cost of an image sent to an OpenAI model of the GPT-4o family at a given detail.</summary>
    /// <param name="width">The width in pixels (positive).</param>
    /// <param name="height">The height in pixels (positive).</param>
    /// <param name="detail">The part's <c>detail</c>: <c>low</c>, <c>high</c>, <c>auto</c> or <see langword="null"/> (read as high).</param>
    /// <returns>
    /// <see cref="TokenCosts.OpenAIImageLowDetail"/> at low detail. Otherwise the image is scaled to fit in 2048 × 2048, then
    /// so that its short side is at most 768, and costs <see cref="TokenCosts.OpenAIImageBase"/> plus
    /// <see cref="TokenCosts.OpenAIImageTile"/> per 512-pixel tile it covers.
    /// </returns>
    public static int OpenAI(int width, int height, string? detail)
    {
        if (IsLowDetail(detail))
        {
            return TokenCosts.OpenAIImageLowDetail;
        }

        double w = width;
        double h = height;
        var fit = 2048 / Math.Max(w, h);
        if (fit < 1)
        {
            w *= fit;
            h *= fit;
        }

        var shorten = 768 / Math.Min(w, h);
        if (shorten < 1)
        {
            w *= shorten;
            h *= shorten;
        }

        var tiles = (int)Math.Ceiling(w / 512) * (int)Math.Ceiling(h / 512);
        return TokenCosts.OpenAIImageBase + (tiles * TokenCosts.OpenAIImageTile);
    }

    /// <summary>The cost of an OpenAI image whose size is not known.</summary>
    /// <param name="detail">The part's <c>detail</c>.</param>
    /// <returns><see cref="TokenCosts.OpenAIImageLowDetail"/> at low detail, otherwise <see cref="TokenCosts.OpenAIUnknownImage"/>.</returns>
    public static int OpenAIUnknown(string? detail) => IsLowDetail(detail) ? TokenCosts.OpenAIImageLowDetail : TokenCosts.OpenAIUnknownImage;

    private static bool IsLowDetail(string? detail) => string.Equals(detail, "low", StringComparison.OrdinalIgnoreCase);
}
