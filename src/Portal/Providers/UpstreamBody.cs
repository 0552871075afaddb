using System.Buffers;

namespace Portal.Providers;

/// <summary>Reads upstream response bodies within limits, whatever the format: a whole answer, or the start of an error body.</summary>
internal static class UpstreamBody
{
    /// <summary>How much of an error body is read: enough for any error message, bounded against a platform that sends pages.</summary>
    public const int MaxErrorBytes = 64 * 1024;

    /// <summary>The largest non-streaming answer accepted.</summary>
    public const int MaxResponseBytes = 64 * 1024 * 1024;

    /// <summary>Reads a whole non-streaming response body, at most <see cref="MaxResponseBytes"/>.</summary>
    /// <exception cref="UpstreamException">The body is too large, or the connection was lost while reading it.</exception>
    public static async Task<byte[]> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        byte[] body;
        try
        {
            body = await ReadLimitedAsync(response.Content, MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrorKind.Connection, "Upstream connection was lost while reading the response.", status, innerException: ex);
        }

        return body.Length <= MaxResponseBytes
            ? body
            : throw new UpstreamException(UpstreamErrorKind.Protocol, $"Upstream sent a response larger than {MaxResponseBytes / (1024 * 1024)} MB.", status);
    }

    /// <summary>Reads at most <paramref name="limit"/> + 1 bytes, so a caller can tell an over-long body from one that fits.</summary>
    public static async Task<byte[]> ReadLimitedAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = stream.ConfigureAwait(false);
        var length = content.Headers.ContentLength;
        var body = new MemoryStream(length is > 0 and <= int.MaxValue ? (int)Math.Min(length.Value, limit + 1L) : 4096);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while (body.Length <= limit
                && (read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit + 1 - body.Length)), cancellationToken).ConfigureAwait(false)) > 0)
            {
                body.Write(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return body.ToArray();
    }

    /// <summary>Whether a response that should be an event stream is JSON instead: an error sent with a success status, or a misbehaving platform.</summary>
    public static bool IsJson(HttpResponseMessage response) =>
        response.Content.Headers.ContentType?.MediaType is { } mediaType && mediaType.Contains("json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The body of a streaming response, to read events from.</summary>
    /// <exception cref="UpstreamException">The connection was lost before the stream started.</exception>
    public static async Task<Stream> OpenStreamAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            throw new UpstreamException(UpstreamErrorKind.Connection, "Upstream connection was lost before the stream started.", (int)response.StatusCode, innerException: ex);
        }
    }
}
