using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using static Compiled.Tests.Stateful.StatefulRuleFiles;

namespace Compiled.Tests.Stateful;

/// <summary>Invalid keys of threshold, new_terms and threat_match rules and of alert suppression, each reported at the value.</summary>
public class StatefulDiagnosticTests
{
    private const string Path = "/rules/stateful.toml";

    [Test]
    public void MissingThresholdValue()
    {
        string toml = Rule("threshold", "event.action:x", "[rule.threshold]\nfield = [\"user.name\"]");

        var diagnostic = Single(toml, "CMP002");

        AssertAt(diagnostic, toml, "rule.threshold]");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'value'").And.Contain("rule.threshold"));
    }

    [Test]
    public void MissingThresholdTable()
    {
        string toml = Rule("threshold", "event.action:x", "");

        var diagnostic = Single(toml, "CMP002");

        Assert.That(diagnostic.GetMessage(), Does.Contain("'threshold'"));
    }

    [Test]
    public void ThresholdValueBelowOne()
    {
        string toml = Rule("threshold", "event.action:x", "[rule.threshold]\nfield = []\nvalue = 0");

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "0", fromEnd: true);
    }

    [Test]
    public void ThresholdFieldOfWrongType()
    {
        string toml = Rule("threshold", "event.action:x", "[rule.threshold]\nfield = 3\nvalue = 2");

        var diagnostic = Single(toml, "CMP003");

        AssertAt(diagnostic, toml, "3\nvalue");
    }

    [Test]
    public void MoreThanThreeNewTermsFields()
    {
        string tables = NewTerms.Replace("[\"host.name\", \"process.name\"]", "[\"a\", \"b\", \"c\", \"d\"]");
        string toml = Rule("new_terms", "event.action:x", tables);

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "[\"a\", \"b\"");
        Assert.That(diagnostic.GetMessage(), Does.Contain("one to three"));
    }

    [TestCase("now-14")]
    [TestCase("14d")]
    [TestCase("now-0d")]
    [TestCase("now-3q")]
    public void InvalidHistoryWindow(string window)
    {
        string toml = Rule("new_terms", "event.action:x", NewTerms.Replace("now-14d", window));

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "\"" + window + "\"");
    }

    [Test]
    public void MissingHistoryWindow()
    {
        string tables = "[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"host.name\"]";
        string toml = Rule("new_terms", "event.action:x", tables);

        var diagnostic = Single(toml, "CMP002");

        Assert.That(diagnostic.GetMessage(), Does.Contain("history_window_start"));
    }

    [Test]
    public void ThreatMappingEntryWithoutField()
    {
        string toml = Rule("threat_match", "file.hash.md5:*", ThreatMapping.Replace("field = \"file.hash.md5\"\n", ""));

        var diagnostic = Single(toml, "CMP002");

        AssertAt(diagnostic, toml, "rule.threat_mapping.entries]]");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'field'"));
    }

    [Test]
    public void ThreatMappingWithoutEntries()
    {
        string toml = Rule("threat_match", "file.hash.md5:*", "[[rule.threat_mapping]]\n");

        var diagnostic = Single(toml, "CMP004");

        Assert.That(diagnostic.GetMessage(), Does.Contain("threat_mapping.entries"));
    }

    [Test]
    public void MissingThreatMapping()
    {
        string toml = Rule("threat_match", "file.hash.md5:*", "");

        var diagnostic = Single(toml, "CMP002");

        Assert.That(diagnostic.GetMessage(), Does.Contain("threat_mapping"));
    }

    [Test]
    public void UnknownThreatMappingEntryType()
    {
        string toml = Rule("threat_match", "file.hash.md5:*", ThreatMapping.Replace("type = \"mapping\"", "type = \"lookup\""));

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "\"lookup\"");
    }

    [TestCase("interval = \"5m\"", "interval = \"5x\"", "\"5x\"")]
    [TestCase("from = \"now-9m\"", "from = \"9m\"", "\"9m\"")]
    public void InvalidSchedule(string original, string replacement, string marker)
    {
        string toml = Rule("threshold", "event.action:x", Threshold).Replace(original, replacement);

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, marker);
    }

    [Test]
    public void InvalidSuppressionDurationUnit()
    {
        string tables = "[rule.alert_suppression]\ngroup_by = [\"host.name\"]\n[rule.alert_suppression.duration]\nunit = \"d\"\nvalue = 1";
        string toml = RuleFiles.Eql("process where true") + "\n" + tables;

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "\"d\"");
    }

    [Test]
    public void InvalidMissingFieldsStrategy()
    {
        string tables = "[rule.alert_suppression]\ngroup_by = [\"host.name\"]\nmissing_fields_strategy = \"drop\"";
        string toml = RuleFiles.Eql("process where true") + "\n" + tables;

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "\"drop\"");
    }

    [Test]
    public void SuppressionOfMoreThanThreeFields()
    {
        string tables = "[rule.alert_suppression]\ngroup_by = [\"a\", \"b\", \"c\", \"d\"]";
        string toml = RuleFiles.Eql("process where true") + "\n" + tables;

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "[\"a\"");
    }

    [Test]
    public void ThresholdSuppressionNeedsDuration()
    {
        string toml = Rule("threshold", "event.action:x", Threshold + "\n[rule.alert_suppression]\nmissing_fields_strategy = \"suppress\"");

        var diagnostic = Single(toml, "CMP002");

        AssertAt(diagnostic, toml, "rule.alert_suppression]");
    }

    private static Diagnostic Single(string toml, string id)
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(Path, toml));
        var matching = output.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.That(matching, Has.Count.EqualTo(1), "diagnostics: " + string.Join("; ", output.GeneratorDiagnostics));
        Assert.That(matching[0].Location.GetLineSpan().Path, Is.EqualTo(Path));
        Assert.That(output.Sources.Keys, Is.EquivalentTo(new[] { "RuleCatalog.g.cs" }), "a rule with an error emits no code");
        return matching[0];
    }

    private static void AssertAt(Diagnostic diagnostic, string toml, string marker, bool fromEnd = false)
    {
        int offset = fromEnd ? toml.LastIndexOf(marker, StringComparison.Ordinal) : toml.IndexOf(marker, StringComparison.Ordinal);
        Assert.That(offset, Is.GreaterThanOrEqualTo(0), $"the test text has no '{marker}'");
        var expected = SourceText.From(toml).Lines.GetLinePosition(offset);
        var actual = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.That(actual, Is.EqualTo(expected), $"{diagnostic.Id} should start at '{marker}'");
    }
}
