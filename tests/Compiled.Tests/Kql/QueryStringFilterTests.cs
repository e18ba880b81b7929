using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Compiled.Tests.Kql;

/// <summary>
/// Kibana filters with a <c>query_string</c> query in Lucene syntax, compiled by the real generator against
/// ECS's field types. Each case states whether Elasticsearch would return the event.
/// </summary>
public class QueryStringFilterTests
{
    private const string FilePath = "/rules/rule.toml";

    private static string Filter(string query, string options = "") => $$"""
        [[rule.filters]]
        [rule.filters.meta]
        negate = false
        [rule.filters.query.query_string]
        query = '{{query}}'
        {{options}}
        """;

    private static string Event(string name, string? user = null, string extra = "") =>
        "{\"@timestamp\":\"2024-01-02T03:04:05.678Z\",\"event\":{\"kind\":\"event\"},\"process\":{\"name\":\"" + name + "\"}" +
        (user is null ? string.Empty : ",\"user\":{\"name\":\"" + user + "\"}") + extra + "}";

    /// <summary>Compiles a rule with the filter and returns, per event, whether the rule matched it.</summary>
    private static bool[] Matches(string filter, params string[] events)
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Kql("event.kind:event", after: filter)));
        return events.Select(json => Scan.Run(rules, [json]).Events.Count == 1).ToArray();
    }

    [Test]
    public void AndNotCombineClauses()
    {
        var results = Matches(Filter("process.name:cmd.exe AND NOT user.name:SYSTEM"),
            Event("cmd.exe", "alice"), Event("cmd.exe", "SYSTEM"), Event("cmd.exe"), Event("ls", "alice"));

        Assert.That(results, Is.EqualTo(new[] { true, false, true, false }));
    }

    [Test]
    public void ClausesWithoutOperatorAreOptional()
    {
        var results = Matches(Filter("process.name:a process.name:b"), Event("a"), Event("b"), Event("c"));

        Assert.That(results, Is.EqualTo(new[] { true, true, false }));
    }

    [Test]
    public void PlusMakesOtherClausesOptional()
    {
        var results = Matches(Filter("+process.name:a user.name:b"), Event("a", "x"), Event("a", "b"), Event("c", "b"));

        Assert.That(results, Is.EqualTo(new[] { true, true, false }));
    }

    [Test]
    public void AndBindsBothSidesBeforeOr()
    {
        // Lucene makes both sides of AND required, and under the default operator OR the clause after OR stays optional.
        var results = Matches(Filter("process.name:a AND user.name:b OR user.name:c"), Event("a", "b"), Event("a", "c"), Event("x", "c"));

        Assert.That(results, Is.EqualTo(new[] { true, false, false }));
    }

    [Test]
    public void DefaultOperatorAndRequiresEachClause()
    {
        var results = Matches(Filter("process.name:a user.name:b", "default_operator = \"AND\""), Event("a", "b"), Event("a", "c"));

        Assert.That(results, Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void OnlyNegatedClauseMatchesTheRest()
    {
        var results = Matches(Filter("NOT process.name:a"), Event("a"), Event("b"));

        Assert.That(results, Is.EqualTo(new[] { false, true }));
    }

    [Test]
    public void GroupsAndFieldGroupsNest()
    {
        var results = Matches(Filter("process.name:(a OR b) AND (user.name:x || user.name:y)"),
            Event("a", "x"), Event("b", "y"), Event("a", "z"), Event("c", "x"));

        Assert.That(results, Is.EqualTo(new[] { true, true, false, false }));
    }

    [Test]
    public void KeywordWildcardsAreCaseSensitive()
    {
        var results = Matches(Filter("process.name:cm?.ex* OR process.name:x\\*y"), Event("cmd.exe"), Event("CMD.EXE"), Event("x*y"), Event("xzy"));

        Assert.That(results, Is.EqualTo(new[] { true, false, true, false }));
    }

    [Test]
    public void KeywordTermIsExact()
    {
        var results = Matches(Filter("process.name:10.0"), Event("10.0"), Event("10"));
        var spaced = Matches(Filter("process.name : 10.0"), Event("10.0"), Event("10"));

        Assert.That(results, Is.EqualTo(new[] { true, false }));
        Assert.That(spaced, Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void TextFieldMatchesWords()
    {
        static string Message(string text) => Event("x", extra: ",\"message\":\"" + text + "\"");

        var results = Matches(Filter("message:hello AND message:\"big world\" AND message:wor*"),
            Message("Hello big World"), Message("hello world big"), Message("goodbye big world"));

        Assert.That(results, Is.EqualTo(new[] { true, false, false }));
    }

    [Test]
    public void RangesAndComparisons()
    {
        static string Pid(int pid) => "{\"@timestamp\":\"2024-01-02T03:04:05.678Z\",\"event\":{\"kind\":\"event\"},\"process\":{\"pid\":" + pid + "}}";

        var brackets = Matches(Filter("process.pid:[2 TO 5}"), Pid(1), Pid(2), Pid(4), Pid(5));
        var comparison = Matches(Filter("process.pid:>=5 OR process.pid:<2"), Pid(1), Pid(2), Pid(5));
        var open = Matches(Filter("process.pid:{3 TO *]"), Pid(3), Pid(300));

        Assert.That(brackets, Is.EqualTo(new[] { false, true, true, false }));
        Assert.That(comparison, Is.EqualTo(new[] { true, false, true }));
        Assert.That(open, Is.EqualTo(new[] { false, true }));
    }

    [Test]
    public void DateRangeUsesEventTimeForNow()
    {
        static string Created(string time) => "{\"@timestamp\":\"2024-01-02T03:04:05.678Z\",\"event\":{\"kind\":\"event\",\"created\":\"" + time + "\"}}";

        var results = Matches(Filter("event.created:[now-1h TO now]"), Created("2024-01-02T03:00:00Z"), Created("2024-01-02T01:00:00Z"));

        Assert.That(results, Is.EqualTo(new[] { true, false }));
    }

    [Test]
    public void DateTermUsesTimeZone()
    {
        // The event is at 2024-01-02T03:04:05.678Z, which is still 2024-01-01 at -05:00.
        var utc = Matches(Filter("@timestamp:2024-01-02"), Event("a"));
        var shifted = Matches(Filter("@timestamp:2024-01-01", "time_zone = \"-05:00\""), Event("a"));
        var wrongDay = Matches(Filter("@timestamp:2024-01-02", "time_zone = \"-05:00\""), Event("a"));

        Assert.That(utc, Is.EqualTo(new[] { true }));
        Assert.That(shifted, Is.EqualTo(new[] { true }));
        Assert.That(wrongDay, Is.EqualTo(new[] { false }));
    }

    [Test]
    public void RegionTimeZoneFailsOnlyForDates()
    {
        var withoutDates = Matches(Filter("process.name:a", "time_zone = \"Europe/Paris\""), Event("a"));
        string toml = RuleFiles.Kql("event.kind:event", after: Filter("process.name:a AND @timestamp:[2024-01-01 TO *]", "time_zone = \"Europe/Paris\""));

        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);

        Assert.That(withoutDates, Is.EqualTo(new[] { true }));
        var error = output.GeneratorDiagnostics.Single(d => d.Severity == DiagnosticSeverity.Error);
        Assert.That(error.Id, Is.EqualTo("CMP032"));
        Assert.That(error.GetMessage(), Does.Contain("'Europe/Paris'"));
        int offset = toml.IndexOf("\"Europe/Paris\"", StringComparison.Ordinal);
        Assert.That(error.Location.GetLineSpan().StartLinePosition, Is.EqualTo(SourceText.From(toml).Lines.GetLinePosition(offset)));
    }

    [Test]
    public void ExistsAndDefaultField()
    {
        var exists = Matches(Filter("_exists_:user.name AND user.name:*"), Event("a", "x"), Event("a"));
        var defaulted = Matches(Filter("cmd.exe OR powershell.exe", "default_field = \"process.name\""), Event("cmd.exe"), Event("ls"));
        var fields = Matches(Filter("alice", "fields = [\"process.name\", \"user.name\"]"), Event("alice"), Event("x", "alice"), Event("x", "bob"));

        Assert.That(exists, Is.EqualTo(new[] { true, false }));
        Assert.That(defaulted, Is.EqualTo(new[] { true, false }));
        Assert.That(fields, Is.EqualTo(new[] { true, true, false }));
    }

    [TestCase("process.name:/cmd.*/", "/cmd.*/", "regular expressions")]
    [TestCase("process.name:cmd~", "~", "fuzzy")]
    [TestCase("process.name:\"a b\"~2", "~2", "proximity")]
    [TestCase("process.name:(a OR b", "(a OR b", "not closed")]
    [TestCase("process.name:a AND cmd.exe", "cmd.exe", "without a field")]
    [TestCase("process.pid:[1 5]", "5]", "'TO'")]
    public void UnsupportedSyntaxPointsAtIt(string query, string marker, string message)
    {
        string toml = RuleFiles.Kql("event.kind:event", after: Filter(query));

        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);

        var errors = output.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), string.Join("; ", output.GeneratorDiagnostics));
        Assert.That(errors[0].Id, Is.EqualTo("CMP032"));
        Assert.That(errors[0].GetMessage(), Does.Contain(message));
        int offset = toml.IndexOf(marker, toml.IndexOf("query = '" + query, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.That(errors[0].Location.GetLineSpan().StartLinePosition, Is.EqualTo(SourceText.From(toml).Lines.GetLinePosition(offset)));
        Assert.That(output.Sources.Keys, Is.EquivalentTo(new[] { "RuleCatalog.g.cs" }));
    }

    [Test]
    public void DeepGroupsAreRejected()
    {
        string query = new string('(', 300) + "process.name:a" + new string(')', 300);
        string toml = RuleFiles.Kql("event.kind:event", after: Filter(query));

        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);

        var error = output.GeneratorDiagnostics.Single(d => d.Severity == DiagnosticSeverity.Error);
        Assert.That(error.Id, Is.EqualTo("CMP032"));
        Assert.That(error.GetMessage(), Does.Contain("deeper than 256 levels"));
        int offset = toml.IndexOf(query, StringComparison.Ordinal) + 256;
        Assert.That(error.Location.GetLineSpan().StartLinePosition, Is.EqualTo(SourceText.From(toml).Lines.GetLinePosition(offset)));
    }

    [Test]
    public void WrongTypeValuePointsAtTerm()
    {
        const string query = "process.name:a AND process.pid:abc";
        string toml = RuleFiles.Kql("event.kind:event", after: Filter(query));

        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);

        var error = output.GeneratorDiagnostics.Single(d => d.Severity == DiagnosticSeverity.Error);
        Assert.That(error.Id, Is.EqualTo("CMP031"));
        Assert.That(error.GetMessage(), Does.Contain("type long"));
        int offset = toml.IndexOf("process.pid:abc", StringComparison.Ordinal);
        Assert.That(error.Location.GetLineSpan().StartLinePosition, Is.EqualTo(SourceText.From(toml).Lines.GetLinePosition(offset)));
    }

    [Test]
    public void UnknownOptionIsNamed()
    {
        string toml = RuleFiles.Kql("event.kind:event", after: Filter("process.name:a", "fuzziness = \"AUTO\""));

        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);

        var error = output.GeneratorDiagnostics.Single(d => d.Severity == DiagnosticSeverity.Error);
        Assert.That(error.GetMessage(), Does.Contain("'fuzziness'"));
    }
}
