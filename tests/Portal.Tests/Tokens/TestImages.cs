using System.Buffers.Binary;
using System.Text;

namespace Portal.Tests.Tokens;

/// <summary>The first bytes of image files of a given size, as each format lays out its header (pixel data is not needed).</summary>
internal static class TestImages
{
    public static byte[] Png(int width, int height)
    {
        var data = new byte[33];
        new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }.CopyTo(data, 0);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), 13);
        "IHDR"u8.CopyTo(data.AsSpan(12));
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(20), height);
        data[24] = 8; // Bit depth; colour type, compression, filter, interlace and CRC stay 0.
        data[25] = 6;
        return data;
    }

    public static byte[] Gif(string version, int width, int height)
    {
        var data = new byte[13];
        Encoding.ASCII.GetBytes(version).CopyTo(data, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(6), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(8), (ushort)height);
        return data;
    }

    public static byte[] WebPLossy(int width, int height)
    {
        var data = WebP("VP8 ");
        data[20] = 0x10; // Frame tag: a key frame.
        new byte[] { 0x9D, 0x01, 0x2A }.CopyTo(data, 23);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(26), (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(28), (ushort)height);
        return data;
    }

    public static byte[] WebPLossless(int width, int height)
    {
        var data = WebP("VP8L");
        data[20] = 0x2F;
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(21), (uint)(width - 1) | ((uint)(height - 1) << 14));
        return data;
    }

    public static byte[] WebPExtended(int width, int height)
    {
        var data = WebP("VP8X");
        WriteUInt24LittleEndian(data.AsSpan(24), width - 1);
        WriteUInt24LittleEndian(data.AsSpan(27), height - 1);
        return data;
    }

    /// <summary>A JPEG with a JFIF segment, metadata segments of the given sizes (as EXIF or ICC profiles are), a quantization table, then the frame header.</summary>
    public static byte[] Jpeg(int width, int height, byte frameMarker = 0xC0, params int[] metadataSegmentSizes)
    {
        var data = new List<byte> { 0xFF, 0xD8 };
        Segment(data, 0xE0, [.. "JFIF\0"u8, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        foreach (var size in metadataSegmentSizes)
        {
            Segment(data, 0xE1, new byte[size]);
        }

        Segment(data, 0xDB, new byte[65]);
        data.Add(0xFF); // A fill byte before a marker is allowed.
        Segment(data, frameMarker, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        Segment(data, 0xDA, new byte[10]);
        return [.. data];
    }

    public static string Base64(byte[] data) => Convert.ToBase64String(data);

    private static byte[] WebP(string chunk)
    {
        var data = new byte[40];
        "RIFF"u8.CopyTo(data);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), 32);
        "WEBP"u8.CopyTo(data.AsSpan(8));
        Encoding.ASCII.GetBytes(chunk).CopyTo(data, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(16), 20);
        return data;
    }

    private static void WriteUInt24LittleEndian(Span<byte> destination, int value)
    {
        destination[0] = (byte)value;
        destination[1] = (byte)(value >> 8);
        destination[2] = (byte)(value >> 16);
    }

    private static void Segment(List<byte> data, byte marker, byte[] payload)
    {
        var length = payload.Length + 2;
        data.AddRange([0xFF, marker, (byte)(length >> 8), (byte)length]);
        data.AddRange(payload);
    }
}
