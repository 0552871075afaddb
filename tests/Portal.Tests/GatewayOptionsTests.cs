using Microsoft.Extensions.Configuration;

namespace Portal.Tests;

public sealed class GatewayOptionsTests
{
    private static readonly GatewayOptionsValidator Validator = new("Portal:Gateway:");

    [Fact]
    public void AttemptTimeout_NotSet_IsFiveMinutesOrARequestTimeoutThatIsShorter()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), new GatewayOptions().AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), new GatewayOptions { RequestTimeout = TimeSpan.FromSeconds(30) }.AttemptTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), new GatewayOptions { RequestTimeout = Timeout.InfiniteTimeSpan }.AttemptTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), new GatewayOptions { RequestTimeout = TimeSpan.FromSeconds(30), AttemptTimeout = TimeSpan.FromSeconds(10) }.AttemptTimeout);
    }

    [Fact]
    public void AttemptTimeout_NotSetBoundFromConfiguration_FollowsTheBoundRequestTimeout()
    {
        // The binder writes every TimeSpan property back, unset ones included, in declaration order.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["RequestTimeout"] = "00:00:45" })
            .Build();
        var options = new GatewayOptions();

        configuration.Bind(options);

        Assert.Equal(TimeSpan.FromSeconds(45), options.AttemptTimeout);
        Assert.True(Validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void PortalOptions_SettingsSetDirectly_AreTheGatewayOptions()
    {
        var options = new PortalOptions
        {
            Repository = new InMemoryPortalRepository(),
            MaxAttempts = 5,
            AttemptTimeout = TimeSpan.FromSeconds(7),
            RequestTimeout = TimeSpan.FromSeconds(8),
            ConnectTimeout = TimeSpan.FromSeconds(9),
            SelectorStrategy = "lru",
            RequestStreamUsage = false,
            HealthSyncInterval = TimeSpan.FromHours(1),
        };

        Assert.Equal(
            (5, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(9), "lru", false, TimeSpan.FromHours(1)),
            (options.Gateway.MaxAttempts, options.Gateway.AttemptTimeout, options.Gateway.RequestTimeout, options.Gateway.ConnectTimeout,
                options.Gateway.SelectorStrategy, options.Gateway.RequestStreamUsage, options.Gateway.HealthSyncInterval));
    }

    [Fact]
    public void PortalOptions_GatewaySet_ItsSettingsReadDirectly()
    {
        var options = new PortalOptions { Repository = new InMemoryPortalRepository(), Gateway = new GatewayOptions { MaxAttempts = 4, RequestTimeout = TimeSpan.FromSeconds(20) } };

        Assert.Equal((4, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20)), (options.MaxAttempts, options.RequestTimeout, options.AttemptTimeout));
    }

    [Fact]
    public async Task Create_OnlyAShortRequestTimeout_IsValidAndAttemptsShareIt()
    {
        await using var gateway = PortalGateway.Create(new PortalOptions { Repository = new InMemoryPortalRepository(), RequestTimeout = TimeSpan.FromSeconds(30) });

        Assert.False(gateway.IsShuttingDown);
    }

    [Theory]
    [InlineData("00:00:30", "00:00:30")]
    [InlineData("00:00:10", "00:00:30")]
    [InlineData("-00:00:00.001", "-00:00:00.001")]
    [InlineData("00:05:00", "-00:00:00.001")]
    [InlineData("-00:00:00.001", "00:01:00")] // No limit of the attempt's own: only the request's deadline.
    public void Validate_AttemptTimeoutWithinRequestTimeout_Succeeds(string attempt, string request)
    {
        var options = new GatewayOptions { AttemptTimeout = TimeSpan.Parse(attempt, System.Globalization.CultureInfo.InvariantCulture), RequestTimeout = TimeSpan.Parse(request, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.True(Validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData("00:05:00", "00:01:00", "Portal:Gateway:AttemptTimeout must not be longer than Portal:Gateway:RequestTimeout (it is 00:05:00, Portal:Gateway:RequestTimeout is 00:01:00).")]
    [InlineData("00:00:01.5000000", "00:00:01", "Portal:Gateway:AttemptTimeout must not be longer than Portal:Gateway:RequestTimeout (it is 00:00:01.5000000, Portal:Gateway:RequestTimeout is 00:00:01).")]
    public void Validate_AttemptTimeoutLongerThanRequestTimeout_FailsNamingBoth(string attempt, string request, string expected)
    {
        var options = new GatewayOptions { AttemptTimeout = TimeSpan.Parse(attempt, System.Globalization.CultureInfo.InvariantCulture), RequestTimeout = TimeSpan.Parse(request, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.Equal(expected, Assert.Single(Validator.Validate(null, options).Failures!));
    }

    public static TheoryData<string, GatewayOptions> Invalid => new()
    {
        { "Portal:Gateway:MaxAttempts must be at least 1 (it is 0).", new GatewayOptions { MaxAttempts = 0 } },
        { "Portal:Gateway:AttemptTimeout must be positive (it is 00:00:00).", new GatewayOptions { AttemptTimeout = TimeSpan.Zero } },
        { "Portal:Gateway:RequestTimeout must be positive (it is -00:00:05).", new GatewayOptions { RequestTimeout = TimeSpan.FromSeconds(-5) } },
        { "Portal:Gateway:ConnectTimeout must be positive (it is 00:00:00).", new GatewayOptions { ConnectTimeout = TimeSpan.Zero } },
        { "Portal:Gateway:HealthSyncInterval must be positive (it is -00:01:00).", new GatewayOptions { HealthSyncInterval = TimeSpan.FromMinutes(-1) } },
        { "Portal:Gateway:SelectorStrategy must name a strategy, such as random or lru.", new GatewayOptions { SelectorStrategy = " " } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_InvalidSetting_FailsWithOneMessageNamingIt(string expected, GatewayOptions options)
    {
        Assert.Equal(expected, Assert.Single(Validator.Validate(null, options).Failures!));
    }
}
