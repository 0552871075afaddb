using System.Globalization;
using Portal.Internal;

namespace Portal.Tests.Internal;

public sealed class TimeOrderedIdTests
{
    [Fact]
    public void New_IsAVersion7GuidOfTheGivenTime()
    {
        var time = new DateTimeOffset(2026, 12, 7, 15, 4, 5, 678, TimeSpan.FromHours(1));

        var id = TimeOrderedId.New(time);

        Assert.Matches("^[0-9a-f]{32}$", id);
        var guid = Guid.ParseExact(id, "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(0b10, guid.Variant >> 2);
        Assert.Equal(time.ToUnixTimeMilliseconds(), MillisecondsOf(id));
    }

    [Fact]
    public void New_ManyAtOneTime_Unique()
    {
        var time = DateTimeOffset.UnixEpoch.AddDays(20_000);

        var ids = Enumerable.Range(0, 100_000).Select(_ => TimeOrderedId.New(time)).ToList();

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void New_LaterTime_SortsAfter()
    {
        var time = DateTimeOffset.UnixEpoch.AddDays(20_000);

        var ids = Enumerable.Range(0, 1_000).Select(i => TimeOrderedId.New(time.AddMilliseconds(i))).ToList();

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    internal static long MillisecondsOf(string id) => long.Parse(id[..12], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
