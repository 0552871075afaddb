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

    // A key with characters that every encoding changes: '/', '+' and '='.
    private const string EchoedKey = "hunter2/Zq+Lm9=Xp4Kd7Wc1Nv6Bt3Yh5Rt8Vw";

    public static TheoryData<string, string> EchoedForms()
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(EchoedKey);
        string Base64(string prefix) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(prefix + EchoedKey));
        string Url(string base64) => base64.Replace('+', '-').Replace('/', '_').TrimEnd('=');
        return new TheoryData<string, string>
        {
            { "upper-cased", EchoedKey.ToUpperInvariant() },
            { "lower-cased", EchoedKey.ToLowerInvariant() },
            { "base64", Convert.ToBase64String(bytes) },
            { "base64 of 'Bearer key'", Base64("Bearer ") },
            { "base64 of 'user:key' (Basic)", Base64("user:") },
            { "base64 of 'x:key'", Base64("x:") },
            { "base64url", Url(Convert.ToBase64String(bytes)) },
            { "base64url of 'Bearer key'", Url(Base64("Bearer ")) },
            { "percent-encoded", Uri.EscapeDataString(EchoedKey) },
            { "form-encoded", System.Net.WebUtility.UrlEncode(EchoedKey) },
            { "JSON-escaped", System.Text.Json.JsonEncodedText.Encode(EchoedKey).ToString() },
            { "slash-escaped", EchoedKey.Replace("/", "\\/", StringComparison.Ordinal) },
            { "fragment of 8", EchoedKey.Substring(12, 8) },
            { "upper-cased fragment", EchoedKey.Substring(20, 10).ToUpperInvariant() },
            { "masked with dots", "hunter...5Rt8Vw" },
            { "masked with stars", "hunte***Vw" },
            { "masked tail", "****Rt8Vw" },
        };
    }

    [Theory]
    [MemberData(nameof(EchoedForms))]
    public void Scrub_KeyEchoedInAnotherForm_Redacted(string form, string echo)
    {
        var text = $"Invalid credentials ({form}): {echo}. Check your settings.";

        var scrubbed = SecretScrubber.Scrub(text, EchoedKey);

        Assert.Contains("[redacted]", scrubbed, StringComparison.Ordinal);
        Assert.DoesNotContain(echo, scrubbed, StringComparison.OrdinalIgnoreCase);
        AssertNoRunOfTheKey(scrubbed, EchoedKey);
        Assert.StartsWith("Invalid credentials", scrubbed, StringComparison.Ordinal);
        Assert.EndsWith("Check your settings.", scrubbed, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sk-l…WXYZ")]
    [InlineData("sk-…WXYZ")]
    [InlineData("****WXYZ")]
    public void Scrub_MaskOfAtMostFourLeadingAndTrailing_MayStay(string mask)
    {
        const string Key = "sk-live-0123456789abcdefWXYZ";
        var text = $"key {mask} was revoked";

        Assert.Equal(text, SecretScrubber.Scrub(text, Key));
    }

    [Fact]
    public void Scrub_SevenCharactersOfTheKey_Kept()
    {
        // Below the run length: ordinary text that happens to share a few characters with the key stays readable.
        const string Key = "abcdefghijklmnopqrstuvwxyz0123";

        Assert.Equal("see section ghijklm", SecretScrubber.Scrub("see section ghijklm", Key));
    }

    private static void AssertNoRunOfTheKey(string text, string key)
    {
        var lowerText = text.ToLowerInvariant();
        var lowerKey = key.ToLowerInvariant();
        for (var i = 0; i + SecretScrubber.MinRun <= lowerKey.Length; i++)
        {
            Assert.DoesNotContain(lowerKey.Substring(i, SecretScrubber.MinRun), lowerText, StringComparison.Ordinal);
        }
    }
}
