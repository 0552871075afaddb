using System.Runtime.CompilerServices;
using Portal.Contracts;
using Portal.Providers;
using Portal.Storage.Configuration;

namespace Portal.Storage.Tests.Configuration;

/// <summary>The formats a configuration file may name, and their base-URL rules, are those of the catalog it is read against.</summary>
public sealed class ConfigFormatCatalogTests
{
    private static readonly ProviderCatalog WithAcme = new([new AcmeAdapter()]);

    [Fact]
    public void Parse_FormatOfTheCatalog_LoadsInTheAdaptersSpelling()
    {
        var file = PortalConfigLoader.Parse("""{ "platforms": [ { "name": "a", "format": "ACME", "baseUrl": "acme://eu" } ] }""", "portal.json", WithAcme, _ => null);

        Assert.Equal("acme", Assert.Single(file.Platforms).Format);
    }

    [Fact]
    public void Parse_BaseUrlTheAdapterRejects_FailsWithItsReason()
    {
        var ex = Assert.Throws<PortalConfigException>(() =>
            PortalConfigLoader.Parse("""{ "platforms": [ { "name": "a", "format": "acme", "baseUrl": "https://example.com" } ] }""", "portal.json", WithAcme, _ => null));

        Assert.Equal("$.platforms[0].baseUrl", ex.JsonPath);
        Assert.Contains("\"https://example.com\" must use the acme scheme", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FormatNotInTheCatalog_ListsTheCatalogsFormats()
    {
        var ex = Assert.Throws<PortalConfigException>(() =>
            PortalConfigLoader.Parse("""{ "platforms": [ { "name": "a", "format": "openai", "baseUrl": "https://example.com" } ] }""", "portal.json", WithAcme, _ => null));

        Assert.Equal("$.platforms[0].format", ex.JsonPath);
        Assert.Contains("unknown format \"openai\"; expected one of: acme", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WithoutCatalog_KnowsTheBuiltInFormatsOnly()
    {
        var ex = Assert.Throws<PortalConfigException>(() =>
            PortalConfigLoader.Parse("""{ "platforms": [ { "name": "a", "format": "acme", "baseUrl": "acme://eu" } ] }""", "portal.json", _ => null));

        Assert.Contains("expected one of: openai, mock", ex.Message, StringComparison.Ordinal);
    }

    private sealed class AcmeAdapter : IProviderAdapter
    {
        public string Format => "acme";

        public string? CheckBaseUrl(string baseUrl) => baseUrl.StartsWith("acme://", StringComparison.Ordinal) ? null : "must use the acme scheme";

        public Task<ChatCompletionResponse> ChatCompletionAsync(Channel channel, ChatCompletionRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatCompletionChunk> StreamChatCompletionAsync(Channel channel, ChatCompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
