namespace Portal.Tests;

/// <summary>
/// <see cref="IPortalRepository"/> is the composite of <see cref="IConfigReader"/>, <see cref="IHealthStore"/> and
/// <see cref="IStatsStore"/>: a repository written against the composite (as before the split) serves each port, and
/// the in-memory repository does too.
/// </summary>
public sealed class PortalRepositoryPortsTests
{
    private static readonly Model OneModel = new() { Id = 2, PlatformId = 1, Name = "m" };

    [Fact]
    public async Task CustomRepository_ImplementingTheComposite_ServesEachPort()
    {
        var repository = new OneModelRepository();
        IConfigReader config = repository;
        IHealthStore health = repository;
        IStatsStore stats = repository;

        await health.SaveHealthAsync([new HealthState { ResourceKind = ResourceKind.Model, ResourceId = 2 }], default);
        await stats.SaveRequestStatsAsync([new RequestStat { Id = "s", ModelName = "m" }], default);

        Assert.Equal([OneModel], await config.FindModelsByNameAsync("m", default));
        Assert.Equal(2, Assert.Single(await health.GetAllHealthAsync(default)).ResourceId);
        Assert.Equal(1, (await stats.CountRequestStatsAsync(new StatsQuery(), default)).TotalAttempts);
    }

    [Fact]
    public async Task InMemoryRepository_ThroughEachPort_ReadsWhatWasWritten()
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "p", Format = "mock", BaseUrl = "mock://local" });
        repository.Add(OneModel);
        IConfigReader config = repository;
        IHealthStore health = repository;
        IStatsStore stats = repository;

        await health.SaveHealthAsync([new HealthState { ResourceKind = ResourceKind.Platform, ResourceId = 1, Status = HealthStatus.Available }], default);
        await stats.SaveRequestStatsAsync([new RequestStat { Id = "s", ModelName = "m", Success = true }], default);

        Assert.Equal([OneModel], await config.FindModelsByNameAsync("m", default));
        Assert.Equal("p", (await config.GetPlatformAsync(1, default))?.Name);
        Assert.Equal(HealthStatus.Available, Assert.Single(await health.GetAllHealthAsync(default)).Status);
        Assert.Equal("s", Assert.Single(await stats.QueryRequestStatsAsync(new StatsQuery(), default)).Id);
    }

    /// <summary>A repository as code outside Portal writes one: public members implementing the composite.</summary>
    private sealed class OneModelRepository : IPortalRepository
    {
        private readonly List<HealthState> _health = [];
        private readonly List<RequestStat> _stats = [];

        public ValueTask<IReadOnlyList<Model>> FindModelsByNameAsync(string name, CancellationToken cancellationToken) =>
            new(name == OneModel.Name ? [OneModel] : []);

        public ValueTask<Platform?> GetPlatformAsync(long platformId, CancellationToken cancellationToken) => new((Platform?)null);

        public ValueTask<IReadOnlyList<ApiKey>> GetApiKeysAsync(long platformId, CancellationToken cancellationToken) => new([]);

        public Task<IReadOnlyList<HealthState>> GetAllHealthAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<HealthState>>(_health);

        public Task SaveHealthAsync(IReadOnlyCollection<HealthState> states, CancellationToken cancellationToken)
        {
            _health.AddRange(states);
            return Task.CompletedTask;
        }

        public Task SaveRequestStatsAsync(IReadOnlyCollection<RequestStat> stats, CancellationToken cancellationToken)
        {
            _stats.AddRange(stats);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<RequestStat>> QueryRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RequestStat>>(_stats);

        public Task<StatsSummary> CountRequestStatsAsync(StatsQuery query, CancellationToken cancellationToken) =>
            Task.FromResult(new StatsSummary { TotalAttempts = _stats.Count });
    }
}
