using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;
using Compiled.Runtime.Sequences;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

public class SequenceTests
{
    [Test]
    public void UntilEndsPendingSequenceOfItsKey()
    {
        var rules = Rule("sequence by host.id [process where event.type == \"start\"] [network where true] until [process where event.type == \"end\"]");

        var stopped = Scan.Run(rules, [Event(0, "process", "h1"), Event(1, "process", "h1", type: "end"), Event(2, "network", "h1")]);
        var otherKey = Scan.Run(rules, [Event(0, "process", "h1"), Event(1, "process", "h2", type: "end"), Event(2, "network", "h1")]);

        Assert.That(stopped.Sequences, Is.Empty);
        Assert.That(otherKey.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void RunsRepeatsStage()
    {
        var rules = Rule("sequence by host.id [process where true] with runs=3 [network where true]");

        var two = Scan.Run(rules, [Event(0, "process", "h1"), Event(1, "process", "h1"), Event(2, "network", "h1")]);
        var three = Scan.Run(rules, [Event(0, "process", "h1"), Event(1, "process", "h1"), Event(2, "process", "h1"), Event(3, "network", "h1")]);

        Assert.That(two.Sequences, Is.Empty);
        Assert.That(three.Sequences, Has.Count.EqualTo(1));
        Assert.That(three.Sequences[0].Events, Has.Length.EqualTo(4));
    }

    [Test]
    public void MultiValuedJoinKeyJoinsOnAnyValue()
    {
        var rules = Rule("sequence by host.id [process where true] [network where true]");
        string first = """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"host":{"id":["a","b"]}}""";

        var sink = Scan.Run(rules, [first, Event(1, "network", "b")]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [TestCase("1", "\"1\"")]
    [TestCase("1", "1.0")]
    [TestCase("\"abc\"", "\"abc\"")]
    public void NumberAndItsTextJoin(string first, string second)
    {
        var rules = Rule("sequence by host.id [process where true] [network where true]");
        string process = $$$"""{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"host":{"id":{{{first}}}}}""";
        string network = $$$"""{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"network"},"host":{"id":{{{second}}}}}""";

        var sink = Scan.Run(rules, [process, network]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void ManyMultiValuedKeysStayBounded()
    {
        var rules = Rule("sequence by k0, k1, k2, k3 [process where true] [network where true]");
        string values = "[" + string.Join(",", Enumerable.Range(0, 100).Select(i => $"\"v{i}\"")) + "]";
        string keys = $"\"k0\":{values},\"k1\":{values},\"k2\":{values},\"k3\":{values}";
        string process = "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"}," + keys + "}";
        string network = "{\"@timestamp\":\"2026-01-01T00:00:01Z\",\"event\":{\"category\":\"network\"}," + keys + "}";

        var sink = Scan.Run(rules, [process, network]);

        Assert.That(sink.Sequences, Has.Count.InRange(1, Compiled.Runtime.Matching.Eql.MaxCombinations));
    }

    [Test]
    public void MissingJoinKeyExcludesEventUnlessOptional()
    {
        string process = """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"}}""";
        string network = """{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"network"}}""";

        var required = Scan.Run(Rule("sequence by host.id [process where true] [network where true]"), [process, network]);
        var optional = Scan.Run(Rule("sequence by ?host.id [process where true] [network where true]"), [process, network]);

        Assert.That(required.Sequences, Is.Empty);
        Assert.That(optional.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void StageKeysMayNameDifferentFields()
    {
        var rules = Rule("sequence [process where true] by process.pid [process where true] by process.parent.pid");
        string parent = """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"process":{"pid":10,"parent":{"pid":1}}}""";
        string child = """{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"process"},"process":{"pid":11,"parent":{"pid":10}}}""";

        var sink = Scan.Run(rules, [parent, child]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void MissingEventBetweenStagesRejects()
    {
        var rules = Rule("sequence by host.id with maxspan=1m [process where true] ![file where true] [network where true]");

        var clean = Scan.Run(rules, [Event(0, "process", "h1"), Event(10, "network", "h1")]);
        var interrupted = Scan.Run(rules, [Event(0, "process", "h1"), Event(5, "file", "h1"), Event(10, "network", "h1")]);
        var otherKey = Scan.Run(rules, [Event(0, "process", "h1"), Event(5, "file", "h2"), Event(10, "network", "h1")]);

        Assert.That(clean.Sequences, Has.Count.EqualTo(1));
        Assert.That(interrupted.Sequences, Is.Empty);
        Assert.That(otherKey.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void TrailingMissingEventWaitsForMaxspan()
    {
        var rules = Rule("sequence by host.id with maxspan=30s [process where true] ![network where true]");

        var followed = Scan.Run(rules, [Event(0, "process", "h1"), Event(20, "network", "h1")]);
        var tooLate = Scan.Run(rules, [Event(0, "process", "h1"), Event(40, "network", "h1")]);
        var alone = Scan.Run(rules, [Event(0, "process", "h1")]);

        Assert.That(followed.Sequences, Is.Empty);
        Assert.That(tooLate.Sequences, Has.Count.EqualTo(1));
        Assert.That(alone.Sequences, Has.Count.EqualTo(1), "the end of the input reports the held sequence");
        Assert.That(rules.Rules.Single().MissingStages, Is.EqualTo(new[] { false, true }));
    }

    [Test]
    public void HeldSequenceIsReportedWhenTimePasses()
    {
        var rules = Rule("sequence by host.id with maxspan=30s [process where true] ![network where true]");
        var sink = new RecordingSink();
        var engine = new Compiled.Runtime.Hosting.ScanEngine(rules, sink);
        string lines = Event(0, "process", "h1") + "\n" + Event(45, "file", "h9") + "\n";

        engine.Scan(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(lines)), "test");

        Assert.That(sink.Sequences, Has.Count.EqualTo(1), "an event after the window closes the window without waiting for the end");
    }

    [Test]
    public void LeadingMissingEventRejectsWithinMaxspan()
    {
        var rules = Rule("sequence by host.id with maxspan=30s ![file where true] [process where true] [network where true]");

        var preceded = Scan.Run(rules, [Event(0, "file", "h1"), Event(10, "process", "h1"), Event(20, "network", "h1")]);
        var longBefore = Scan.Run(rules, [Event(0, "file", "h1"), Event(40, "process", "h1"), Event(50, "network", "h1")]);

        Assert.That(preceded.Sequences, Is.Empty);
        Assert.That(longBefore.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void PendingSequencesExpireAfterMaxspan()
    {
        var matcher = new SequenceMatcher(2, maxspanNanoseconds: 1_000_000_000);
        var schema = FieldSchema.Create(["host.id"]);
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);
        var keys = new JoinKeys([schema.Slot("host.id")], [false]);
        var rule = new EmptyRule();
        for (int i = 0; i < 100; i++)
        {
            decoder.Decode(System.Text.Encoding.UTF8.GetBytes("{\"host\":{\"id\":\"h" + i + "\"}}"), record);
            matcher.Advance(0, record, timestamp: i, keys, rule, new RecordingSink());
        }

        Assert.That(matcher.PendingKeyCount, Is.EqualTo(100));
        matcher.Prune(now: 1_000_000_050);
        Assert.That(matcher.PendingKeyCount, Is.EqualTo(50));
        matcher.Prune(now: 2_000_000_000);
        Assert.That(matcher.PendingKeyCount, Is.Zero);
    }

    private static RuleSet Rule(string query) => Scan.CompileRules(("rule.toml", RuleFiles.Eql(query)));

    private static string Event(int seconds, string category, string host, string type = "start") =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = $"2026-01-01T00:00:{seconds:00}Z",
            ["event"] = new { category, type },
            ["host"] = new { id = host },
        });
}
