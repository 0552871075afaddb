using Portal.Providers;
using Portal.Storage.Configuration;

namespace Portal.Storage.Tests.Configuration;

public sealed class MockFormatConfigTests
{
    [Fact]
    public void Parse_MockFormatWithMockBaseUrl_Loads()
    {
        const string json = """{ "platforms": [ { "name": "demo", "format": "mock", "baseUrl": "mock://local?latency=10ms", "models": [ "mock-model" ], "keys": [ "sk-mock-1234567890" ] } ] }""";

        var file = PortalConfigLoader.Parse(json, "portal.json", _ => null);

        var platform = Assert.Single(file.Platforms);
        Assert.Equal(PlatformFormats.Mock, platform.Format);
        Assert.Equal("mock://local?latency=10ms", platform.BaseUrl);
    }

    [Fact]
    public void Parse_OpenAIFormatWithMockBaseUrl_FailsOnBaseUrl()
    {
        const string json = """{ "platforms": [ { "name": "p", "format": "openai", "baseUrl": "mock://local" } ] }""";

        var exception = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Parse(json, "portal.json", _ => null));

        Assert.Equal("$.platforms[0].baseUrl", exception.JsonPath);
    }

    [Fact]
    public void Parse_MockBaseUrlWithInvalidSettings_FailsWithTheAdaptersReason()
    {
        const string json = """{ "platforms": [ { "name": "demo", "format": "mock", "baseUrl": "mock://local?latency=soon" } ] }""";

        var exception = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Parse(json, "portal.json", _ => null));

        Assert.Equal("$.platforms[0].baseUrl", exception.JsonPath);
        Assert.Contains("has invalid mock settings", exception.Message, StringComparison.Ordinal);
    }
}
