using Compiled.Runtime.Events;
using Compiled.Runtime.Matching;

namespace Compiled.Tests.Runtime;

public class MatchingTests
{
    [TestCase("10.1.2.3", true)]
    [TestCase("10.255.255.255", true)]
    [TestCase("11.0.0.0", false)]
    [TestCase("::ffff:10.1.2.3", true)]
    [TestCase("fe80::1", true)]
    [TestCase("FE80::abcd:1", true)]
    [TestCase("fe80::1%en0", true)]
    [TestCase("fec0::1", false)]
    [TestCase("::1", true)]
    [TestCase("::2", false)]
    [TestCase("2001:db8::1", false)]
    public void CidrSetContains(string address, bool expected)
    {
        var blocks = new CidrSet("10.0.0.0/8", "FE80::/10", "::1");

        Assert.That(IPAddressBits.TryParse(address, out var bits, out _), Is.True);
        Assert.That(blocks.Contains(bits), Is.EqualTo(expected));
    }

    [Test]
    public void CidrHostBitsMayBeSet()
    {
        var blocks = new CidrSet("10.6.48.157/8");

        Assert.That(IPAddressBits.TryParse("10.0.0.1", out var bits, out _) && blocks.Contains(bits), Is.True);
    }

    [TestCase("1.2.3")]
    [TestCase("1.2.3.256")]
    [TestCase("1.2.3.4.5")]
    [TestCase("::1::2")]
    [TestCase("12345::")]
    [TestCase("1:2:3:4:5:6:7:8:9")]
    [TestCase("not an ip")]
    [TestCase("")]
    public void InvalidAddressesAreRejected(string text)
    {
        Assert.That(IPAddressBits.TryParse(text, out _, out _), Is.False);
    }

    [TestCase("1:2:3:4:5:6:7:8")]
    [TestCase("::ffff:1.2.3.4")]
    [TestCase("1::")]
    [TestCase("::")]
    public void ValidIPv6Parses(string text)
    {
        Assert.That(IPAddressBits.TryParse(text, out var bits, out _), Is.True);
        Assert.That(bits, Is.EqualTo(UInt128.Parse(System.Net.IPAddress.Parse(text).GetAddressBytes().Aggregate("0", (hex, b) => hex + b.ToString("x2")), System.Globalization.NumberStyles.HexNumber)));
    }

    [TestCase("*.exe", "cmd.exe", false, true)]
    [TestCase("*.exe", "CMD.EXE", false, false)]
    [TestCase("*.exe", "CMD.EXE", true, true)]
    [TestCase("c?d.exe", "cmd.exe", false, true)]
    [TestCase("c?d.exe", "cmmd.exe", false, false)]
    [TestCase("*%*", "a%b", false, true)]
    [TestCase("*a*b*c*", "xxaxxbxxcxx", false, true)]
    [TestCase("*a*b*c*", "xxaxxcxxbxx", false, false)]
    [TestCase("abc", "abcd", false, false)]
    [TestCase("", "", false, true)]
    [TestCase("*", "", false, true)]
    [TestCase("\U00010400?", "\U00010400x", true, true)]
    [TestCase("a\U00010400?", "A\U00010400X", true, true)]
    [TestCase("?\U00010400", "x\U00010400", true, true)]
    public void WildcardPatternIsAnchored(string pattern, string value, bool ignoreCase, bool expected)
    {
        Assert.That(new WildcardPattern(pattern, ignoreCase).IsMatch(value), Is.EqualTo(expected));
    }

    [Test]
    public void WildcardPatternHasNoCatastrophicBacktracking()
    {
        var pattern = new WildcardPattern(string.Concat(Enumerable.Repeat("*a", 30)) + "b", ignoreCase: false);

        Assert.That(pattern.IsMatch(new string('a', 5000)), Is.False);
    }

    [TestCase("2021-01-14T10:35:50.520708Z", 1610620550520708000L)]
    [TestCase("2021-01-14T10:35:50Z", 1610620550000000000L)]
    [TestCase("2021-01-14T12:35:50+02:00", 1610620550000000000L)]
    [TestCase("2021-01-14T10:35:50.5", 1610620550500000000L)]
    [TestCase("2021-01-14", 1610582400000000000L)]
    [TestCase("1970-01-01T00:00:00.000000001Z", 1L)]
    public void Iso8601Parses(string text, long expected)
    {
        Assert.That(Timestamps.TryParseIso8601(text, out long nanoseconds), Is.True);
        Assert.That(nanoseconds, Is.EqualTo(expected));
    }

    [TestCase("1", 1_000_000L)]
    [TestCase("1651665600000", 1651665600000_000_000L)]
    [TestCase("-1000", -1_000_000_000L)]
    [TestCase("2021-01-14", 1610582400000000000L)]
    [TestCase("2021", 1609459200000000000L)]
    public void DateStringsParseAsElasticsearchDefaultFormat(string text, long expected)
    {
        Assert.That(Timestamps.TryParse(text, out long nanoseconds), Is.True);
        Assert.That(nanoseconds, Is.EqualTo(expected));
    }

    [TestCase("2021-02-30T00:00:00Z")]
    [TestCase("2021-01-14T25:00:00Z")]
    [TestCase("yesterday")]
    [TestCase("2021-01-14T10:35:50Zjunk")]
    [TestCase("2021-01-14T10:35:50.Z")]
    public void InvalidTimestampsAreRejected(string text)
    {
        Assert.That(Timestamps.TryParseIso8601(text, out _), Is.False);
    }
}
