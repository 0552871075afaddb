using Portal.Storage.Tests.Infrastructure;
using Portal.Testing;

namespace Portal.Storage.Tests.Resilience;

/// <summary>
/// PostgreSQL goes down: the repository reaches the server through a <see cref="TcpProxy"/>, which is cut (open
/// connections reset, new ones refused) and then restored; the shared server itself keeps running.
/// </summary>
public sealed class PostgresOutageTests : DatabaseOutageTests
{
    private PostgresDatabase? _database;
    private TcpProxy? _proxy;

    protected override async Task<StorageOptions> CreateStoreAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var (host, port) = _database.ServerEndPoint();
        _proxy = TcpProxy.Start(host, port);
        return _database.CreateOptions(_proxy.Host, _proxy.Port);
    }

    protected override Task TakeDownAsync()
    {
        _proxy!.Cut();
        return Task.CompletedTask;
    }

    protected override Task BringBackAsync()
    {
        _proxy!.Restore();
        return Task.CompletedTask;
    }

    protected override async ValueTask DisposeBackendAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
