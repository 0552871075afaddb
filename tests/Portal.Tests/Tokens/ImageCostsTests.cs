using Portal.Tokens;

namespace Portal.Tests.Tokens;

/// <summary><see cref="ImageCosts"/>: each platform's formula, checked against the examples the platforms publish.</summary>
public sealed class ImageCostsTests
{
    [Theory]
    [InlineData(200, 200, 54)] // Anthropic's table: ~54.
    [InlineData(1000, 1000, 1334)] // ~1334.
    [InlineData(1092, 1092, 1590)] // ~1590, the largest square kept as is.
    [InlineData(100, 100, 14)] // 13.3, rounded up.
    [InlineData(2000, 2000, 1600)] // Scaled down: at most ~1,600.
    [InlineData(4000, 100, 82)] // Long edge scaled to 1568: 1568 × 39.2 / 750.
    [InlineData(100, 4000, 82)]
    public void Anthropic_Size_CostsAreaOver750(int width, int height, int expected)
    {
        Assert.Equal(expected, ImageCosts.Anthropic(width, height));
    }

    [Theory]
    [InlineData(512, 512, null, 255)] // One tile.
    [InlineData(1024, 1024, "high", 765)] // Short side to 768: 2 × 2 tiles.
    [InlineData(2048, 4096, "auto", 1105)] // Fit 2048: 1024 × 2048; short side 768: 768 × 1536: 2 × 3 tiles.
    [InlineData(4000, 100, null, 765)] // Fit 2048: 2048 × 51: 4 × 1 tiles.
    [InlineData(100, 100, null, 255)] // Small images are not scaled up.
    [InlineData(4096, 4096, "low", 85)]
    [InlineData(4096, 4096, "LOW", 85)]
    public void OpenAI_SizeAndDetail_CostsTiles(int width, int height, string? detail, int expected)
    {
        Assert.Equal(expected, ImageCosts.OpenAI(width, height, detail));
    }

    [Theory]
    [InlineData(null, 765)]
    [InlineData("high", 765)]
    [InlineData("low", 85)]
    public void OpenAIUnknown_Detail_CostsFixed(string? detail, int expected)
    {
        Assert.Equal(expected, ImageCosts.OpenAIUnknown(detail));
    }
}
