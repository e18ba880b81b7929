using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// EQL <c>==</c>, <c>!=</c> and <c>in</c> on fields that ECS maps as <c>ip</c>, compiled by the real generator
/// and run by the scan engine. Elasticsearch runs them as term queries on the <c>ip</c> field, which compare
/// addresses, so every spelling of one address matches, and an IPv4 address equals its IPv4-mapped IPv6 form.
/// </summary>
public class IpComparisonTests
{
    private const string Timestamp = "\"@timestamp\":\"2024-01-02T03:04:05.678Z\"";

    private static bool Matches(string query, string eventFields, string after = "")
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql(query) + after));
        var sink = Scan.Run(rules, ["{" + Timestamp + ",\"event\":{\"category\":[\"network\"]}," + eventFields + "}"]);
        return sink.Events.Count == 1;
    }

    private static string Destination(string value) => "\"destination\":{\"ip\":" + value + "}";

    [TestCase("\"2001:db8::1\"", true)]
    [TestCase("\"2001:DB8::1\"", true)]
    [TestCase("\"2001:db8:0:0:0:0:0:1\"", true)]
    [TestCase("\"2001:0db8::0001\"", true)]
    [TestCase("\"2001:db8::2\"", false)]
    [TestCase("[\"10.0.0.1\", \"2001:db8:0::1\"]", true)]
    public void EqualMatchesEverySpellingOfIPv6(string value, bool expected)
    {
        Assert.That(Matches("network where destination.ip == \"2001:db8::1\"", Destination(value)), Is.EqualTo(expected));
    }

    [TestCase("\"10.0.0.1\"", true)]
    [TestCase("\"::ffff:10.0.0.1\"", true)]
    [TestCase("\"::FFFF:a00:1\"", true)]
    [TestCase("\"10.0.0.2\"", false)]
    public void EqualMatchesIPv4MappedIPv6(string value, bool expected)
    {
        Assert.That(Matches("network where destination.ip == \"10.0.0.1\"", Destination(value)), Is.EqualTo(expected));
    }

    [Test]
    public void EqualWithMappedLiteralMatchesIPv4()
    {
        Assert.That(Matches("network where \"::ffff:10.0.0.1\" == destination.ip", Destination("\"10.0.0.1\"")), Is.True);
    }

    [Test]
    public void EqualWithCidrLiteralMatchesBlock()
    {
        Assert.That(Matches("network where destination.ip == \"10.0.0.0/8\"", Destination("\"10.9.8.7\"")), Is.True);
        Assert.That(Matches("network where destination.ip == \"10.0.0.0/8\"", Destination("\"11.0.0.1\"")), Is.False);
    }

    [TestCase("\"127.0.0.1\"", false)]
    [TestCase("\"::ffff:127.0.0.1\"", false)]
    [TestCase("\"::1\"", false)]
    [TestCase("\"0:0:0:0:0:0:0:1\"", false)]
    [TestCase("\"0000::0001\"", false)]
    [TestCase("\"10.1.2.3\"", true)]
    [TestCase("[\"10.1.2.3\", \"::1\"]", false)]
    public void NotEqualExcludesEverySpelling(string value, bool expected)
    {
        string query = "network where destination.ip != \"127.0.0.1\" and destination.ip != \"::1\"";

        Assert.That(Matches(query, Destination(value)), Is.EqualTo(expected));
    }

    [TestCase("\"2001:DB8::1\"", true)]
    [TestCase("\"::ffff:10.0.0.1\"", true)]
    [TestCase("\"10.0.0.1\"", true)]
    [TestCase("\"10.0.0.2\"", false)]
    public void InMatchesByAddress(string value, bool expected)
    {
        Assert.That(Matches("network where destination.ip in (\"2001:db8::1\", \"10.0.0.1\")", Destination(value)), Is.EqualTo(expected));
    }

    [TestCase("\"2001:DB8::1\"", true)]
    [TestCase("\"::ffff:10.0.0.1\"", true)]
    public void CaseInsensitiveInMatchesByAddress(string value, bool expected)
    {
        Assert.That(Matches("network where destination.ip in~ (\"2001:db8::1\", \"10.0.0.1\")", Destination(value)), Is.EqualTo(expected));
    }

    [TestCase("\"::ffff:10.0.0.1\"", false)]
    [TestCase("\"2001:DB8::1\"", false)]
    [TestCase("\"10.0.0.2\"", true)]
    public void NotInExcludesByAddress(string value, bool expected)
    {
        Assert.That(Matches("network where destination.ip not in (\"2001:db8::1\", \"10.0.0.1\")", Destination(value)), Is.EqualTo(expected));
    }

    [Test]
    public void NonAddressValueNeverEquals()
    {
        Assert.That(Matches("network where destination.ip == \"10.0.0.1\"", Destination("\"not-an-address\"")), Is.False);
        Assert.That(Matches("network where destination.ip == \"10.0.0.1\"", Destination("\"10.0.0.1 \"")), Is.False);
        Assert.That(Matches("network where destination.ip in (\"10.0.0.1\", \"::1\")", Destination("\"localhost\"")), Is.False);
    }

    [Test]
    public void NotEqualTreatsNonAddressAsMissing()
    {
        // Elasticsearch's ip field does not index such a value, so != compares a missing field, which gives null.
        Assert.That(Matches("network where destination.ip != \"10.0.0.1\"", Destination("\"not-an-address\"")), Is.False);
        Assert.That(Matches("network where destination.ip != \"10.0.0.1\"", Destination("[\"not-an-address\", \"10.0.0.2\"]")), Is.True);
    }

    [Test]
    public void MissingFieldKeepsNullForNotEqual()
    {
        Assert.That(Matches("network where destination.ip != \"10.0.0.1\"", "\"source\":{\"ip\":\"10.0.0.2\"}"), Is.False);
    }

    [Test]
    public void RequiredFieldOfIpTypeComparesByAddress()
    {
        string requiredFields = "\n[[rule.required_fields]]\nname = \"custom.address\"\ntype = \"ip\"\n";

        Assert.That(Matches("network where custom.address == \"::1\"", "\"custom\":{\"address\":\"0:0:0:0:0:0:0:1\"}", requiredFields), Is.True);
    }

    [TestCase("network where destination.ip == \"localhost\"", "localhost")]
    [TestCase("network where destination.ip != \"10.0.0.300\"", "10.0.0.300")]
    [TestCase("network where destination.ip in (\"::1\", \"10.0.0.*\")", "10.0.0.*")]
    public void InvalidLiteralIsCompileError(string query, string literal)
    {
        var output = GeneratorHarness.RunWithEcs("rule.toml", RuleFiles.Eql(query));

        var invalid = output.GeneratorDiagnostics.Where(diagnostic => diagnostic.Id == "CMP014").ToList();
        Assert.That(invalid, Has.Count.EqualTo(1), string.Join("; ", output.GeneratorDiagnostics));
        Assert.That(invalid[0].GetMessage(), Does.StartWith("'" + literal + "' is not a valid IPv4 or IPv6 address"));
        Assert.That(output.Sources.Keys, Is.EquivalentTo(new[] { "RuleCatalog.g.cs" }));
    }

    [Test]
    public void KeywordFieldStillComparesText()
    {
        Assert.That(Matches("network where destination.domain == \"::1\"", "\"destination\":{\"domain\":\"0:0:0:0:0:0:0:1\"}"), Is.False);
    }
}
