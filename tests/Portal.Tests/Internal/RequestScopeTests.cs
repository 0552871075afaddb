using Portal.Internal;

namespace Portal.Tests.Internal;

public sealed class RequestScopeTests
{
    [Fact]
    public void NewRequestId_IsAVersion7GuidOfNow()
    {
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = RequestScope.NewRequestId();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(7, Guid.ParseExact(id, "N").Version);
        Assert.InRange(TimeOrderedIdTests.MillisecondsOf(id), before, after);
    }
}
