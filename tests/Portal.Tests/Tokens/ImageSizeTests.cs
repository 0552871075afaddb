using System.Text;
using Portal.Tokens;

namespace Portal.Tests.Tokens;

/// <summary><see cref="ImageSize"/>: the size read from each format's header, from raw bytes, JSON base64 and data-URL base64.</summary>
public sealed class ImageSizeTests
{
    public static TheoryData<string, byte[], int, int> Headers => new()
    {
        { "png", TestImages.Png(100, 80), 100, 80 },
        { "gif87a", TestImages.Gif("GIF87a", 320, 200), 320, 200 },
        { "gif89a", TestImages.Gif("GIF89a", 1, 65535), 1, 65535 },
        { "webp lossy", TestImages.WebPLossy(1024, 768), 1024, 768 },
        { "webp lossless", TestImages.WebPLossless(16383, 1), 16383, 1 },
        { "webp extended", TestImages.WebPExtended(5000, 3000), 5000, 3000 },
        { "jpeg baseline", TestImages.Jpeg(640, 480), 640, 480 },
        { "jpeg progressive after EXIF", TestImages.Jpeg(4032, 3024, 0xC2, 30000), 4032, 3024 },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void TryReadHeader_KnownFormat_ReadsSize(string format, byte[] data, int width, int height)
    {
        Assert.True(ImageSize.TryReadHeader(data, out var w, out var h), format);

        Assert.Equal((width, height), (w, h));
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void TryRead_Base64AsJsonOrDataUrl_ReadsSize(string format, byte[] data, int width, int height)
    {
        var base64 = TestImages.Base64(data);

        Assert.True(ImageSize.TryRead(Encoding.UTF8.GetBytes(base64), escaped: false, out var w1, out var h1), format);
        Assert.True(ImageSize.TryRead(base64.AsSpan(), out var w2, out var h2), format);

        Assert.Equal((width, height), (w1, h1));
        Assert.Equal((width, height), (w2, h2));
    }

    [Fact]
    public void TryRead_JsonEscapedBase64_ReadsSize()
    {
        // A client may escape any character ("R" as \u0052) and '/' routinely (as \/). A GIF 255 pixels wide puts
        // a '/' (0xFF's top six bits) among the base64 characters of its size.
        var base64 = TestImages.Base64(TestImages.Gif("GIF89a", 255, 10));
        Assert.Equal('/', base64[8]);
        var escaped = "\\u0052" + base64[1..8] + "\\/" + base64[9..];

        Assert.True(ImageSize.TryRead(Encoding.UTF8.GetBytes(escaped), escaped: true, out var w, out var h));
        Assert.Equal((255, 10), (w, h));
    }

    [Fact]
    public void TryRead_EscapedButTreatedAsPlain_IsUnreadable()
    {
        // The escapes are what make the text above readable: without undoing them the header is garbage.
        var base64 = TestImages.Base64(TestImages.Gif("GIF89a", 255, 10));
        var escaped = "\\u0052" + base64[1..8] + "\\/" + base64[9..];

        Assert.False(ImageSize.TryRead(Encoding.UTF8.GetBytes(escaped), escaped: false, out _, out _));
    }

    [Fact]
    public void TryRead_JpegFrameHeaderPastTheDecodedPrefix_IsUnreadable()
    {
        var data = TestImages.Jpeg(640, 480, 0xC0, 40000, 40000);
        Assert.True(ImageSize.TryReadHeader(data, out _, out _)); // Readable when the whole file is at hand.

        Assert.False(ImageSize.TryRead(Encoding.UTF8.GetBytes(TestImages.Base64(data)), escaped: false, out var w, out var h));
        Assert.Equal((0, 0), (w, h));
    }

    public static TheoryData<string, byte[]> Unreadable => new()
    {
        { "empty", [] },
        { "text", "hello, this is not an image at all"u8.ToArray() },
        { "png cut before its size", TestImages.Png(100, 80)[..20] },
        { "png of width 0", TestImages.Png(0, 80) },
        { "png of negative height", TestImages.Png(10, -1) },
        { "jpeg cut in its metadata", TestImages.Jpeg(640, 480, 0xC0, 1000)[..500] },
        { "jpeg with a scan before any frame", [0xFF, 0xD8, 0xFF, 0xDA, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 1, 0, 1, 0, 3, 0, 0, 0] },
        { "jpeg whose DHT looks like a frame", [0xFF, 0xD8, 0xFF, 0xC4, 0, 7, 8, 1, 0, 1, 0] },
        { "webp with an unknown chunk", [.. TestImages.WebPLossy(10, 10)[..12], .. "ALPH"u8, .. new byte[20]] },
        { "webp lossy without its start code", [.. TestImages.WebPLossy(10, 10)[..23], 0, 0, 0, 10, 0, 10, 0] },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public void TryReadHeader_NotAnImageOrCutShort_ReturnsFalse(string name, byte[] data)
    {
        Assert.False(ImageSize.TryReadHeader(data, out var w, out var h), name);
        Assert.Equal((0, 0), (w, h));
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("")]
    public void TryRead_Base64OfNoImage_ReturnsFalse(string base64)
    {
        Assert.False(ImageSize.TryRead(Encoding.UTF8.GetBytes(base64), escaped: false, out _, out _));
        Assert.False(ImageSize.TryRead(base64.AsSpan(), out _, out _));
    }
}
