using System.Text.Json;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

public class AlertWriterTests
{
    [Test]
    public void SequenceAlertsLookLikeKibanaAlerts()
    {
        var rules = Scan.CompileSeedRule();
        string samples = File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));

        var (_, output) = Scan.RunToAlerts(rules, samples);
        var alerts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement).ToList();

        Assert.That(alerts, Has.Count.EqualTo(6));
        var first = alerts.Take(3).ToList();
        string groupId = first[0].GetProperty("kibana.alert.group.id").GetString()!;
        Assert.That(first.Select(a => a.GetProperty("kibana.alert.group.id").GetString()), Is.All.EqualTo(groupId));
        Assert.That(alerts[3].GetProperty("kibana.alert.group.id").GetString(), Is.Not.EqualTo(groupId));

        var buildingBlock = first[0];
        Assert.That(buildingBlock.GetProperty("kibana.alert.building_block_type").GetString(), Is.EqualTo("default"));
        Assert.That(buildingBlock.GetProperty("kibana.alert.rule.rule_id").GetString(), Is.EqualTo("99239e7d-b0d4-46e3-8609-acafcf99f68c"));
        Assert.That(buildingBlock.GetProperty("kibana.alert.rule.name").GetString(), Is.EqualTo("macOS Installer Spawns Network Event"));
        Assert.That(buildingBlock.GetProperty("kibana.alert.rule.severity").GetString(), Is.EqualTo("medium"));
        Assert.That(buildingBlock.GetProperty("kibana.alert.risk_score").GetInt32(), Is.EqualTo(47));
        Assert.That(buildingBlock.GetProperty("kibana.alert.original_time").GetString(), Is.EqualTo("2026-03-02T10:00:00.000Z"));
        Assert.That(buildingBlock.GetProperty("@timestamp").GetString(), Is.EqualTo("2026-03-02T10:00:01.000Z"));
        Assert.That(buildingBlock.GetProperty("event").GetProperty("kind").GetString(), Is.EqualTo("signal"));
        Assert.That(buildingBlock.GetProperty("kibana.alert.original_event").GetProperty("kind").GetString(), Is.EqualTo("event"));
        Assert.That(buildingBlock.GetProperty("process").GetProperty("entity_id").GetString(), Is.EqualTo("mac-0001"));

        var threat = buildingBlock.GetProperty("kibana.alert.rule.threat");
        Assert.That(threat.GetArrayLength(), Is.EqualTo(2));
        Assert.That(threat[0].GetProperty("tactic").GetProperty("id").GetString(), Is.EqualTo("TA0002"));
        Assert.That(threat[0].GetProperty("technique")[0].GetProperty("subtechnique")[0].GetProperty("id").GetString(), Is.EqualTo("T1059.007"));

        var sequence = first[2];
        Assert.That(sequence.TryGetProperty("kibana.alert.building_block_type", out _), Is.False);
        Assert.That(sequence.GetProperty("kibana.alert.ancestors").GetArrayLength(), Is.EqualTo(2));
        Assert.That(sequence.GetProperty("kibana.alert.reason").GetString(), Does.StartWith("sequence created medium alert"));
    }

    [Test]
    public void NonObjectEventGetsSignalKind()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where true")));
        string line = """{"@timestamp":"2026-01-01T00:00:00Z","event.category":"process","user":"second","event":"not an object"}""";

        var (summary, output) = Scan.RunToAlerts(rules, line + "\n");
        var alert = JsonDocument.Parse(output).RootElement;

        Assert.That(summary.EventsEvaluated, Is.EqualTo(1));
        Assert.That(alert.GetProperty("user").GetString(), Is.EqualTo("second"));
        Assert.That(alert.EnumerateObject().Count(p => p.Name == "event"), Is.EqualTo(1));
        Assert.That(alert.GetProperty("event").GetProperty("kind").GetString(), Is.EqualTo("signal"));
    }

    [Test]
    public void DuplicateKeyEventWritesNoAlert()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("process where true")));
        string line = """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"user":"first","user":"second"}""";

        var (summary, output) = Scan.RunToAlerts(rules, line + "\n");

        Assert.That(summary.EventsEvaluated, Is.Zero);
        Assert.That(summary.RejectedByReason, Is.EquivalentTo(new Dictionary<string, long> { ["duplicate key"] = 1 }));
        Assert.That(output, Is.Empty);
    }

    [Test]
    public void SameAlertIsWrittenOnce()
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("sequence by host.id [process where true] [network where true]")));
        string lines = """
            {"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"host":{"id":["x","y"]}}
            {"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"network"},"host":{"id":["x","y"]}}
            """;

        var (_, output) = Scan.RunToAlerts(rules, lines + "\n");

        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(3));
    }

    [Test]
    public void AlertIdsAreDeterministicAndDistinct()
    {
        var rules = Scan.CompileSeedRule();
        string samples = File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));

        var (_, first) = Scan.RunToAlerts(rules, samples);
        var (_, second) = Scan.RunToAlerts(Scan.CompileSeedRule(), samples);
        var ids = first.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kibana.alert.uuid").GetString()).ToList();

        Assert.That(second, Is.EqualTo(first));
        Assert.That(ids.Distinct().Count(), Is.EqualTo(ids.Count));
    }
}
