using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Portal.Server.Hosting;
using Portal.Server.Tests.Infrastructure;
using static Portal.Server.Tests.Infrastructure.ServerTestData;

namespace Portal.Server.Tests.Hosting;

public sealed class BadRequestLogFloorTests
{
    private const string ClientToken = "client-token-bad-request-0123456789";

    // Kestrel quotes the header line of these in its bad-request record (a CR inside a value, a space before the colon).
    [Theory]
    [InlineData("Logging:LogLevel:Microsoft.AspNetCore", "Authorization: Bearer {0}\rtail")]
    [InlineData("Logging:LogLevel:Microsoft.AspNetCore", "Authorization : Bearer {0}")]
    [InlineData("Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel", "Authorization: Bearer {0}\rtail")]
    [InlineData("Logging:Fake:LogLevel:Microsoft.AspNetCore", "Authorization: Bearer {0}\rtail")]
    public async Task MalformedAuthorizationHeader_KestrelLoweredToDebug_TokenNotLogged(string setting, string headerLine)
    {
        await using var host = await GatewayHost.StartAsync(o =>
        {
            o.PortalJson = MockConfig();
            o.ClientTokens.Add(ClientToken);
            o.ConfiguredLogFilters = true;

            // The shipped appsettings.json's levels, then the one lowered.
            o.Settings["Logging:LogLevel:Default"] = "Warning";
            o.Settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning";
            o.Settings[setting] = "Debug";
        });

        // Sent raw: HttpClient refuses malformed headers.
        using var response = await RawHttp.SendAsync(host, "GET", "/v1/models", string.Format(CultureInfo.InvariantCulture, headerLine, ClientToken));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await host.StopAsync();

        var records = host.Logs.GetSnapshot();

        // The lowered level took effect: Kestrel's own Debug records are there, so the check below can fail.
        Assert.Contains(records, r => r.Level == LogLevel.Debug && r.Category?.StartsWith("Microsoft.AspNetCore.Server.Kestrel", StringComparison.Ordinal) == true);
        foreach (var record in records)
        {
            var text = record.Message + " " + string.Join(" ", record.StructuredState?.Select(kv => kv.Value) ?? []) + " " + record.Exception;
            Assert.DoesNotContain(ClientToken, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null, "Microsoft.AspNetCore", LogLevel.Debug, LogLevel.Information)]
    [InlineData(null, "Microsoft", LogLevel.Trace, LogLevel.Information)]
    [InlineData(null, null, LogLevel.Trace, LogLevel.Information)]
    [InlineData(null, BadRequestLogFloor.Category, LogLevel.Debug, LogLevel.Information)]
    [InlineData(null, "Microsoft.AspNetCore.Server.Kestrel.Bad*", LogLevel.Debug, LogLevel.Information)]
    [InlineData(null, "Microsoft.AspNetCore.Server.Kestrel.BadRequests*", LogLevel.Debug, LogLevel.Information)]
    [InlineData(null, "Microsoft.AspNetCore.Server.*Kestrel.BadRequests", LogLevel.Debug, LogLevel.Information)]
    [InlineData("Fake", "Microsoft.AspNetCore", LogLevel.Debug, LogLevel.Information)]
    [InlineData("Microsoft.Extensions.Logging.Testing.FakeLoggerProvider", "Microsoft.AspNetCore", LogLevel.Trace, LogLevel.Information)]
    [InlineData(null, "Microsoft.AspNetCore", LogLevel.Warning, LogLevel.Warning)]
    [InlineData("Fake", BadRequestLogFloor.Category, LogLevel.Error, LogLevel.Error)]
    [InlineData(null, "Microsoft.AspNetCore", LogLevel.None, LogLevel.None)]
    public void Apply_RuleLoweringOrRaisingTheCategory_KeepsItAtInformationOrAbove(string? provider, string? category, LogLevel level, LogLevel expected)
    {
        var options = new LoggerFilterOptions { MinLevel = LogLevel.Trace };
        options.Rules.Add(new LoggerFilterRule(null, "Default", LogLevel.Trace, null));
        options.Rules.Add(new LoggerFilterRule(provider, category, level, null));

        BadRequestLogFloor.Apply(options);

        Assert.Equal(expected, LowestEnabledLevel(options, BadRequestLogFloor.Category));
    }

    [Fact]
    public void Apply_NoRulesAndTraceMinimum_RaisesOnlyThisCategory()
    {
        var options = new LoggerFilterOptions { MinLevel = LogLevel.Trace };

        BadRequestLogFloor.Apply(options);

        Assert.Equal(LogLevel.Information, LowestEnabledLevel(options, BadRequestLogFloor.Category));
        Assert.Equal(LogLevel.Trace, LowestEnabledLevel(options, "Microsoft.AspNetCore.Server.Kestrel"));
        Assert.Equal(LogLevel.Trace, LowestEnabledLevel(options, "Microsoft.AspNetCore.Server.Kestrel.Connections"));
    }

    [Fact]
    public void Apply_FilterFunctionRule_IsOverriddenForThisCategoryOnly()
    {
        var options = new LoggerFilterOptions { MinLevel = LogLevel.Warning };
        options.Rules.Add(new LoggerFilterRule(null, "Microsoft", null, (_, _, _) => true));

        BadRequestLogFloor.Apply(options);

        Assert.Equal(LogLevel.Information, LowestEnabledLevel(options, BadRequestLogFloor.Category));
        Assert.Equal(LogLevel.Trace, LowestEnabledLevel(options, "Microsoft.AspNetCore.Routing"));
    }

    /// <summary>The lowest level a logger of <paramref name="category"/> writes through the fake provider, as the real factory decides it.</summary>
    private static LogLevel LowestEnabledLevel(LoggerFilterOptions options, string category)
    {
        using var provider = new FakeLoggerProvider();
        using var factory = new LoggerFactory([provider], options);
        var logger = factory.CreateLogger(category);
        for (var level = LogLevel.Trace; level < LogLevel.None; level++)
        {
            if (logger.IsEnabled(level))
            {
                return level;
            }
        }

        return LogLevel.None;
    }
}
