using System.Buffers;
using System.Collections;

namespace Portal.Relay.Internal;

/// <summary>Stream events gathered for one write to the client: their data copied, in order, into one pooled buffer.</summary>
/// <remarks>
/// The buffer is rented when the first event is added and returned once the batch is written, so a stream waiting for
/// its upstream holds none. Not thread-safe.
/// </remarks>
internal sealed class RelayEventBatch : IReadOnlyList<ReadOnlyMemory<byte>>, IDisposable
{
    /// <summary>The size from which a batch is written before more is read, so an upstream that sends a lot at once neither fills memory nor holds its first events back until it pauses.</summary>
    public const int FullBytes = 16 * 1024;

    private const int MinimumBufferBytes = 4 * 1024;

    private readonly List<int> _ends = [];
    private byte[]? _buffer;

    public int Count => _ends.Count;

    /// <summary>Whether the batch holds <see cref="FullBytes"/> or more.</summary>
    public bool IsFull => _ends.Count > 0 && _ends[^1] >= FullBytes;

    public ReadOnlyMemory<byte> this[int index]
    {
        get
        {
            var start = index == 0 ? 0 : _ends[index - 1];
            return _buffer.AsMemory(start, _ends[index] - start);
        }
    }

    /// <summary>Adds an event with a copy of <paramref name="data"/>.</summary>
    public void Add(ReadOnlySpan<byte> data)
    {
        var length = _ends.Count == 0 ? 0 : _ends[^1];
        if (_buffer is null || _buffer.Length - length < data.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(MinimumBufferBytes, Math.Max(length + data.Length, (_buffer?.Length ?? 0) * 2)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = larger;
        }

        data.CopyTo(_buffer.AsSpan(length));
        _ends.Add(length + data.Length);
    }

    /// <summary>Hands the events to <paramref name="writer"/> in one call, then empties the batch (nothing to write, no call).</summary>
    public async ValueTask WriteAsync(IChatRelayWriter writer, CancellationToken cancellationToken)
    {
        if (_ends.Count == 0)
        {
            return;
        }

        try
        {
            await writer.WriteEventsAsync(this, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Clear();
        }
    }

    public void Dispose() => Clear();

    public IEnumerator<ReadOnlyMemory<byte>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private void Clear()
    {
        _ends.Clear();
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
