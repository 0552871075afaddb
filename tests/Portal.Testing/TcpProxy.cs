using System.Net;
using System.Net.Sockets;

namespace Portal.Testing;

/// <summary>
/// A loopback TCP forwarder from 127.0.0.1 (a free port) to a target host and port, which a test can cut and restore,
/// to make a server "go down" for one client without stopping it for everyone else.
/// </summary>
/// <remarks>
/// <see cref="Cut"/> resets every open connection and resets each new one as soon as it is accepted, until
/// <see cref="Restore"/>. At most <see cref="MaxConnections"/> connections are forwarded at once (more are reset).
/// Dispose stops the listener and resets every connection. All members are thread-safe.
/// </remarks>
public sealed class TcpProxy : IAsyncDisposable
{
    /// <summary>The most connections forwarded at once.</summary>
    public const int MaxConnections = 256;

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly HashSet<Connection> _connections = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Socket _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly Task _acceptLoop;
    private volatile bool _cut;
    private int _disposed;

    private TcpProxy(Socket listener, string targetHost, int targetPort)
    {
        _listener = listener;
        _targetHost = targetHost;
        _targetPort = targetPort;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The address clients connect to: always <c>127.0.0.1</c>.</summary>
    public string Host { get; } = "127.0.0.1";

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    /// <summary>Whether the proxy is cut (see <see cref="Cut"/>).</summary>
    public bool IsCut => _cut;

    /// <summary>Connections being forwarded now.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Starts forwarding 127.0.0.1:<see cref="Port"/> to <paramref name="targetHost"/>:<paramref name="targetPort"/>.</summary>
    /// <param name="targetHost">The target's host name or address.</param>
    /// <param name="targetPort">The target's port.</param>
    /// <returns>The running proxy; the caller must dispose it.</returns>
    public static TcpProxy Start(string targetHost, int targetPort)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetPort);
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(64);
            return new TcpProxy(listener, targetHost, targetPort);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Resets every open connection and every new one until <see cref="Restore"/>: to a client the server is down.</summary>
    public void Cut()
    {
        _cut = true;
        foreach (var connection in TakeAll())
        {
            connection.Reset();
        }
    }

    /// <summary>Forwards new connections again.</summary>
    public void Restore() => _cut = false;

    /// <summary>Stops listening and resets every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        foreach (var connection in TakeAll())
        {
            connection.Reset();
        }

        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stopping.Dispose();
    }

    private List<Connection> TakeAll()
    {
        lock (_gate)
        {
            var all = _connections.ToList();
            _connections.Clear();
            return all;
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token);
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // A client that gave up before it was accepted.
            }

            _ = ForwardAsync(client, token);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken stopping)
    {
        client.NoDelay = true;
        if (_cut || OpenConnections >= MaxConnections)
        {
            Connection.Reset(client);
            return;
        }

        var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            connectTimeout.CancelAfter(ConnectTimeout);
            await upstream.ConnectAsync(_targetHost, _targetPort, connectTimeout.Token);
        }
        catch (Exception)
        {
            Connection.Reset(client);
            upstream.Dispose();
            return;
        }

        var connection = new Connection(client, upstream);
        lock (_gate)
        {
            // Cut or disposed while connecting: nobody else will reset this one.
            if (_cut || stopping.IsCancellationRequested)
            {
                connection.Reset();
                return;
            }

            _connections.Add(connection);
        }

        try
        {
            await Task.WhenAll(PumpAsync(client, upstream, stopping), PumpAsync(upstream, client, stopping));
        }
        finally
        {
            lock (_gate)
            {
                _connections.Remove(connection);
            }

            connection.Reset();
        }
    }

    /// <summary>Copies one direction until end of stream (passed on as a half close) or an error (which resets both sides).</summary>
    private static async Task PumpAsync(Socket from, Socket to, CancellationToken stopping)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stopping);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stopping);
            }
        }
        catch (Exception)
        {
            Connection.Reset(from);
            Connection.Reset(to);
        }
    }

    /// <summary>One forwarded connection: the client's socket and the proxy's socket to the target.</summary>
    private sealed class Connection(Socket client, Socket upstream)
    {
        public void Reset()
        {
            Reset(client);
            Reset(upstream);
        }

        /// <summary>Closes with a zero linger time, so the peer gets a TCP reset rather than an orderly close.</summary>
        public static void Reset(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception)
            {
                // Already closed.
            }

            socket.Dispose();
        }
    }
}
