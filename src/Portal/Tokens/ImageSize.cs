using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;

namespace Portal.Tokens;

/// <summary>Reads an image's width and height from the first bytes of its base64 data, without decoding the image.</summary>
/// <remarks>
/// PNG, GIF and WebP keep their size in the first 30 bytes. JPEG keeps it in its frame header, after the metadata segments
/// (EXIF, ICC profile), so its segments are walked within the first <see cref="MaxHeaderBytes"/> bytes. Only that prefix of
/// the base64 text is decoded, into a pooled buffer; an image whose size is not found there is reported as unreadable.
/// </remarks>
internal static class ImageSize
{
    /// <summary>How many bytes of an image are decoded to find its size: 64 KiB.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    /// <summary>How many base64 characters encode <see cref="MaxHeaderBytes"/>.</summary>
    private const int MaxHeaderChars = (MaxHeaderBytes + 2) / 3 * 4;

    /// <summary>Reads the size of a base64 image held as the UTF-8 content of a JSON string.</summary>
    /// <param name="base64">The string's content as it appears in the JSON text, without the quotes.</param>
    /// <param name="escaped">Whether the content holds JSON escapes (a client may write <c>+</c> as <c>\u002B</c> or <c>/</c> as <c>\/</c>).</param>
    /// <param name="width">The width in pixels, when read.</param>
    /// <param name="height">The height in pixels, when read.</param>
    /// <returns>Whether the size was read.</returns>
    public static bool TryRead(ReadOnlySpan<byte> base64, bool escaped, out int width, out int height)
    {
        var text = ArrayPool<byte>.Shared.Rent(MaxHeaderChars);
        try
        {
            var length = CopyBase64Prefix(base64, escaped, text, out var complete);
            return TryDecodeAndRead(text.AsSpan(0, length), complete, out width, out height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>Reads the size of a base64 image held as UTF-16 text (the data of a <c>data:</c> URL).</summary>
    /// <param name="base64">The base64 text.</param>
    /// <param name="width">The width in pixels, when read.</param>
    /// <param name="height">The height in pixels, when read.</param>
    /// <returns>Whether the size was read.</returns>
    public static bool TryRead(ReadOnlySpan<char> base64, out int width, out int height)
    {
        var complete = base64.Length <= MaxHeaderChars;
        var prefix = complete ? base64 : base64[..MaxHeaderChars];
        var text = ArrayPool<byte>.Shared.Rent(prefix.Length);
        try
        {
            // Base64 is ASCII: a non-ASCII character ends the usable prefix (and the data is invalid anyway).
            Ascii.FromUtf16(prefix, text, out var written);
            return TryDecodeAndRead(text.AsSpan(0, written), complete && written == prefix.Length, out width, out height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>Reads the size of an image from its first bytes.</summary>
    /// <param name="data">The start of the image file.</param>
    /// <param name="width">The width in pixels, when read.</param>
    /// <param name="height">The height in pixels, when read.</param>
    /// <returns>Whether the data starts like a PNG, GIF, WebP or JPEG file whose size header lies within <paramref name="data"/>.</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> data, out int width, out int height)
    {
        width = height = 0;
        var found = TryReadPng(data, ref width, ref height)
            || TryReadGif(data, ref width, ref height)
            || TryReadWebP(data, ref width, ref height)
            || TryReadJpeg(data, ref width, ref height);
        if (!found || width <= 0 || height <= 0)
        {
            width = height = 0;
            return false;
        }

        return true;
    }

    private static bool TryDecodeAndRead(ReadOnlySpan<byte> base64, bool complete, out int width, out int height)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(MaxHeaderBytes);
        try
        {
            // Not the final block when the text was cut: only whole 4-character groups are decoded. Invalid data stops
            // the decoding, and whatever came before it is still read.
            Base64.DecodeFromUtf8(base64, bytes, out _, out var written, isFinalBlock: complete);
            return TryReadHeader(bytes.AsSpan(0, written), out width, out height);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Copies up to <see cref="MaxHeaderChars"/> base64 characters, undoing the JSON escapes base64 text can hold.</summary>
    /// <returns>How many characters were written to <paramref name="destination"/>.</returns>
    private static int CopyBase64Prefix(ReadOnlySpan<byte> source, bool escaped, Span<byte> destination, out bool complete)
    {
        if (!escaped)
        {
            complete = source.Length <= MaxHeaderChars;
            var length = Math.Min(source.Length, MaxHeaderChars);
            source[..length].CopyTo(destination);
            return length;
        }

        var written = 0;
        var i = 0;
        while (i < source.Length && written < MaxHeaderChars)
        {
            var b = source[i];
            if (b != (byte)'\\')
            {
                destination[written++] = b;
                i++;
                continue;
            }

            if (i + 1 >= source.Length)
            {
                break;
            }

            var escape = source[i + 1];
            if (escape is (byte)'/')
            {
                destination[written++] = escape;
                i += 2;
            }
            else if (escape is (byte)'n' or (byte)'r' or (byte)'t')
            {
                i += 2; // Line breaks of MIME-style base64: not data.
            }
            else if (escape is (byte)'u' && i + 6 <= source.Length
                && Utf8Parser.TryParse(source.Slice(i + 2, 4), out ushort code, out var consumed, 'x') && consumed == 4 && code < 0x80)
            {
                destination[written++] = (byte)code;
                i += 6;
            }
            else
            {
                break; // Not base64: decode what came before.
            }
        }

        complete = i >= source.Length;
        return written;
    }

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static bool TryReadPng(ReadOnlySpan<byte> data, ref int width, ref int height)
    {
        // Signature (8 bytes), then the IHDR chunk: length (4), "IHDR", width and height as big-endian 32-bit integers.
        if (data.Length < 24 || !data.StartsWith(PngSignature) || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            return false;
        }

        width = BinaryPrimitives.ReadInt32BigEndian(data[16..]);
        height = BinaryPrimitives.ReadInt32BigEndian(data[20..]);
        return true;
    }

    private static bool TryReadGif(ReadOnlySpan<byte> data, ref int width, ref int height)
    {
        // "GIF87a" or "GIF89a", then the logical screen's width and height as little-endian 16-bit integers.
        if (data.Length < 10 || !(data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8)))
        {
            return false;
        }

        width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        return true;
    }

    private static bool TryReadWebP(ReadOnlySpan<byte> data, ref int width, ref int height)
    {
        // "RIFF", size, "WEBP", then the first chunk: VP8 (lossy), VP8L (lossless) or VP8X (extended).
        if (data.Length < 30 || !data.StartsWith("RIFF"u8) || !data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return false;
        }

        var chunk = data.Slice(12, 4);
        if (chunk.SequenceEqual("VP8 "u8))
        {
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height (2 bits of scale above them).
            if (!data.Slice(23, 3).SequenceEqual((ReadOnlySpan<byte>)[0x9D, 0x01, 0x2A]))
            {
                return false;
            }

            width = BinaryPrimitives.ReadUInt16LittleEndian(data[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(data[28..]) & 0x3FFF;
            return true;
        }

        if (chunk.SequenceEqual("VP8L"u8))
        {
            // Signature 0x2F, then width - 1 and height - 1 as 14-bit fields.
            if (data[20] != 0x2F)
            {
                return false;
            }

            var bits = BinaryPrimitives.ReadUInt32LittleEndian(data[21..]);
            width = (int)(bits & 0x3FFF) + 1;
            height = (int)((bits >> 14) & 0x3FFF) + 1;
            return true;
        }

        if (chunk.SequenceEqual("VP8X"u8))
        {
            // Flags (4 bytes), then canvas width - 1 and height - 1 as little-endian 24-bit integers.
            width = (data[24] | (data[25] << 8) | (data[26] << 16)) + 1;
            height = (data[27] | (data[28] << 8) | (data[29] << 16)) + 1;
            return true;
        }

        return false;
    }

    private static bool TryReadJpeg(ReadOnlySpan<byte> data, ref int width, ref int height)
    {
        if (data.Length < 4 || data[0] != 0xFF || data[1] != 0xD8)
        {
            return false;
        }

        var i = 2;
        while (i + 4 <= data.Length)
        {
            if (data[i] != 0xFF)
            {
                return false;
            }

            var marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++; // Fill byte.
                continue;
            }

            if (marker is 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                i += 2; // Markers without a length.
                continue;
            }

            if (marker is 0xD9 or 0xDA)
            {
                return false; // End of image, or start of scan, before any frame header.
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 2)..]);
            if (length < 2)
            {
                return false;
            }

            // SOF0 to SOF15, except DHT (C4), JPG (C8) and DAC (CC): length, precision, height, width.
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                if (i + 9 > data.Length)
                {
                    return false;
                }

                height = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(data[(i + 7)..]);
                return true;
            }

            i += 2 + length;
        }

        return false;
    }
}
