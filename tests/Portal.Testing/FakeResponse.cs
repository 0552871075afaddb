using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Portal.Testing;

/// <summary>A scripted response for <see cref="FakeUpstream"/>: status, headers, body and how the body is delivered.</summary>
/// <remarks>Immutable and thread-safe; builder methods return new instances, so one instance can be reused for many requests.</remarks>
public sealed class FakeResponse
{
    private const string StreamModel = "fake-model";
    private const int StreamPromptTokens = 5;
    private const int StreamCompletionTokens = 7;

    private FakeResponse(int statusCode, string? contentType, BodyKind kind)
    {
        StatusCode = statusCode;
        ContentType = contentType;
        Kind = kind;
    }

    private FakeResponse(FakeResponse other)
    {
        StatusCode = other.StatusCode;
        ContentType = other.ContentType;
        Kind = other.Kind;
        Body = other.Body;
        Events = other.Events;
        StreamDeltas = other.StreamDeltas;
        StreamComplete = other.StreamComplete;
        Headers = other.Headers;
        DelayBeforeHeaders = other.DelayBeforeHeaders;
        DelayBetweenWrites = other.DelayBetweenWrites;
        SplitBytes = other.SplitBytes;
        ResetAfter = other.ResetAfter;
        Gzipped = other.Gzipped;
        HoldAfterWrites = other.HoldAfterWrites;
        Release = other.Release;
    }

    private enum BodyKind
    {
        Bytes,
        Events,
        Stream,
        Hang,
    }

    private int StatusCode { get; init; }

    private string? ContentType { get; init; }

    private BodyKind Kind { get; init; }

    private byte[] Body { get; init; } = [];

    private string[] Events { get; init; } = [];

    private string[] StreamDeltas { get; init; } = [];

    private bool StreamComplete { get; init; } = true;

    private KeyValuePair<string, string>[] Headers { get; init; } = [];

    private TimeSpan DelayBeforeHeaders { get; init; }

    private TimeSpan DelayBetweenWrites { get; init; }

    private int? SplitBytes { get; init; }

    private int? ResetAfter { get; init; }

    private bool Gzipped { get; init; }

    private int? HoldAfterWrites { get; init; }

    private Task? Release { get; init; }

    /// <summary>Creates a 200 non-streaming OpenAI chat completion with one assistant message and usage.</summary>
    public static FakeResponse ChatCompletion(
        string content,
        string model = "fake-model",
        int promptTokens = 5,
        int completionTokens = 7,
        string finishReason = "stop") =>
        new(StatusCodes.Status200OK, "application/json", BodyKind.Bytes)
        {
            Body = OpenAiPayloads.ChatCompletion(content, model, promptTokens, completionTokens, finishReason),
        };

    /// <summary>Creates a response with a raw JSON body and content type <c>application/json</c>.</summary>
    public static FakeResponse Json(int statusCode, string body) =>
        new(statusCode, "application/json", BodyKind.Bytes) { Body = Encoding.UTF8.GetBytes(body) };

    /// <summary>Creates a response with a text body and the given content type.</summary>
    public static FakeResponse Text(int statusCode, string body, string contentType = "text/plain") =>
        new(statusCode, contentType, BodyKind.Bytes) { Body = Encoding.UTF8.GetBytes(body) };

    /// <summary>Creates an error in OpenAI's shape: <c>{"error":{"message","type","param":null,"code"}}</c>.</summary>
    public static FakeResponse Error(int statusCode, string message, string type = "invalid_request_error", string? code = null) =>
        new(statusCode, "application/json", BodyKind.Bytes) { Body = OpenAiPayloads.Error(message, type, code) };

    /// <summary>Creates a 429 with a <c>Retry-After</c> header (whole seconds, rounded up) and an OpenAI rate-limit error body.</summary>
    /// <remarks>The body's type is <c>requests</c> and its code <c>rate_limit_exceeded</c>, as OpenAI sends them.</remarks>
    public static FakeResponse RateLimited(TimeSpan retryAfter, string message = "Rate limit reached")
    {
        var seconds = Math.Max(0, (long)Math.Ceiling(retryAfter.TotalSeconds));
        return Error(StatusCodes.Status429TooManyRequests, message, "requests", "rate_limit_exceeded")
            .WithHeader("Retry-After", seconds.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Creates an OpenAI SSE stream: one chunk per delta, a final chunk with <c>finish_reason</c> "stop" and usage, then <c>data: [DONE]</c>.</summary>
    /// <remarks>
    /// The first delta chunk also carries role "assistant". The model is "fake-model" and usage is 5 prompt and 7 completion tokens,
    /// matching <see cref="ChatCompletion"/>'s defaults. Each event is written and flushed separately.
    /// </remarks>
    public static FakeResponse Stream(params string[] deltas) =>
        new(StatusCodes.Status200OK, "text/event-stream", BodyKind.Stream) { StreamDeltas = [.. deltas] };

    /// <summary>Creates an SSE response whose events are written verbatim, one write each; the caller includes the <c>data: ...\n\n</c> framing.</summary>
    public static FakeResponse SseRaw(params string[] events) =>
        new(StatusCodes.Status200OK, "text/event-stream", BodyKind.Events) { Events = [.. events] };

    /// <summary>Creates a response that accepts the request and never sends headers; it ends when the client aborts or the server stops.</summary>
    /// <remarks>When the server stops first, the connection is aborted.</remarks>
    public static FakeResponse Hang() => new(StatusCodes.Status200OK, null, BodyKind.Hang);

    /// <summary>Returns a copy with a different status code.</summary>
    public FakeResponse WithStatus(int statusCode) => new(this) { StatusCode = statusCode };

    /// <summary>Returns a copy with an extra response header; repeating a name sends several values, and a name set here replaces the built-in Content-Type or Content-Length.</summary>
    public FakeResponse WithHeader(string name, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return new(this) { Headers = [.. Headers, new(name, value)] };
    }

    /// <summary>Returns a copy that waits before sending the status and headers; a client abort during the wait ends the request.</summary>
    public FakeResponse WithDelayBeforeHeaders(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new(this) { DelayBeforeHeaders = delay };
    }

    /// <summary>Returns a copy that waits between body writes (SSE events, or pieces when <see cref="SplitEvery"/> is used).</summary>
    public FakeResponse WithDelayBetweenWrites(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        return new(this) { DelayBetweenWrites = delay };
    }

    /// <summary>Returns a copy that, after its first <paramref name="writes"/> body writes (each flushed), waits for <paramref name="release"/> before the rest.</summary>
    /// <remarks>
    /// For a test that waits on an event while the upstream holds back: for example, that a lone SSE event reaches the
    /// client before the next one is sent. The wait ends early when the request is aborted or the server stops.
    /// </remarks>
    public FakeResponse HoldAfter(int writes, Task release)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writes, 1);
        ArgumentNullException.ThrowIfNull(release);
        return new(this) { HoldAfterWrites = writes, Release = release };
    }

    /// <summary>Returns a copy that writes the body in pieces of <paramref name="bytes"/> bytes, flushing after each.</summary>
    /// <remarks>Pieces ignore UTF-8 character, line and SSE event boundaries.</remarks>
    public FakeResponse SplitEvery(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        return new(this) { SplitBytes = bytes };
    }

    /// <summary>Returns a copy that sends headers, writes exactly <paramref name="bytes"/> bytes of the body (flushed), then drops the connection.</summary>
    /// <remarks>
    /// The client sees the body end early (an <see cref="IOException"/> while reading it). Non-streaming bodies are sent with
    /// their full Content-Length; if <paramref name="bytes"/> is at least the body's length the whole body arrives, and only a
    /// chunked (streaming) body still lacks its terminator.
    /// </remarks>
    public FakeResponse ResetAfterBytes(int bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (Gzipped)
        {
            throw new InvalidOperationException("ResetAfterBytes cannot be combined with Gzip.");
        }

        return new(this) { ResetAfter = bytes };
    }

    /// <summary>Returns a copy whose body is gzip-compressed (<c>Content-Encoding: gzip</c>), flushed after every write so each
    /// event can be decompressed as it arrives.</summary>
    /// <exception cref="InvalidOperationException">Combined with <see cref="ResetAfterBytes"/>, whose count would be ambiguous.</exception>
    public FakeResponse Gzip() =>
        ResetAfter is null ? new(this) { Gzipped = true } : throw new InvalidOperationException("Gzip cannot be combined with ResetAfterBytes.");

    /// <summary>Returns a copy of a <see cref="Stream"/> response without the final <c>finish_reason</c> chunk and <c>data: [DONE]</c>: an upstream that just stops.</summary>
    /// <exception cref="InvalidOperationException">The response was not created by <see cref="Stream"/>.</exception>
    public FakeResponse WithoutDone()
    {
        if (Kind != BodyKind.Stream)
        {
            throw new InvalidOperationException("WithoutDone applies only to FakeResponse.Stream().");
        }

        return new(this) { StreamComplete = false };
    }

    /// <summary>Writes this response. Returns true when the caller must now drop the connection (<see cref="ResetAfterBytes"/>).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (client abort or server stop).</exception>
    internal async Task<bool> WriteAsync(HttpContext context, CancellationToken cancellationToken)
    {
        if (DelayBeforeHeaders > TimeSpan.Zero)
        {
            await Task.Delay(DelayBeforeHeaders, cancellationToken);
        }

        if (Kind == BodyKind.Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var response = context.Response;
        response.StatusCode = StatusCode;
        if (ContentType is not null)
        {
            response.ContentType = ContentType;
        }

        if (Gzipped)
        {
            response.Headers.ContentEncoding = "gzip";
        }
        else if (Kind == BodyKind.Bytes)
        {
            response.ContentLength = Body.Length;
        }

        foreach (var group in Headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            response.Headers[group.Key] = new StringValues([.. group.Select(h => h.Value)]);
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(cancellationToken);
        await response.Body.FlushAsync(cancellationToken);

        if (!Gzipped)
        {
            await WriteBodyAsync(response.Body, cancellationToken);
            return ResetAfter is not null;
        }

        await using (var gzip = new GZipStream(response.Body, CompressionLevel.Fastest, leaveOpen: true))
        {
            await WriteBodyAsync(gzip, cancellationToken);
        }

        await response.Body.FlushAsync(cancellationToken); // The gzip trailer, written when the stream closed.
        return false;
    }

    private async Task WriteBodyAsync(Stream body, CancellationToken cancellationToken)
    {
        var written = 0;
        foreach (var piece in Pieces())
        {
            if (written > 0 && DelayBetweenWrites > TimeSpan.Zero)
            {
                await Task.Delay(DelayBetweenWrites, cancellationToken);
            }

            if (written == HoldAfterWrites)
            {
                await Release!.WaitAsync(cancellationToken);
            }

            written++;
            await body.WriteAsync(piece, cancellationToken);
            await body.FlushAsync(cancellationToken);
        }
    }

    private IEnumerable<ReadOnlyMemory<byte>> Pieces()
    {
        IEnumerable<byte[]> writes = Kind switch
        {
            BodyKind.Bytes => [Body],
            BodyKind.Events => Events.Select(Encoding.UTF8.GetBytes),
            BodyKind.Stream => OpenAiPayloads
                .StreamEvents(StreamDeltas, StreamModel, StreamPromptTokens, StreamCompletionTokens, StreamComplete)
                .Select(Encoding.UTF8.GetBytes),
            _ => [],
        };

        if (SplitBytes is { } size)
        {
            var all = writes.SelectMany(w => w).ToArray();
            writes = all.Chunk(size);
        }

        var remaining = ResetAfter ?? int.MaxValue;
        foreach (var write in writes)
        {
            if (remaining <= 0)
            {
                yield break;
            }

            var take = Math.Min(write.Length, remaining);
            remaining -= take;
            if (take > 0)
            {
                yield return write.AsMemory(0, take);
            }
        }
    }
}
