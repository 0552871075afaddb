using Portal.Server.Hosting;

namespace Portal.Server.Tests.Hosting;

public sealed class SpellingTests
{
    [Theory]
    [InlineData("--sinse", "--since")]
    [InlineData("--Since", "--since")]
    [InlineData("sever", "serve")]
    [InlineData("MaxAttempt", "MaxAttempts")]
    [InlineData("MaxAtempts", "MaxAttempts")]
    [InlineData("MaxAttmepts", "MaxAttempts")]
    [InlineData("Gatway", "Gateway")]
    public void Closest_NearMiss_IsSuggested(string typed, string expected)
    {
        Assert.Equal(expected, Spelling.Closest(typed, ["--since", "--help", "serve", "stats", "config", "MaxAttempts", "AttemptTimeout", "Gateway", "Auth"]));
    }

    [Theory]
    [InlineData("Retries")]
    [InlineData("--foo")]
    [InlineData("Telemetry")]
    public void Closest_NothingNear_IsNull(string typed)
    {
        Assert.Null(Spelling.Closest(typed, ["--since", "--help", "serve", "MaxAttempts", "AttemptTimeout", "Gateway", "Auth"]));
    }

    [Theory]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("ABC", "abc", 0)]
    [InlineData("abc", "acb", 1)]
    [InlineData("kitten", "sitting", 3)]
    public void Distance_CountsInsertionsDeletionsSubstitutionsAndSwaps(string a, string b, int expected)
    {
        Assert.Equal(expected, Spelling.Distance(a, b));
        Assert.Equal(expected, Spelling.Distance(b, a));
    }
}
