using Portal.Health;
using Portal.Testing;
using static Portal.Tests.Gateway.GatewayTestKit;

namespace Portal.Tests.Gateway;

/// <summary>An upstream's Retry-After is honoured up to <see cref="BackoffOptions.MaxRetryAfter"/>; nonsense is ignored.</summary>
public sealed class RetryAfterCapTests
{
    public static TheoryData<int, string, string, bool> Absurd => new()
    {
        // status, header, value, stream
        { 503, "Retry-After", "2147483647", false },
        { 503, "Retry-After", "2147483647", true },
        { 429, "retry-after-ms", "99999999999999", false },
        { 429, "retry-after-ms", "99999999999999", true },
        { 429, "Retry-After", "-30", false },
        { 503, "retry-after-ms", "soon", true },
    };

    [Theory]
    [MemberData(nameof(Absurd))]
    public async Task AbsurdOrInvalidRetryAfter_IgnoredNormalBackoffApplies(int status, string header, string value, bool stream)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(status, "busy", status == 429 ? "requests" : "server_error").WithHeader(header, value);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, GoodKey);
        var backoff = new BackoffOptions { Jitter = 0 }; // So the first backoff is exactly the schedule's.
        await using var gateway = CreateGateway(repository, backoff: backoff);

        var exception = await Assert.ThrowsAsync<PortalException>(() => SendAsync(gateway, RepositorySeed.Chat(Alias), stream));

        var blamed = gateway.GetHealth(status == 429 ? ResourceKind.ApiKey : ResourceKind.Platform, status == 429 ? 101 : 1);
        Assert.Equal(HealthStatus.Warning, blamed.Status);
        Assert.Equal(backoff.InitialDelay, blamed.BackoffDuration);
        Assert.True(blamed.NextAvailableAt < DateTimeOffset.UtcNow.AddMinutes(1), $"NextAvailableAt is {blamed.NextAvailableAt:O}.");
        Assert.True(exception.RetryAfter is null || exception.RetryAfter <= TimeSpan.FromMinutes(15), $"RetryAfter is {exception.RetryAfter}.");
    }

    public static TheoryData<string, string, string?, double> Long => new()
    {
        // header, value (2 hours), MaxRetryAfter setting (null = default 15 min), expected minutes
        { "Retry-After", "7200", null, 15 },
        { "retry-after-ms", "7200000", null, 15 },
        { "Retry-After", "7200", "00:01:00", 1 },
        { "retry-after-ms", "7200000", "00:01:00", 1 },
    };

    [Theory]
    [MemberData(nameof(Long))]
    public async Task LongRetryAfter_CappedForHealthAndForTheCaller(string header, string value, string? maxRetryAfter, double expectedMinutes)
    {
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.DefaultResponse = FakeResponse.Error(429, "Rate limit reached", "requests", "rate_limit_exceeded").WithHeader(header, value);
        var repository = new InMemoryPortalRepository();
        repository.AddOpenAIChannel(1, upstream.BaseUrl, 10, UpstreamName, Alias, GoodKey);
        var backoff = maxRetryAfter is null ? new BackoffOptions() : new BackoffOptions { MaxRetryAfter = TimeSpan.Parse(maxRetryAfter, System.Globalization.CultureInfo.InvariantCulture) };
        await using var gateway = CreateGateway(repository, backoff: backoff);
        var expected = TimeSpan.FromMinutes(expectedMinutes);

        var first = await SendFailingAsync(gateway, Alias, stream: false, PortalErrorCode.UpstreamFailed);

        Assert.Equal(429, first.StatusCode);
        Assert.Equal(expected, first.RetryAfter);
        var key = gateway.GetHealth(ResourceKind.ApiKey, 101);
        Assert.Equal(expected, key.BackoffDuration);
        Assert.True(key.NextAvailableAt <= DateTimeOffset.UtcNow + expected, $"NextAvailableAt is {key.NextAvailableAt:O}.");

        // While the key backs off, callers are told to come back when it is free: never later than the cap.
        var next = await SendFailingAsync(gateway, Alias, stream: false, PortalErrorCode.NoAvailableChannel);
        Assert.NotNull(next.RetryAfter);
        Assert.True(next.RetryAfter <= expected, $"RetryAfter is {next.RetryAfter}.");
    }
}
