using System.Net;
using System.Net.Sockets;
using Portal.Testing;

namespace Portal.Storage.Tests.Infrastructure;

/// <summary>The proxy the PostgreSQL outage tests rely on: it forwards, a cut drops open and new connections, a restore forwards again.</summary>
public sealed class TcpProxyTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private readonly TcpListener _echo = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _echoLoop = Task.CompletedTask;

    public Task InitializeAsync()
    {
        _echo.Start();
        _echoLoop = EchoLoopAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _echo.Stop();
        await _echoLoop;
        _stop.Dispose();
    }

    [Fact]
    public async Task Connect_Restored_ForwardsBothWays()
    {
        await using var proxy = TcpProxy.Start("127.0.0.1", EchoPort);
        using var client = await ConnectAsync(proxy);

        Assert.Equal("hello", await EchoAsync(client, "hello"));
        Assert.Equal("world", await EchoAsync(client, "world"));
        Assert.Equal(1, proxy.OpenConnections);
    }

    [Fact]
    public async Task Cut_OpenConnection_IsReset()
    {
        await using var proxy = TcpProxy.Start("127.0.0.1", EchoPort);
        using var client = await ConnectAsync(proxy);
        Assert.Equal("before", await EchoAsync(client, "before"));

        proxy.Cut();

        Assert.True(proxy.IsCut);
        Assert.Equal(0, proxy.OpenConnections);
        await Assert.ThrowsAnyAsync<Exception>(() => EchoAsync(client, "after"));
    }

    [Fact]
    public async Task Cut_NewConnection_IsResetBeforeAnyByte()
    {
        await using var proxy = TcpProxy.Start("127.0.0.1", EchoPort);
        proxy.Cut();

        // The reset may arrive while connecting or at the first read: either way no byte gets through.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var client = await ConnectAsync(proxy);
            await EchoAsync(client, "hello");
        });
    }

    [Fact]
    public async Task Restore_AfterCut_ForwardsNewConnections()
    {
        await using var proxy = TcpProxy.Start("127.0.0.1", EchoPort);
        proxy.Cut();
        proxy.Restore();

        using var client = await ConnectAsync(proxy);

        Assert.False(proxy.IsCut);
        Assert.Equal("back", await EchoAsync(client, "back"));
    }

    [Fact]
    public async Task Dispose_OpenConnection_IsReset()
    {
        var proxy = TcpProxy.Start("127.0.0.1", EchoPort);
        using var client = await ConnectAsync(proxy);
        Assert.Equal("before", await EchoAsync(client, "before"));

        await proxy.DisposeAsync();

        await Assert.ThrowsAnyAsync<Exception>(() => EchoAsync(client, "after"));
    }

    private int EchoPort => ((IPEndPoint)_echo.LocalEndpoint).Port;

    private static async Task<Socket> ConnectAsync(TcpProxy proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(proxy.Host, proxy.Port);
        return socket;
    }

    /// <summary>Sends <paramref name="text"/> and reads the echo; throws when the connection is closed or reset.</summary>
    private static async Task<string> EchoAsync(Socket socket, string text)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
        var buffer = new byte[bytes.Length];
        var received = 0;
        while (received < buffer.Length)
        {
            var read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
            if (read == 0)
            {
                throw new IOException("The connection was closed.");
            }

            received += read;
        }

        return System.Text.Encoding.UTF8.GetString(buffer);
    }

    private async Task EchoLoopAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var socket = await _echo.AcceptSocketAsync(_stop.Token);
                connections.Add(EchoConnectionAsync(socket, _stop.Token));
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // Stopping.
        }

        await Task.WhenAll(connections);
    }

    private static async Task EchoConnectionAsync(Socket socket, CancellationToken stop)
    {
        using (socket)
        {
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop)) > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, stop);
                }
            }
            catch (Exception)
            {
                // Reset by the proxy, or stopping.
            }
        }
    }
}
