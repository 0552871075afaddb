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

    [Theory]
    [InlineData("acme", "https://example.com", "$.platforms[0].baseUrl", "\"https://example.com\" must use the acme scheme")] // the adapter's rule and words
    [InlineData("openai", "https://example.com", "$.platforms[0].format", "unknown format \"openai\"; expected one of: acme")] // only the catalog's formats
    public void Parse_AgainstTheCatalog_FailsWhereItsRulesSay(string format, string baseUrl, string jsonPath, string problem)
    {
        var json = $$"""{ "platforms": [ { "name": "a", "format": "{{format}}", "baseUrl": "{{baseUrl}}" } ] }""";

        var ex = Assert.Throws<PortalConfigException>(() => PortalConfigLoader.Parse(json, "portal.json", WithAcme, _ => null));

        Assert.Equal(jsonPath, ex.JsonPath);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WithoutCatalog_KnowsTheBuiltInFormatsOnly()
    {
        var ex = Assert.Throws<PortalConfigException>(() =>
            PortalConfigLoader.Parse("""{ "platforms": [ { "name": "a", "format": "acme", "baseUrl": "acme://eu" } ] }""", "portal.json", _ => null));

        Assert.Contains("expected one of: openai, anthropic, mock", ex.Message, StringComparison.Ordinal);
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
