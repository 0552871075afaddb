namespace Portal.Internal;

/// <summary>Ids that sort by time: version 7 GUIDs in "N" format (32 hexadecimal digits), for request and stat ids.</summary>
/// <remarks>
/// Time-ordered so storage's indexes on them grow at their end; random ids would land on a random index page each, which
/// makes stats inserts slower as the table grows. The 74 random bits come from <see cref="Random.Shared"/>, not from
/// <see cref="Guid.CreateVersion7()"/>'s secure generator, which reads the kernel's generator (a system call, about 3 µs)
/// for every id: an id must be unique, not unpredictable. Thread-safe.
/// </remarks>
internal static class TimeOrderedId
{
    /// <summary>A new id whose time part is <paramref name="time"/> (to the millisecond).</summary>
    public static string New(DateTimeOffset time)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        var milliseconds = time.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)milliseconds;
            milliseconds >>= 8;
        }

        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70); // Version 7.
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // Variant 10 (RFC 9562).
        return new Guid(bytes, bigEndian: true).ToString("N");
    }
}
