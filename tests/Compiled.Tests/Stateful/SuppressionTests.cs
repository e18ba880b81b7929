using System.Text.Json;
using Compiled.Tests.Support;

namespace Compiled.Tests.Stateful;

/// <summary>Alert suppression of single-event EQL rules, compiled by the real generator.</summary>
public class SuppressionTests
{
    private static string SuppressedRule(string suppression, string schedule = "") =>
        RuleFiles.Eql("process where process.name == \"nc\"", name: "Suppressed Netcat", extra: schedule) + "\n" + suppression;

    private const string ByHostForAnHour = """
        [rule.alert_suppression]
        group_by = ["host.name"]
        missing_fields_strategy = "suppress"

        [rule.alert_suppression.duration]
        unit = "h"
        value = 1
        """;

    private static string Event(int minute, string? host, string name = "nc") =>
        $$"""{"@timestamp":"2026-02-01T10:{{minute:00}}:00Z","event":{"category":"process"},"process":{"name":"{{name}}"}{{(host is null ? "" : $",\"host\":{{\"name\":\"{host}\"}}")}}}""";

    private static List<JsonElement> Alerts(string rule, params string[] events)
    {
        var rules = Scan.CompileRules(("suppressed.toml", rule));
        var (_, output) = Scan.RunToAlerts(rules, string.Join("\n", events) + "\n");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    [Test]
    public void MatchesOfOneHostWithinTheDurationBecomeOneAlert()
    {
        var alerts = Alerts(SuppressedRule(ByHostForAnHour), Event(0, "h1"), Event(5, "h1"), Event(7, "h2"), Event(9, "h1"), Event(10, "h1", name: "ls"));

        Assert.That(alerts, Has.Count.EqualTo(2));
        var h1 = alerts.Single(a => a.GetProperty("host").GetProperty("name").GetString() == "h1");
        Assert.That(h1.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(2));
        Assert.That(h1.GetProperty("kibana.alert.suppression.start").GetString(), Is.EqualTo("2026-02-01T10:00:00.000Z"));
        Assert.That(h1.GetProperty("kibana.alert.suppression.end").GetString(), Is.EqualTo("2026-02-01T10:09:00.000Z"));
        var terms = h1.GetProperty("kibana.alert.suppression.terms");
        Assert.That(terms[0].GetProperty("field").GetString(), Is.EqualTo("host.name"));
        Assert.That(terms[0].GetProperty("value")[0].GetString(), Is.EqualTo("h1"));
        Assert.That(h1.GetProperty("kibana.alert.original_time").GetString(), Is.EqualTo("2026-02-01T10:00:00.000Z"));
        var h2 = alerts.Single(a => a.GetProperty("host").GetProperty("name").GetString() == "h2");
        Assert.That(h2.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(0));
    }

    [Test]
    public void MissingFieldIsOneGroupUnderSuppressAndSeparateUnderDoNotSuppress()
    {
        string doNotSuppress = ByHostForAnHour.Replace("\"suppress\"", "\"doNotSuppress\"");
        string[] events = [Event(0, null), Event(1, null), Event(2, "h1"), Event(3, "h1")];

        var suppressed = Alerts(SuppressedRule(ByHostForAnHour), events);
        var separate = Alerts(SuppressedRule(doNotSuppress), events);

        Assert.That(suppressed, Has.Count.EqualTo(2));
        var missing = suppressed.Single(a => !a.TryGetProperty("host", out _));
        Assert.That(missing.GetProperty("kibana.alert.suppression.terms")[0].GetProperty("value").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(missing.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(1));
        Assert.That(separate, Has.Count.EqualTo(3));
        Assert.That(separate.Count(a => a.TryGetProperty("kibana.alert.suppression.docs_count", out _)), Is.EqualTo(1));
    }

    [Test]
    public void WithoutDurationEachRuleRunIsOneGroup()
    {
        string perRun = "[rule.alert_suppression]\ngroup_by = [\"host.name\"]";

        // Runs every 5 minutes: 10:00-10:05 is one run, 10:05-10:10 the next.
        var alerts = Alerts(SuppressedRule(perRun, "interval = \"5m\""), Event(1, "h1"), Event(4, "h1"), Event(6, "h1"), Event(8, "h1"));

        Assert.That(alerts.Select(a => a.GetProperty("kibana.alert.suppression.docs_count").GetInt64()), Is.EqualTo(new long[] { 1, 1 }));
    }

    [Test]
    public void MatchAfterTheDurationOpensANewGroup()
    {
        var alerts = Alerts(SuppressedRule(ByHostForAnHour),
            Event(0, "h1"),
            """{"@timestamp":"2026-02-01T11:30:00Z","event":{"category":"process"},"process":{"name":"nc"},"host":{"name":"h1"}}""");

        Assert.That(alerts, Has.Count.EqualTo(2));
        Assert.That(alerts.Select(a => a.GetProperty("kibana.alert.suppression.docs_count").GetInt64()), Is.All.EqualTo(0));
    }

    // Dispatch by value runs a rule only for events with its values, but a later event of any kind shows
    // that a group's duration has passed, so the group's alert is written then and not at the end of input.
    [Test]
    public void AnyLaterEventClosesTheGroup([Values] bool newTerms)
    {
        string suppressed = newTerms
            ? StatefulRuleFiles.Rule("new_terms", "process.name:nc", StatefulRuleFiles.NewTerms + "\n" + ByHostForAnHour, name: "Suppressed Netcat")
            : SuppressedRule(ByHostForAnHour);
        // Each scan gets rules of its own, because a new_terms rule remembers the terms it has seen.
        Compiled.Runtime.Rules.RuleSet Rules() => Scan.CompileRules(
            ("suppressed.toml", suppressed),
            ("plain.toml", RuleFiles.Eql("network where destination.port == 4444", name: "Plain", ruleId: "1c2d3e4f-0000-4000-8000-000000000009")));
        string Network(string time) =>
            $$$"""{"@timestamp":"2026-02-01T{{{time}}}Z","event":{"category":"network"},"host":{"name":"h1"},"destination":{"port":4444}}""";
        string ndjson = string.Join("\n", Event(0, "h1"), Event(5, "h1"), Network("11:30:00"), Network("11:40:00")) + "\n";

        var (_, dispatched) = Scan.RunToAlerts(Rules(), ndjson);
        var (_, reference) = Scan.RunToAlerts(Rules(), ndjson, new Compiled.Runtime.Hosting.ScanOptions { DispatchByValue = false });

        var names = dispatched.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kibana.alert.rule.name").GetString())
            .ToList();
        Assert.That(names, Is.EqualTo(new[] { "Plain", "Suppressed Netcat", "Plain" }), "the 11:30 event closes the group opened at 10:00");
        Assert.That(dispatched, Is.EqualTo(reference));
    }

    // A late event opens a group that closes before the groups opened earlier. The next event past its end
    // must close it, because merging into it would stretch the group far beyond its duration.
    [Test]
    public void LateGroupClosesInTime()
    {
        static string At(string time, string host) =>
            $$$"""{"@timestamp":"2026-02-01T{{{time}}}Z","event":{"category":"process"},"process":{"name":"nc"},"host":{"name":"{{{host}}}"}}""";

        // With no lateness allowed the 08:00 event is late, so the rule evaluates it after the 10:00 one.
        var rules = Scan.CompileRules(("suppressed.toml", SuppressedRule(ByHostForAnHour)));
        string ndjson = string.Join("\n", At("10:00:00", "h1"), At("08:00:00", "h2"), At("10:30:00", "h2")) + "\n";
        var (_, output) = Scan.RunToAlerts(rules, ndjson, new Compiled.Runtime.Hosting.ScanOptions { MaxLateness = TimeSpan.Zero });
        var alerts = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();

        var h2 = alerts.Where(a => a.GetProperty("host").GetProperty("name").GetString() == "h2").ToList();
        Assert.That(alerts, Has.Count.EqualTo(3));
        Assert.That(h2, Has.Count.EqualTo(2), "the 08:00 group closed at 09:00, before the 10:30 event");
        Assert.That(h2[0].GetProperty("kibana.alert.suppression.end").GetString(), Is.EqualTo("2026-02-01T08:00:00.000Z"));
        Assert.That(h2[0].GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(0));
        Assert.That(alerts[0].GetProperty("host").GetProperty("name").GetString(), Is.EqualTo("h2"), "it closes first, so it is written first");
    }

    // A late event runs the rule apart from the in-order events, and the group it opens must still close at
    // the first in-order event past its end, though that event has none of the rule's values.
    [Test]
    public void LateOpenedGroupClosesOnOtherEvent()
    {
        var rules = Scan.CompileRules(
            ("suppressed.toml", SuppressedRule(ByHostForAnHour)),
            ("plain.toml", RuleFiles.Eql("network where destination.port == 4444", name: "Plain", ruleId: "1c2d3e4f-0000-4000-8000-000000000009")));
        static string Network(string time) =>
            $$$"""{"@timestamp":"2026-02-01T{{{time}}}Z","event":{"category":"network"},"destination":{"port":4444}}""";
        string late = """{"@timestamp":"2026-02-01T08:00:00Z","event":{"category":"process"},"process":{"name":"nc"},"host":{"name":"h2"}}""";
        string ndjson = string.Join("\n", Network("10:00:00"), late, Network("10:30:00"), Network("10:40:00")) + "\n";

        // With no lateness allowed, the 08:00 event comes after the 10:00 one has been evaluated.
        var (_, output) = Scan.RunToAlerts(rules, ndjson, new Compiled.Runtime.Hosting.ScanOptions { MaxLateness = TimeSpan.Zero });

        var names = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("kibana.alert.rule.name").GetString())
            .ToList();
        Assert.That(names, Is.EqualTo(new[] { "Plain", "Plain", "Suppressed Netcat", "Plain" }), "the 10:30 event closes the group opened at 08:00");
    }

    // A group is written once an event past its end is evaluated. A late event that its duration covers
    // arrives after that, so it opens a new group instead of changing an alert already written.
    [Test]
    public void LateEventOpensNewGroup()
    {
        Compiled.Runtime.Rules.RuleSet Rules() => Scan.CompileRules(
            ("suppressed.toml", SuppressedRule(ByHostForAnHour)),
            ("plain.toml", RuleFiles.Eql("network where destination.port == 4444", name: "Plain", ruleId: "1c2d3e4f-0000-4000-8000-000000000009")));
        string network = """{"@timestamp":"2026-02-01T11:30:00Z","event":{"category":"network"},"destination":{"port":4444}}""";
        string ndjson = string.Join("\n", Event(0, "h1"), network, Event(20, "h1")) + "\n";

        // With no lateness allowed, the 10:20 event comes after the 11:30 one has been evaluated.
        var (_, dispatched) = Scan.RunToAlerts(Rules(), ndjson, new Compiled.Runtime.Hosting.ScanOptions { MaxLateness = TimeSpan.Zero });
        var (_, reference) = Scan.RunToAlerts(Rules(), ndjson, new Compiled.Runtime.Hosting.ScanOptions { MaxLateness = TimeSpan.Zero, DispatchByValue = false });

        var suppressed = dispatched.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .Where(alert => alert.GetProperty("kibana.alert.rule.name").GetString() == "Suppressed Netcat")
            .ToList();
        Assert.That(suppressed.Select(a => a.GetProperty("kibana.alert.suppression.start").GetString()),
            Is.EqualTo(new[] { "2026-02-01T10:00:00.000Z", "2026-02-01T10:20:00.000Z" }));
        Assert.That(suppressed.Select(a => a.GetProperty("kibana.alert.suppression.docs_count").GetInt64()), Is.All.EqualTo(0));
        Assert.That(dispatched, Is.EqualTo(reference));
    }

    // An open group makes the rule run only for the events whose time closes a group, so many rules with
    // long suppression windows do not each run for every event.
    [Test]
    public void OpenGroupRunsRuleOnlyWhenDue()
    {
        var rules = Scan.CompileRules(
            ("suppressed.toml", SuppressedRule(ByHostForAnHour)),
            ("plain.toml", RuleFiles.Eql("network where destination.port == 4444", name: "Plain", ruleId: "1c2d3e4f-0000-4000-8000-000000000009")));
        var lines = new List<string> { Event(0, "h1") };
        for (int minute = 1; minute < 60; minute++)
        {
            lines.Add($$$"""{"@timestamp":"2026-02-01T10:{{{minute:00}}}:00Z","event":{"category":"network"},"destination":{"port":4444}}""");
        }

        lines.Add("""{"@timestamp":"2026-02-01T11:30:00Z","event":{"category":"network"},"destination":{"port":4444}}""");
        var engine = new Compiled.Runtime.Hosting.ScanEngine(rules, new RecordingSink(), new Compiled.Runtime.Hosting.ScanOptions());
        engine.Scan(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n")), "test");
        engine.Finish();

        // Plain runs for its 60 events, and the suppressed rule for its own event and the 11:30 event, which closes its group.
        Assert.That(engine.RulesRun, Is.EqualTo(62));
    }

    [Test]
    public void ThresholdKeepsToItsCategories()
    {
        const string ByHost = "[rule.alert_suppression]\nmissing_fields_strategy = \"suppress\"\n[rule.alert_suppression.duration]\nunit = \"h\"\nvalue = 1";
        var rules = Scan.CompileRules(
            ("threshold.toml", StatefulRuleFiles.Rule("threshold", "event.action:login", StatefulRuleFiles.Threshold + "\n" + ByHost, name: "Threshold", ruleId: "4b1a2c3d-0000-4000-8000-000000000041")),
            ("terms.toml", StatefulRuleFiles.Rule("new_terms", "event.action:login", StatefulRuleFiles.NewTerms + "\n" + ByHostForAnHour, name: "Terms", ruleId: "4b1a2c3d-0000-4000-8000-000000000042")),
            ("query.toml", SuppressedRule(ByHostForAnHour)));
        var byName = rules.Rules.ToDictionary(rule => rule.Descriptor.Name);

        Assert.That(byName["Threshold"].MayNeedEveryEvent, Is.False, "its run schedule follows the events it sees");
        Assert.That(byName["Terms"].MayNeedEveryEvent, Is.True);
        Assert.That(byName["Suppressed Netcat"].MayNeedEveryEvent, Is.True);
    }

    [Test]
    public void SuppressedRuleMatchesSnapshot()
    {
        var output = GeneratorHarness.Run("suppressed.toml", SuppressedRule(ByHostForAnHour));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("SuppressedNetcat", output.Sources["SuppressedNetcat.g.cs"]);
    }
}
