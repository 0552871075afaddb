using Portal.Server.Auth;

namespace Portal.Server.Tests.Auth;

/// <summary>Which paths and route patterns address the admin API.</summary>
public sealed class AdminPathsTests
{
    [Theory]
    [InlineData("/admin", true)]
    [InlineData("/admin/platforms/{id}", true)]
    [InlineData("admin/platforms/{id}", true)] // A route pattern's raw text, which may lack the leading slash.
    [InlineData("ADMIN./probe", true)]
    [InlineData("/v1/../admin/probe", true)]
    [InlineData("v1/..%2Fadmin", true)]
    [InlineData("/v1/chat/completions", false)]
    [InlineData("v1/chat/completions", false)]
    [InlineData("/administrator", false)]
    [InlineData("/", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsAdmin_PathOrRoutePattern_FirstSegmentDecides(string? path, bool admin) =>
        Assert.Equal(admin, AdminPaths.IsAdmin(path));
}
