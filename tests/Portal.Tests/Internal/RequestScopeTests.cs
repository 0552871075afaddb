using System.Globalization;
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

        Assert.Matches("^[0-9a-f]{32}$", id);
        var guid = Guid.ParseExact(id, "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2);
        var milliseconds = long.Parse(id[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.InRange(milliseconds, before, after);
    }

    [Fact]
    public void NewRequestId_ManyInARow_UniqueAndInTimeOrder()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => RequestScope.NewRequestId()).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        var times = ids.Select(id => id[..12]).ToList();
        Assert.Equal(times.Order(StringComparer.Ordinal), times);
    }
}
