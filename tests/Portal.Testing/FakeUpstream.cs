using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Portal.Testing;

/// <summary>A fake OpenAI-compatible LLM platform: a real Kestrel server on 127.0.0.1 that answers with scripted responses and records what it received.</summary>
/// <remarks>
/// Each request is recorded before its response is chosen. The response comes from <see cref="Handler"/> when set,
/// else the next queued response (<see cref="Enqueue"/>, FIFO, one per request), else <see cref="DefaultResponse"/>.
/// All members are thread-safe.
/// </remarks>
public sealed class FakeUpstream : IAsyncDisposable
{
    private const long MaxRequestBodySize = 64L * 1024 * 1024;
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Queue<FakeResponse> _queue = new();
    private readonly List<FakeRequest> _requests = [];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _requestArrived = NewSignal();
    private WebApplication? _app;
    private volatile FakeResponse _defaultResponse = FakeResponse.ChatCompletion("Hello from fake upstream");
    private volatile Func<FakeRequest, FakeResponse>? _handler;
    private int _disposed;

    private FakeUpstream()
    {
    }

    /// <summary>Gets the server's base address, <c>http://127.0.0.1:PORT</c>, without a trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>Gets or sets the response used when no handler is set and the queue is empty.</summary>
    /// <value>The default is <c>FakeResponse.ChatCompletion("Hello from fake upstream")</c>.</value>
    public FakeResponse DefaultResponse
    {
        get => _defaultResponse;
        set => _defaultResponse = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Gets or sets a callback that decides every response; when set it takes precedence over the queue.</summary>
    /// <remarks>Called concurrently for concurrent requests. If it throws, the client gets a 500 with an empty body.</remarks>
    public Func<FakeRequest, FakeResponse>? Handler
    {
        get => _handler;
        set => _handler = value;
    }

    /// <summary>Gets a snapshot of every request received so far, in arrival order.</summary>
    public IReadOnlyList<FakeRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets the number of requests received so far.</summary>
    public int RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>Starts a fake upstream on 127.0.0.1 with a free port.</summary>
    /// <remarks>The caller owns the result and must dispose it.</remarks>
    public static async Task<FakeUpstream> StartAsync(CancellationToken cancellationToken = default)
    {
        var upstream = new FakeUpstream();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, 0);
            options.Limits.MaxRequestBodySize = MaxRequestBodySize;
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);

        var app = builder.Build();
        app.Run(upstream.HandleAsync);
        upstream._app = app;
        try
        {
            await app.StartAsync(cancellationToken);
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
            var address = addresses?.FirstOrDefault()
                ?? throw new InvalidOperationException("Kestrel reported no listening address.");
            var port = new Uri(address).Port;
            upstream.BaseUrl = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
            return upstream;
        }
        catch
        {
            await upstream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Returns a base address on 127.0.0.1 where nothing listens, so connecting is refused.</summary>
    /// <remarks>The port is taken by binding a socket to port 0 and closing it; another process could reuse it, which is unlikely.</remarks>
    public static string UnusedBaseUrl()
    {
        int port;
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        return "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Queues a response for the next request that finds no <see cref="Handler"/>; responses are consumed FIFO, one per request.</summary>
    /// <returns>This instance, for chaining.</returns>
    public FakeUpstream Enqueue(FakeResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        lock (_gate)
        {
            _queue.Enqueue(response);
        }

        return this;
    }

    /// <summary>Waits until at least <paramref name="count"/> requests have arrived and returns the <paramref name="count"/>-th (1-based).</summary>
    /// <remarks><paramref name="timeout"/> may be <see cref="Timeout.InfiniteTimeSpan"/>.</remarks>
    /// <exception cref="TimeoutException">Fewer than <paramref name="count"/> requests arrived within <paramref name="timeout"/>.</exception>
    public async Task<FakeRequest> WaitForRequestsAsync(int count, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            Task signal;
            int received;
            lock (_gate)
            {
                received = _requests.Count;
                if (received >= count)
                {
                    return _requests[count - 1];
                }

                signal = _requestArrived.Task;
            }

            var remaining = timeout == Timeout.InfiniteTimeSpan ? Timeout.InfiniteTimeSpan : timeout - stopwatch.Elapsed;
            if (remaining != Timeout.InfiniteTimeSpan && remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Expected {count} request(s) within {timeout}, but {received} arrived.");
            }

            try
            {
                await signal.WaitAsync(remaining);
            }
            catch (TimeoutException)
            {
                // Loop once more: the final check reports how many requests arrived.
            }
        }
    }

    /// <summary>Stops the server within about a second, aborting open requests such as <see cref="FakeResponse.Hang"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        if (_app is { } app)
        {
            using var timeout = new CancellationTokenSource(ShutdownTimeout);
            try
            {
                await app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Shutdown timed out; Kestrel has aborted the remaining connections.
            }

            await app.DisposeAsync();
        }

        _stopping.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Dictionary<string, string> ReadHeaders(HttpRequest request)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in request.Headers)
        {
            headers[header.Key] = string.Join(',', header.Value.ToArray());
        }

        return headers;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var clientAborted = context.RequestAborted;
        var request = context.Request;
        var headers = ReadHeaders(request);
        using var body = new MemoryStream();
        var bodyComplete = true;
        try
        {
            await request.Body.CopyToAsync(body, clientAborted);
        }
        catch (Exception) when (clientAborted.IsCancellationRequested)
        {
            bodyComplete = false;
        }

        var recorded = new FakeRequest(request.Method, request.PathBase + request.Path, headers, body.ToArray());
        var registration = clientAborted.Register(static state => ((FakeRequest)state!).MarkAborted(), recorded);
        try
        {
            var handler = _handler;
            FakeResponse? response = null;
            TaskCompletionSource arrived;
            lock (_gate)
            {
                _requests.Add(recorded);
                arrived = _requestArrived;
                _requestArrived = NewSignal();
                if (bodyComplete && handler is null)
                {
                    response = _queue.TryDequeue(out var queued) ? queued : _defaultResponse;
                }
            }

            arrived.TrySetResult();
            if (!bodyComplete)
            {
                return;
            }

            response ??= handler!(recorded) ?? throw new InvalidOperationException("FakeUpstream.Handler returned null.");
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, _stopping.Token);
            try
            {
                if (await response.WriteAsync(context, linked.Token))
                {
                    // A server-side reset is not a client abort: stop listening first.
                    await registration.DisposeAsync();
                    throw new DeliberateResetException();
                }
            }
            catch (Exception) when (linked.IsCancellationRequested && !clientAborted.IsCancellationRequested)
            {
                // The server is stopping while the response is open (for example Hang()): drop the connection.
                await registration.DisposeAsync();
                context.Abort();
            }
            catch (Exception) when (clientAborted.IsCancellationRequested)
            {
                // The client went away; the registration has recorded it.
            }
        }
        finally
        {
            // Disposing waits for a running abort callback, so the abort state is final when Finished completes.
            await registration.DisposeAsync();
            recorded.MarkFinished();
        }
    }

    // Thrown after the response has started: Kestrel then closes the connection behind the bytes already flushed
    // (HttpContext.Abort() instead drops data that the socket has not sent yet, so the client could miss the headers).
    private sealed class DeliberateResetException() : Exception("FakeUpstream: deliberate connection reset (ResetAfterBytes).");
}
