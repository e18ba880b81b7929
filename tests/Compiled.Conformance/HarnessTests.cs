using System.Text.Json.Nodes;
using Compiled.Conformance.Cases;
using Compiled.Conformance.Running;
using Compiled.Runtime.Rules;

namespace Compiled.Conformance;

/// <summary>Checks the harness itself, so a conformance result reflects the generator and runtime, not the loader.</summary>
[TestFixture]
public sealed class HarnessTests
{
    [Test]
    public void QuoteBareNullsLeavesStringsAndComments()
    {
        const string toml = "a = [null, \"null x\", 'null'] # null\nq = '''x == null'''\nb = [\"tag\", null]\n";

        string quoted = QueryFiles.QuoteBareNulls(toml);

        Assert.That(quoted, Is.EqualTo("a = [\"null\", \"null x\", 'null'] # null\nq = '''x == null'''\nb = [\"tag\", \"null\"]\n"));
    }

    [Test]
    public void RuleIdIsStableVersion5Uuid()
    {
        var id = ConformanceRuleFile.RuleId("test_queries.toml/simpleQueryLt");

        Assert.That(ConformanceRuleFile.RuleId("test_queries.toml/simpleQueryLt"), Is.EqualTo(id));
        Assert.That(ConformanceRuleFile.RuleId("test_queries.toml/simpleQueryHeadSix"), Is.Not.EqualTo(id));
        Assert.That(id.Version, Is.EqualTo(5));
    }

    [Test]
    public void PipesApplyLeftToRight()
    {
        var results = Enumerable.Range(1, 6).Select(i => (IReadOnlyList<string>)[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        var piped = GroupRunner.ApplyPipes(results, [new QueryPipe(QueryPipeKind.Head, 4), new QueryPipe(QueryPipeKind.Tail, 2)]);

        Assert.That(piped.SelectMany(result => result), Is.EqualTo(new[] { "3", "4" }));
    }

    [Test]
    public void EndgameEventsSortByDerivedTimestamp()
    {
        var events = DataSet.Load(SuitePaths.Suite, ["endgame-140"], TimestampSource.FileTimeAsMilliseconds);

        // The file lists 75303 before 75304 and 75305, but its FILETIME is 44 ms later.
        Assert.That(events.Ids.ToList().IndexOf("75303"), Is.GreaterThan(events.Ids.ToList().IndexOf("75305")));
        var first = JsonNode.Parse(events.Lines[0])!.AsObject();
        Assert.That((long)first["@timestamp"]!, Is.EqualTo(116444736000000000L / 10000 - 11644473600000L));
        Assert.That((string?)first["event.category"], Is.EqualTo((string?)first["event_type"]));
    }

    [Test]
    public void MissingEventsDataSkipsComments()
    {
        var events = DataSet.Load(SuitePaths.Suite, ["missing-events"], TimestampSource.Document);

        Assert.That(events.Lines, Has.Count.EqualTo(48));
        Assert.That(events.Lines, Has.All.Contains("\"@timestamp\":"));
    }

    [Test]
    public void NullValueFromMappingReplacesJsonNull()
    {
        var events = DataSet.Load(SuitePaths.Suite, ["extra"], TimestampSource.Document);

        var seventh = JsonNode.Parse(events.Lines[events.Ids.ToList().IndexOf("7")])!.AsObject();
        Assert.That((string?)seventh["optional_field_default_null"], Is.EqualTo("NULL"));
    }

    [Test]
    public void SeriesSpecsBecomeSequenceRules()
    {
        var group = SeriesSpecs.LoadGroup(SuitePaths.Suite);
        var keyed = group.Cases.Single(c => c.Name.EndsWith("/exampleWithTwoStagesAndKeyFromTheDocs", StringComparison.Ordinal));

        Assert.That(keyed.Query, Does.StartWith("sequence by join_key"));
        Assert.That(keyed.Expected.AcceptedResults!.Single(), Is.EqualTo(new[] { "W2", "H4", "I9", "W6", "H8", "I10" }));
    }
}
