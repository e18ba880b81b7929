using System.Text;
using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>max_signals windows, building-block flags, sequence fields and alert ids of <see cref="AlertWriter"/>.</summary>
public class AlertLimitTests
{
    [Test]
    public void MaxSignalsCapsEachInterval()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where true", extra: "max_signals = 3\ninterval = \"1m\"")));

        // Five matches in the minute from 10:00, two in the next, one in the one after.
        var seconds = new[] { 0, 10, 20, 30, 59, 60, 119, 120 };
        var (writer, output) = Write(rules, seconds.Select(s => Event(s)));
        var times = Alerts(output).Select(alert => alert.GetProperty("@timestamp").GetString()).ToList();

        Assert.That(times, Is.EqualTo(new[]
        {
            "2026-01-01T10:00:00.000Z", "2026-01-01T10:00:10.000Z", "2026-01-01T10:00:20.000Z",
            "2026-01-01T10:01:00.000Z", "2026-01-01T10:01:59.000Z", "2026-01-01T10:02:00.000Z",
        }));
        Assert.That(writer.MaxSignalsDropped, Is.EqualTo(2));
        Assert.That(writer.RuleCounts[rules.Rules[0]].MaxSignalsDropped, Is.EqualTo(2));
        Assert.That(writer.RuleCounts[rules.Rules[0]].Alerts, Is.EqualTo(6));
    }

    [Test]
    public void MaxSignalsOffWritesAll()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where true", extra: "max_signals = 1")));
        var output = new MemoryStream();
        var writer = new AlertWriter(output) { ApplyMaxSignals = false };
        var engine = new ScanEngine(rules, writer);

        engine.Scan(Input(Event(0), Event(1), Event(2)), "test.ndjson");

        Assert.That(writer.TotalAlerts, Is.EqualTo(3));
        Assert.That(writer.MaxSignalsDropped, Is.Zero);
    }

    [Test]
    public void SequenceCountsOnceAgainstMaxSignals()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql(
            "sequence by host.id [process where true] [network where true]", extra: "max_signals = 1")));
        var events = new[]
        {
            Event(0, host: "a"), Event(1, "network", host: "a"),
            Event(2, host: "b"), Event(3, "network", host: "b"),
        };

        var (writer, output) = Write(rules, events);
        var alerts = Alerts(output);

        Assert.That(alerts, Has.Count.EqualTo(3));
        Assert.That(alerts.Select(a => a.GetProperty("host").GetProperty("id").GetString()), Is.All.EqualTo("a"));
        Assert.That(writer.MaxSignalsDropped, Is.EqualTo(1));
        Assert.That(writer.RuleCounts[rules.Rules[0]].BuildingBlockAlerts, Is.EqualTo(2));
    }

    [Test]
    public void BuildingBlockRuleFlagsEveryAlert()
    {
        var rules = Scan.CompileRules(
            ("block.toml", RuleFiles.Eql("process where true", name: "Block", ruleId: "1c2d3e4f-0000-4000-8000-0000000000d1", extra: "building_block_type = \"default\"")),
            ("plain.toml", RuleFiles.Eql("process where true", name: "Plain", ruleId: "1c2d3e4f-0000-4000-8000-0000000000d2")));

        var (writer, output) = Write(rules, [Event(0)]);
        var alerts = Alerts(output).ToDictionary(a => a.GetProperty("kibana.alert.rule.name").GetString()!);

        Assert.That(alerts["Block"].GetProperty("kibana.alert.building_block_type").GetString(), Is.EqualTo("default"));
        Assert.That(alerts["Plain"].TryGetProperty("kibana.alert.building_block_type", out _), Is.False);
        var block = rules.Rules.Single(rule => rule.Descriptor.Name == "Block");
        Assert.That(writer.RuleCounts[block].BuildingBlockAlerts, Is.EqualTo(1));
    }

    [Test]
    public void SequenceAlertKeepsSharedFields()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("sequence by host.id [process where true] [network where true]")));
        string first = """{"@timestamp":"2026-01-01T10:00:00Z","event":{"category":"process","kind":"event"},"host":{"id":"h1","name":"web-1","ip":["10.0.0.1"]},"user":{"name":"root"},"port":443}""";
        string second = """{"@timestamp":"2026-01-01T10:00:01Z","event":{"category":"network","kind":"event"},"host":{"id":"h1","name":"web-1","ip":["10.0.0.1"]},"user":{"name":"alice"},"port":443.0}""";

        var (_, output) = Write(rules, [first, second]);
        var sequence = Alerts(output)[2];

        Assert.That(sequence.GetProperty("host").GetProperty("id").GetString(), Is.EqualTo("h1"));
        Assert.That(sequence.GetProperty("host").GetProperty("name").GetString(), Is.EqualTo("web-1"));
        Assert.That(sequence.GetProperty("host").TryGetProperty("ip", out _), Is.False, "arrays are not kept");
        Assert.That(sequence.TryGetProperty("user", out _), Is.False, "an object with nothing shared is dropped");
        Assert.That(sequence.GetProperty("port").GetDouble(), Is.EqualTo(443));
        Assert.That(sequence.GetProperty("event").GetProperty("kind").GetString(), Is.EqualTo("signal"));
        Assert.That(sequence.GetProperty("event").TryGetProperty("category", out _), Is.False);
    }

    [Test]
    public void AlertIdsDependOnRuleAndEvent()
    {
        var rules = Scan.CompileRules(
            ("a.toml", RuleFiles.Eql("process where true", name: "A", ruleId: "1c2d3e4f-0000-4000-8000-0000000000e1")),
            ("b.toml", RuleFiles.Eql("process where true", name: "B", ruleId: "1c2d3e4f-0000-4000-8000-0000000000e2")));
        string withId = """{"_id":"doc-1","@timestamp":"2026-01-01T10:00:00Z","event":{"category":"process"}}""";
        string sameIdOtherText = """{"_id":"doc-1","@timestamp":"2026-01-01T10:00:05Z","event":{"category":"process"}}""";

        var (_, first) = Write(rules, [withId, Event(1)]);
        var (_, replay) = Write(Scan.CompileRules(
            ("a.toml", RuleFiles.Eql("process where true", name: "A", ruleId: "1c2d3e4f-0000-4000-8000-0000000000e1")),
            ("b.toml", RuleFiles.Eql("process where true", name: "B", ruleId: "1c2d3e4f-0000-4000-8000-0000000000e2"))), [withId, Event(1)]);
        var (duplicateWriter, duplicate) = Write(rules, [withId, sameIdOtherText]);
        var ids = Alerts(first).Select(a => a.GetProperty("kibana.alert.uuid").GetString()).ToList();

        Assert.That(replay, Is.EqualTo(first));
        Assert.That(ids, Has.Count.EqualTo(4));
        Assert.That(ids.Distinct().Count(), Is.EqualTo(4));
        Assert.That(Alerts(first)[0].GetProperty("kibana.alert.ancestors")[0].GetProperty("id").GetString(), Is.EqualTo("doc-1"));
        Assert.That(Alerts(duplicate), Has.Count.EqualTo(2), "an event with an _id already alerted on is the same document");
        Assert.That(duplicateWriter.DuplicatesSkipped, Is.EqualTo(2));
    }

    [Test]
    public void TableFormatStripsControlCharacters()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where true")));
        string hostile = """{"@timestamp":"2026-01-01T10:00:00Z","event":{"category":"process"},"host.name":"evil\u001b[2J\nhost","process":{"name":"sh","pid":7}}""";
        var output = new MemoryStream();
        var engine = new ScanEngine(rules, new AlertWriter(output, AlertFormat.Table));

        engine.Scan(Input(hostile), "test.ndjson");
        string text = Encoding.UTF8.GetString(output.ToArray());

        Assert.That(text, Does.EndWith("\n"));
        text = text[..^1];
        Assert.That(text.Any(char.IsControl), Is.False, "only the final line feed");
        Assert.That(text, Does.Contain("host=evil [2J host  process=sh(7)"));
    }

    private static (AlertWriter Writer, string Output) Write(Compiled.Runtime.Rules.RuleSet rules, IEnumerable<string> lines)
    {
        var output = new MemoryStream();
        var writer = new AlertWriter(output);
        var engine = new ScanEngine(rules, writer);
        engine.Scan(Input(lines.ToArray()), "test.ndjson");
        engine.Finish();
        return (writer, Encoding.UTF8.GetString(output.ToArray()));
    }

    private static MemoryStream Input(params string[] lines) => new(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));

    private static List<JsonElement> Alerts(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();

    private static string Event(int second, string category = "process", string host = "h") =>
        $$$"""{"@timestamp":"{{{new DateTime(2026, 1, 1, 10, 0, 0).AddSeconds(second):yyyy-MM-ddTHH:mm:ss}}}Z","event":{"category":"{{{category}}}"},"host":{"id":"{{{host}}}"}}""";
}
