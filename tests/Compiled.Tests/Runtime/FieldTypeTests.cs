using Compiled.Runtime.Matching;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Field types declared in <c>[[rule.required_fields]]</c>: <c>version</c> fields order as software versions
/// and <c>date</c> join keys join by instant, both through the real generator and scan engine.
/// </summary>
public class FieldTypeTests
{
    private const string VersionField = """
        [[rule.required_fields]]
        name = "package.version"
        type = "version"
        """;

    [Test]
    public void VersionsSortAsElasticsearchEncodesThem()
    {
        string[] ascending =
        [
            "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0", "1.0.0+build.1", "1.2", "1.2.0", "1.5.0", "1.11.3", "2", "10.0.0", "",
            "01.0", "1.0.0-", "bad",
        ];

        for (int i = 0; i < ascending.Length; i++)
        {
            for (int j = 0; j < ascending.Length; j++)
            {
                int order = Math.Sign(VersionOrder.Compare(ascending[i], ascending[j]));
                Assert.That(order, Is.EqualTo(Math.Sign(i.CompareTo(j))), $"'{ascending[i]}' against '{ascending[j]}'");
            }
        }
    }

    [Test]
    public void EncodedLiteralOrdersLikeText()
    {
        byte[] literal = VersionOrder.Encode("1.5.0");

        Assert.That(VersionOrder.Compare("1.11.3", literal), Is.GreaterThan(0));
        Assert.That(VersionOrder.Compare("1.2.4-SNAPSHOT", literal), Is.LessThan(0));
        Assert.That(VersionOrder.Compare("1.5.0", literal), Is.Zero);
        Assert.That(VersionOrder.Compare(new string('9', 300), literal), Is.GreaterThan(0), "a long run of digits");
    }

    [Test]
    public void VersionFieldComparesByVersionOrder()
    {
        string[] events = [Package("1.11.3"), Package("1.2.4"), Package("bad"), Package("1.5.0")];
        const string query = "package where package.version > \"1.5.0\"";

        var typed = Scan.Run(Scan.CompileRules(("typed.toml", RuleFiles.Eql(query) + "\n" + VersionField)), events);
        var untyped = Scan.Run(Scan.CompileRules(("untyped.toml", RuleFiles.Eql(query))), events);

        Assert.That(typed.Events.Select(e => e.Event.GetProperty("package").GetProperty("version").GetString()), Is.EqualTo(new[] { "1.11.3", "bad" }));
        Assert.That(untyped.Events.Select(e => e.Event.GetProperty("package").GetProperty("version").GetString()), Is.EqualTo(new[] { "bad" }));
    }

    [Test]
    public void VersionFieldEqualityStaysExact()
    {
        string[] events = [Package("1.2.4"), Package("1.2.4-SNAPSHOT"), Package("bad")];

        var sink = Scan.Run(Scan.CompileRules(("typed.toml", RuleFiles.Eql("package where package.version in (\"1.2.4\", \"bad\")") + "\n" + VersionField)), events);

        Assert.That(sink.Events, Has.Count.EqualTo(2));
    }

    [Test]
    public void DateJoinKeysJoinByInstant()
    {
        const string dateField = """
            [[rule.required_fields]]
            name = "day"
            type = "date"
            """;
        const string query = "sample by day [process where true] [network where true]";
        string process = """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"day":"2022-12-17"}""";
        string network = """{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"network"},"day":"1671235200000"}""";

        var typed = Scan.Run(Scan.CompileRules(("typed.toml", RuleFiles.Eql(query) + "\n" + dateField)), [process, network]);
        var untyped = Scan.Run(Scan.CompileRules(("untyped.toml", RuleFiles.Eql(query))), [process, network]);

        Assert.That(typed.Sequences, Has.Count.EqualTo(1));
        Assert.That(untyped.Sequences, Is.Empty);
    }

    [TestCase("@timestamp == 1768608045000", new[] { 0, 1, 2, 3 })]
    [TestCase("@timestamp != 1768608045000", new[] { 4, 5 })]
    [TestCase("@timestamp < 1768608045000", new[] { 5 })]
    [TestCase("@timestamp <= 1768608045000", new[] { 0, 1, 2, 3, 5 })]
    [TestCase("@timestamp > 1768608045000", new[] { 4 })]
    [TestCase("1768608045000 == @timestamp", new[] { 0, 1, 2, 3 })]
    public void DateFieldReadsIntegerAsEpochMilliseconds(string condition, int[] expected)
    {
        // The same instant written as ISO text, a number, digits in a string and ISO text with a fraction of the
        // millisecond, then one millisecond later and one second earlier.
        string[] times = ["\"2026-01-17T00:00:45Z\"", "1768608045000", "\"1768608045000\"", "\"2026-01-17T00:00:45.000500Z\"", "\"2026-01-17T00:00:45.001Z\"", "\"2026-01-17T00:00:44Z\""];
        var rules = Scan.CompileRules(("date.toml", RuleFiles.Eql($"process where {condition}")));

        var sink = Scan.Run(rules, times.Select((time, line) => $$$"""{"@timestamp":{{{time}}},"event":{"category":"process"},"line":{{{line}}}}"""));

        Assert.That(sink.Events.Select(match => match.Event.GetProperty("line").GetInt32()), Is.EquivalentTo(expected));
    }

    private static string Package(string version) =>
        $$$"""{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"package"},"package":{"version":"{{{version}}}"}}""";
}
