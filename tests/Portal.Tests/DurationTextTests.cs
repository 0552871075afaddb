namespace Portal.Tests;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("250ms", 0, 0, 0, 250)]
    [InlineData("30s", 0, 0, 30, 0)]
    [InlineData("90s", 0, 1, 30, 0)]
    [InlineData("5m", 0, 5, 0, 0)]
    [InlineData("1h", 1, 0, 0, 0)]
    [InlineData("24h", 24, 0, 0, 0)]
    [InlineData("7d", 168, 0, 0, 0)]
    [InlineData("1.5h", 1, 30, 0, 0)]
    [InlineData("0.1s", 0, 0, 0, 100)]
    [InlineData(" 30S ", 0, 0, 30, 0)]
    [InlineData("30 s", 0, 0, 30, 0)]
    [InlineData("00:05:00", 0, 5, 0, 0)]
    [InlineData("01:00:00", 1, 0, 0, 0)]
    [InlineData("1.12:00:00", 36, 0, 0, 0)]
    [InlineData("00:00:00.500", 0, 0, 0, 500)]
    [InlineData("0", 0, 0, 0, 0)]
    [InlineData("0s", 0, 0, 0, 0)]
    public void TryParse_AcceptedForm_ReturnsTheDuration(string text, int hours, int minutes, int seconds, int milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));
        Assert.Equal(new TimeSpan(0, hours, minutes, seconds, milliseconds), duration);
    }

    [Theory]
    [InlineData("-5s", -5)]
    [InlineData("-00:00:05", -5)]
    public void TryParse_Negative_ParsesSoValidationCanNameIt(string text, int seconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("5x")]
    [InlineData("s")]
    [InlineData("ms")]
    [InlineData("30")]
    [InlineData("1.5")]
    [InlineData("yesterday")]
    [InlineData("1e3s")]
    [InlineData("NaNs")]
    [InlineData("1,5h")]
    [InlineData("1h30m")]
    [InlineData("99999999999999999999d")]
    public void TryParse_NotADuration_ReturnsFalse(string? text)
    {
        Assert.False(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.Zero, duration);
    }

    [Fact]
    public void NotADuration_NamesTheTextAndTheForms()
    {
        Assert.Equal("'5x' is not a duration; use 250ms, 30s, 5m, 1h, 7d or hh:mm:ss", DurationText.NotADuration("5x"));
    }
}
