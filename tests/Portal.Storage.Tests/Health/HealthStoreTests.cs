using Portal.Storage.Tests.Infrastructure;

namespace Portal.Storage.Tests.Health;

/// <summary>The health store through its own interface, <see cref="IHealthStore"/> (SQLite; both providers run the repository's health tests).</summary>
public sealed class HealthStoreTests : SqliteRepositoryTest
{
    [Fact]
    public async Task SaveHealth_ThroughTheStore_LoadsBackOneRowPerResourceWithTheLastState()
    {
        IHealthStore store = Repository.Health;
        var checkedAt = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var warning = new HealthState
        {
            ResourceKind = ResourceKind.ApiKey,
            ResourceId = 3,
            Status = HealthStatus.Warning,
            RetryCount = 2,
            NextAvailableAt = checkedAt.AddSeconds(4),
            BackoffDuration = TimeSpan.FromSeconds(4),
            LastError = "429",
            LastErrorCode = 429,
            LastCheckAt = checkedAt,
            ErrorCount = 2,
        };
        var available = new HealthState { ResourceKind = ResourceKind.Platform, ResourceId = 1, Status = HealthStatus.Available, LastCheckAt = checkedAt, SuccessCount = 5 };

        await store.SaveHealthAsync([warning with { Status = HealthStatus.Available }, available, warning], default);

        var loaded = await store.GetAllHealthAsync(default);
        Assert.Equal([available, warning], loaded.OrderBy(s => s.ResourceKind));
        Assert.Equal(loaded, await Repository.GetAllHealthAsync(default));
    }
}
