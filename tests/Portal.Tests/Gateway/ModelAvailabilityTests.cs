using Portal.Providers;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>What a caller is told when a model has no channel: disabled (404, like a model that does not exist) or no key (503).</summary>
public sealed class ModelAvailabilityTests
{
    [Theory]
    [InlineData("model", false)]
    [InlineData("model", true)]
    [InlineData("platform", false)]
    [InlineData("platform", true)]
    public async Task DisabledModelOrPlatform_ModelNotFoundSayingDisabled(string disabled, bool stream)
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "p", Format = PlatformFormats.Mock, BaseUrl = "mock://local", Enabled = disabled != "platform" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = "m", Alias = Alias, Enabled = disabled != "model" });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-mock-0123456789abcdef" });
        await using var gateway = CreateGateway(repository);

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.ModelNotFound);

        Assert.Contains("is disabled", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EnabledModelWithoutEnabledKey_NoAvailableChannel(bool stream)
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "p", Format = PlatformFormats.Mock, BaseUrl = "mock://local" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = "m", Alias = Alias });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-mock-0123456789abcdef", Enabled = false });
        await using var gateway = CreateGateway(repository);

        var exception = await SendFailingAsync(gateway, Alias, stream, PortalErrorCode.NoAvailableChannel);

        Assert.Contains("no enabled key", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task OneOfTwoModelsDisabled_ServedByTheOther(bool stream)
    {
        var repository = new InMemoryPortalRepository();
        repository.Add(new Platform { Id = 1, Name = "p", Format = PlatformFormats.Mock, BaseUrl = "mock://local" });
        repository.Add(new Model { Id = 10, PlatformId = 1, Name = "off", Alias = Alias, Enabled = false });
        repository.Add(new Model { Id = 11, PlatformId = 1, Name = "on", Alias = Alias });
        repository.Add(new ApiKey { Id = 101, PlatformId = 1, Value = "sk-mock-0123456789abcdef" });
        await using var gateway = CreateGateway(repository);

        Assert.Contains("mock response from on", await SendAsync(gateway, RepositorySeed.Chat(Alias), stream), StringComparison.Ordinal);
    }
}
