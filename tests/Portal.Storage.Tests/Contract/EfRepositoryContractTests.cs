namespace Portal.Storage.Tests.Contract;

/// <summary>The repository contract on <see cref="EfPortalRepository"/>, seeded through its admin API.</summary>
/// <remarks>
/// The cache TTL is long here on purpose: a read after an admin write must see it because the write invalidated the
/// cache, not because the TTL happened to expire.
/// </remarks>
public abstract class EfRepositoryContractTests : PortalRepositoryContractTests
{
    private EfPortalRepository? _repository;

    /// <summary>Storage settings of a fresh, empty store; skips the test when the backend is unavailable.</summary>
    protected abstract Task<StorageOptions> CreateStoreAsync();

    protected EfPortalRepository Ef => _repository ?? throw new InvalidOperationException("Call OpenAsync first.");

    protected override async Task<IPortalRepository> CreateAsync()
    {
        var options = await CreateStoreAsync();
        options.CacheTtl = TimeSpan.FromMinutes(10);
        _repository = await EfPortalRepository.OpenAsync(options);
        return _repository;
    }

    protected override Task<Platform> AddPlatformAsync(Platform platform) => Ef.AddPlatformAsync(platform);

    protected override Task<Model> AddModelAsync(Model model) => Ef.AddModelAsync(model);

    protected override Task<ApiKey> AddApiKeyAsync(ApiKey apiKey) => Ef.AddApiKeyAsync(apiKey);
}
