using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>The <c>max_samples_per_key</c> setting of sample rules, through the real generator and scan engine.</summary>
public class SampleTests
{
    private const string Query = "sample by host.id [process where true] [network where true]";

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 3)]
    [TestCase(10, 3)]
    public void EachKeyGivesUpToMaxSamples(int maxSamplesPerKey, int expected)
    {
        var rules = Scan.CompileRules(("sample.toml", RuleFiles.Eql(Query)));
        rules.Rules.Single().MaxSamplesPerKey = maxSamplesPerKey;

        var sink = Scan.Run(rules, [Event("process", "h1", 1), Event("process", "h1", 2), Event("network", "h1", 3), Event("process", "h1", 4), Event("network", "h2", 5)]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(expected));
        var samples = sink.Sequences.Select(sample => string.Join(",", sample.Events.Select(e => e.GetProperty("id").GetInt32()))).ToList();
        Assert.That(samples, Is.Unique);
        Assert.That(samples, Is.SubsetOf(new[] { "1,3", "2,3", "4,3" }));
    }

    [Test]
    public void SampleWithoutDistinctEventsIsNotReported()
    {
        var rules = Scan.CompileRules(("sample.toml", RuleFiles.Eql("sample by host.id [any where true] [any where true]")));
        rules.Rules.Single().MaxSamplesPerKey = 5;

        var sink = Scan.Run(rules, [Event("process", "h1", 1), Event("process", "h1", 2)]);

        // Two events give two orders, (1, 2) and (2, 1), and no third sample.
        Assert.That(sink.Sequences, Has.Count.EqualTo(2));
    }

    [Test]
    public void MaxSamplesPerKeyMustBePositive()
    {
        var rule = Scan.CompileRules(("sample.toml", RuleFiles.Eql(Query))).Rules.Single();

        Assert.That(() => rule.MaxSamplesPerKey = 0, Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    private static string Event(string category, string host, int id) =>
        $$$"""{"@timestamp":"2026-01-01T00:00:0{{{id}}}Z","event":{"category":"{{{category}}}"},"host":{"id":"{{{host}}}"},"id":{{{id}}}}""";
}
