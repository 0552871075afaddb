using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Portal.Server.Errors;

namespace Portal.Server.Client;

/// <summary>A request body read into an array rented from the shared pool; dispose it to return the array.</summary>
internal sealed class RequestBody : IDisposable
{
    private const int InitialSize = 16 * 1024;

    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    /// <summary>The number of bytes read.</summary>
    public int Length { get; }

    /// <summary>The body; valid until disposed.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>
    /// Reads the whole body, up to <paramref name="limit"/> bytes. A body over the limit is answered with 413 (before
    /// reading anything when Content-Length says so) and <see langword="null"/> is returned.
    /// </summary>
    public static async Task<RequestBody?> ReadAsync(HttpContext context, long limit)
    {
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            await TooLargeAsync(context, limit);
            return null;
        }

        // Kestrel enforces the same limit underneath, for any reader of the body.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(request.ContentLength ?? InitialSize, limit));
        var length = 0;
        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                var data = result.Buffer;
                if (length + data.Length > limit)
                {
                    reader.AdvanceTo(data.End);
                    ArrayPool<byte>.Shared.Return(buffer);
                    await TooLargeAsync(context, limit);
                    return null;
                }

                if (length + data.Length > buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(buffer.Length * 2L, length + data.Length), limit));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                data.CopyTo(buffer.AsSpan(length));
                length += (int)data.Length;
                reader.AdvanceTo(data.End);
                if (result.IsCompleted)
                {
                    return new RequestBody(buffer, length);
                }
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await TooLargeAsync(context, limit);
            return null;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Task TooLargeAsync(HttpContext context, long limit)
    {
        // The rest of the body is not read: close the connection after this answer instead of draining it.
        context.Response.Headers.Connection = "close";
        return ApiErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
            $"The request body is larger than the limit of {limit} bytes (Portal:Limits:MaxRequestBodyBytes).",
            ApiErrors.Types.InvalidRequest, "request_too_large");
    }
}
