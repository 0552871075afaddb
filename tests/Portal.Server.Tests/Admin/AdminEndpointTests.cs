using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Server.Admin;

namespace Portal.Server.Tests.Admin;

public sealed class AdminEndpointTests
{
    [Fact]
    public async Task MapAdminApi_EveryAdminEndpoint_IsMarkedAdminOnly()
    {
        var (host, _) = await AdminTestKit.StartAsync();
        await using var _h = host;

        var endpoints = host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/admin", StringComparison.Ordinal) == true)
            .ToList();

        Assert.True(endpoints.Count >= 20, $"only {endpoints.Count} admin endpoints");
        Assert.All(endpoints, e => Assert.NotNull(e.Metadata.GetMetadata<AdminOnlyMetadata>()));
        Assert.All(endpoints, e => Assert.False(string.IsNullOrEmpty(e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName)));
        Assert.All(endpoints, e => Assert.Contains("Admin", e.Metadata.GetMetadata<ITagsMetadata>()?.Tags ?? []));
    }

    [Fact]
    public async Task AdminRoute_WithoutAdminToken_IsRefused()
    {
        var (host, _) = await AdminTestKit.StartAsync();
        await using var _h = host;

        using var anonymous = await host.Client.GetAsync("admin/platforms");
        using var wrong = await host.CreateClient("not-the-token").GetAsync("admin/platforms");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_DescribesTheAdminEndpoints()
    {
        var (host, admin) = await AdminTestKit.StartAsync();
        await using var _h = host;

        var text = await admin.GetStringAsync("openapi/v1.json");

        foreach (var operation in new[] { "AdminListPlatforms", "AdminCreateKey", "AdminUpdateModel", "AdminListHealth", "AdminResetHealth", "AdminQueryStats", "AdminStatsSummary" })
        {
            Assert.Contains($"\"{operation}\"", text);
        }

        Assert.Contains("/admin/platforms/{id}", text);
        Assert.Contains("maskedValue", text);
    }
}
