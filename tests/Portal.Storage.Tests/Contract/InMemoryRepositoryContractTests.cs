namespace Portal.Storage.Tests.Contract;

/// <summary>The repository contract on <see cref="InMemoryPortalRepository"/>: the reference the database backends must match.</summary>
public sealed class InMemoryRepositoryContractTests : PortalRepositoryContractTests
{
    private readonly InMemoryPortalRepository _repository = new();

    protected override Task<IPortalRepository> CreateAsync() => Task.FromResult<IPortalRepository>(_repository);

    protected override Task<Platform> AddPlatformAsync(Platform platform)
    {
        _repository.Add(platform);
        return Task.FromResult(_repository.Platforms.Single(p => p.Name == platform.Name));
    }

    protected override Task<Model> AddModelAsync(Model model)
    {
        _repository.Add(model);
        return Task.FromResult(_repository.Models.Single(m => m.PlatformId == model.PlatformId && m.Name == model.Name));
    }

    protected override Task<ApiKey> AddApiKeyAsync(ApiKey apiKey)
    {
        _repository.Add(apiKey);
        return Task.FromResult(_repository.ApiKeys[^1]); // An id of 0 becomes the highest id.
    }
}
