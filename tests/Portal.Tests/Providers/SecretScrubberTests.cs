using Portal.Providers;

namespace Portal.Tests.Providers;

public sealed class SecretScrubberTests
{
    [Fact]
    public void Scrub_TextContainsTheKey_KeyReplacedEverywhere()
    {
        const string Key = "my-custom-secret-0123456789";

        var scrubbed = SecretScrubber.Scrub($"Key {Key} is invalid; {Key} was revoked.", Key);

        Assert.DoesNotContain(Key, scrubbed, StringComparison.Ordinal);
        Assert.Equal("Key [redacted] is invalid; [redacted] was revoked.", scrubbed);
    }

    [Theory]
    [InlineData("Incorrect API key provided: sk-abc***xyz. You can find your API key at https://example.test.", "sk-abc***xyz")]
    [InlineData("Incorrect API key provided: sk-proj-AbCdEf*********************wxyz", "sk-proj-AbCdEf")]
    [InlineData("invalid x-api-key: sk-ant-api03-AAAAAAAAAAAAAAAAAAAA", "sk-ant-api03")]
    [InlineData("API key not valid: AIzaSyA-1234567890abcdefghijklmno", "AIzaSyA")]
    [InlineData("Invalid key xai-1234567890abcdef", "xai-1234")]
    [InlineData("gsk_abcdefghijklmnop is wrong", "gsk_abcdef")]
    [InlineData("header was Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "eyJhbGci")]
    [InlineData("got bearer abcdef123456", "abcdef123456")]
    public void Scrub_KeyShapedText_Redacted(string text, string secretPart)
    {
        var scrubbed = SecretScrubber.Scrub(text, secret: null);

        Assert.DoesNotContain(secretPart, scrubbed, StringComparison.Ordinal);
        Assert.Contains("[redacted]", scrubbed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("The model `gpt-4o-mini` does not exist")]
    [InlineData("This model's maximum context length is 8192 tokens.")]
    [InlineData("Rate limit reached for requests: task-scheduler busy")]
    public void Scrub_OrdinaryMessage_Unchanged(string text)
    {
        Assert.Equal(text, SecretScrubber.Scrub(text, "sk-not-in-the-text-123"));
    }

    [Fact]
    public void Scrub_LongMessage_CutToMaximum()
    {
        var text = new string('a', SecretScrubber.MaxMessageLength + 100);

        var scrubbed = SecretScrubber.Scrub(text, null);

        Assert.Equal(SecretScrubber.MaxMessageLength + 1, scrubbed.Length);
        Assert.StartsWith(new string('a', SecretScrubber.MaxMessageLength), scrubbed, StringComparison.Ordinal);
        Assert.EndsWith("…", scrubbed, StringComparison.Ordinal);
    }

    [Fact]
    public void Scrub_MessageAtMaximum_NotCut()
    {
        var text = new string('a', SecretScrubber.MaxMessageLength);

        Assert.Equal(text, SecretScrubber.Scrub(text, null));
    }

    [Fact]
    public void Scrub_KeyAcrossTheCut_NoPartOfItSurvives()
    {
        const string Key = "plainsecretvalue0123456789";
        var text = new string('a', SecretScrubber.MaxMessageLength - 10) + Key;

        var scrubbed = SecretScrubber.Scrub(text, Key);

        Assert.DoesNotContain("plainsecre", scrubbed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Scrub_NullOrEmpty_ReturnsEmpty(string? text)
    {
        Assert.Equal(string.Empty, SecretScrubber.Scrub(text, "sk-some-secret-value"));
        Assert.Equal(string.Empty, SecretScrubber.Scrub(text, null));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    public void Scrub_NoOrTinySecret_TextKept(string? secret)
    {
        Assert.Equal("abc def", SecretScrubber.Scrub("abc def", secret));
    }
}
