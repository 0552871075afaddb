using Portal.Providers;
using Portal.Providers.OpenAI;

namespace Portal.Tests.Providers.OpenAI;

public sealed class OpenAIAdapterEndpointTests
{
    [Theory]
    [InlineData("https://host", "https://host/v1/chat/completions")]
    [InlineData("https://host/", "https://host/v1/chat/completions")]
    [InlineData("https://host/v1", "https://host/v1/chat/completions")]
    [InlineData("https://host/v1/", "https://host/v1/chat/completions")]
    [InlineData("https://host/api/openai", "https://host/api/openai/chat/completions")]
    [InlineData("https://host/api/openai/", "https://host/api/openai/chat/completions")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/v1/chat/completions")]
    [InlineData("  https://host/v1  ", "https://host/v1/chat/completions")]
    [InlineData("https://host/openai?api-version=2024-10-21", "https://host/openai/chat/completions?api-version=2024-10-21")]
    public void ResolveEndpoint_BaseUrl_ChatCompletionsUrl(string baseUrl, string expected)
    {
        Assert.Equal(new Uri(expected), OpenAIAdapter.ResolveEndpoint(baseUrl));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("host/v1")]
    [InlineData("/v1")]
    [InlineData("ftp://host")]
    [InlineData("file:///etc/passwd")]
    public void ResolveEndpoint_InvalidUrl_ThrowsUpstreamException(string baseUrl)
    {
        var e = Assert.Throws<UpstreamException>(() => OpenAIAdapter.ResolveEndpoint(baseUrl));

        Assert.Equal(UpstreamErrorKind.Connection, e.Kind);
    }
}
