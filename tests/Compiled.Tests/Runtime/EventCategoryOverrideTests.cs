using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary><c>event_category_override</c>: the rule reads its event categories from another field.</summary>
public class EventCategoryOverrideTests
{
    /// <summary>An Elastic Defend file event whose event.category is "file" and event.type is "creation".</summary>
    private static readonly string FileCreation = File.ReadLines(Path.Combine(Paths.CorpusEvents, "elastic-endpoint-package", "sample-events", "endpoint.file.ndjson")).First();

    [Test]
    public void CategoryComesFromOverrideField()
    {
        const string query = "creation where file.name == \".winlogbeat.yml.new\"";

        var overridden = Scan.Run(Scan.CompileRules(("override.toml", RuleFiles.Eql(query, extra: "event_category_override = \"event.type\""))), [FileCreation]);
        var plain = Scan.Run(Scan.CompileRules(("plain.toml", RuleFiles.Eql(query))), [FileCreation]);

        Assert.That(overridden.Events, Has.Count.EqualTo(1));
        Assert.That(plain.Events, Is.Empty);
    }

    [Test]
    public void OverriddenRuleNoLongerMatchesEventCategory()
    {
        var rules = Scan.CompileRules(("override.toml", RuleFiles.Eql("file where true", extra: "event_category_override = \"event.type\"")));

        var sink = Scan.Run(rules, [FileCreation]);

        Assert.That(sink.Events, Is.Empty);
        Assert.That(rules.Rules.Single().EventCategoryField, Is.EqualTo("event.type"));
        Assert.That(rules.Rules.Single().EventCategories, Is.Null, "the host dispatches on event.category, so the rule runs for every event");
    }

    [Test]
    public void RuleWithoutOverrideReadsEventCategory()
    {
        var rule = Scan.CompileRules(("plain.toml", RuleFiles.Eql("file where true"))).Rules.Single();

        Assert.That(rule.EventCategoryField, Is.EqualTo("event.category"));
        Assert.That(rule.EventCategories, Is.EqualTo(new[] { "file" }));
    }
}
