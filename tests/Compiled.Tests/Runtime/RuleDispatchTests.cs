using System.Text;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

public class RuleDispatchTests
{
    [Test]
    public void RulesRunOnlyForTheirCategories()
    {
        var schema = FieldSchema.Create(["event.category"]);
        var network = new CountingRule(["network"]);
        var both = new CountingRule(["process", "network"]);
        var any = new CountingRule(null);
        var dispatch = new RuleDispatch(new RuleSet(schema, [network, both, any]));
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);

        foreach (var line in new[] { """{"event":{"category":"process"}}""", """{"event":{"category":["process","network"]}}""", """{"event":{}}""" })
        {
            decoder.Decode(Encoding.UTF8.GetBytes(line), record);
            dispatch.Evaluate(record, new RecordingSink());
        }

        Assert.That(network.Calls, Is.EqualTo(1));
        Assert.That(both.Calls, Is.EqualTo(2), "a rule runs once per event even when two of its categories match");
        Assert.That(any.Calls, Is.EqualTo(3));
    }

    [Test]
    public void GeneratedRulesDeclareTheirCategories()
    {
        var rules = Scan.CompileRules(
            ("event.toml", RuleFiles.Eql("process where true", name: "Event", ruleId: "1c2d3e4f-0000-4000-8000-000000000021")),
            ("sequence.toml", RuleFiles.Eql("sequence [process where true] [network where true] until [file where true]", name: "Sequence", ruleId: "1c2d3e4f-0000-4000-8000-000000000022")),
            ("any.toml", RuleFiles.Eql("sequence [process where true] [any where true]", name: "Any", ruleId: "1c2d3e4f-0000-4000-8000-000000000023")),
            ("trailing.toml", RuleFiles.Eql("sequence with maxspan=1m [process where true] ![network where true]", name: "Trailing", ruleId: "1c2d3e4f-0000-4000-8000-000000000024")));
        var byName = rules.Rules.ToDictionary(rule => rule.Descriptor.Name);

        Assert.That(byName["Event"].EventCategories, Is.EqualTo(new[] { "process" }));
        Assert.That(byName["Sequence"].EventCategories, Is.EqualTo(new[] { "file", "network", "process" }));
        Assert.That(byName["Any"].EventCategories, Is.Null);
        Assert.That(byName["Trailing"].EventCategories, Is.Null, "held sequences need every event to see time pass");
    }

    private sealed class CountingRule(string[]? categories) : DetectionRule(new RuleDescriptor
    {
        RuleId = Guid.NewGuid(),
        Name = "counting",
        Description = "counts evaluations",
        Severity = Severity.Low,
        RiskScore = 0,
        Type = "eql",
        Language = "eql",
        Query = "any where true",
        SourceFile = "counting.toml",
    })
    {
        public int Calls { get; private set; }

        public override IReadOnlyList<string>? EventCategories => categories;

        public override void Evaluate(EventRecord ev, IAlertSink sink) => Calls++;
    }
}
