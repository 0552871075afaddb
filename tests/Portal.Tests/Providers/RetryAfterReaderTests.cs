using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Portal.Providers;

namespace Portal.Tests.Providers;

public sealed class RetryAfterReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("Retry-After", "120", 120_000)]
    [InlineData("Retry-After", "0", 0)]
    [InlineData("retry-after-ms", "1500", 1_500)]
    [InlineData("retry-after-ms", "0.5", 0.5)]
    [InlineData("retry-after-ms", "86400000", 86_400_000)]
    public void Read_PlausibleValue_ReturnsIt(string header, string value, double expectedMs)
    {
        var (reader, logs) = Create();

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), reader.Read(Headers((header, value)), platformId: 1));
        Assert.Empty(logs.GetSnapshot());
    }

    [Fact]
    public void Read_HttpDate_ReturnsTimeUntilThen()
    {
        var (reader, _) = Create();

        var wait = reader.Read(Headers(("Retry-After", Now.AddSeconds(90).ToString("R"))), platformId: 1);

        Assert.Equal(TimeSpan.FromSeconds(90), wait);
    }

    [Fact]
    public void Read_HttpDateInThePast_ReturnsZero()
    {
        var (reader, _) = Create();

        Assert.Equal(TimeSpan.Zero, reader.Read(Headers(("Retry-After", Now.AddHours(-1).ToString("R"))), platformId: 1));
    }

    [Theory]
    [InlineData("Retry-After", "2147483647")] // 68 years: would take the platform out until 2094
    [InlineData("Retry-After", "86401")]
    [InlineData("Retry-After", "-5")]
    [InlineData("Retry-After", "soon")]
    [InlineData("Retry-After", "Fri, 01 Jan 2094 00:00:00 GMT")]
    [InlineData("retry-after-ms", "99999999999999")] // 3,170 years
    [InlineData("retry-after-ms", "-1")]
    [InlineData("retry-after-ms", "NaN")]
    [InlineData("retry-after-ms", "1e400")]
    [InlineData("retry-after-ms", "later")]
    public void Read_NegativeUnparsableOrAbsurd_IgnoredAndWarned(string header, string value)
    {
        var (reader, logs) = Create();

        Assert.Null(reader.Read(Headers((header, value)), platformId: 7));

        var record = Assert.Single(logs.GetSnapshot());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains("Platform 7", record.Message, StringComparison.Ordinal);
        Assert.Contains(header, record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RepeatedBadValues_WarnsOncePerPlatform()
    {
        var (reader, logs) = Create();

        reader.Read(Headers(("Retry-After", "2147483647")), platformId: 1);
        reader.Read(Headers(("retry-after-ms", "99999999999999")), platformId: 1);
        reader.Read(Headers(("Retry-After", "-1")), platformId: 2);

        Assert.Equal(2, logs.GetSnapshot().Count);
    }

    [Fact]
    public void Read_NoHeader_ReturnsNullWithoutWarning()
    {
        var (reader, logs) = Create();

        Assert.Null(reader.Read(Headers(), platformId: 1));
        Assert.Empty(logs.GetSnapshot());
    }

    private static (RetryAfterReader Reader, FakeLogCollector Logs) Create()
    {
        var logger = new FakeLogger();
        return (new RetryAfterReader(new FakeTimeProvider(Now), logger), logger.Collector);
    }

    private static System.Net.Http.Headers.HttpResponseHeaders Headers(params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response.Headers;
    }
}
