using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Compiled.Tests.Generator;

/// <summary>
/// One test per diagnostic id: each checks the id, the severity, that the location is the offending
/// text inside the .toml file, and that a rule with an error emits no code.
/// </summary>
public class DiagnosticTests
{
    private const string Path = "/rules/rule.toml";

    [Test]
    public void TomlSyntaxErrorPointsAtToken()
    {
        string toml = RuleFiles.Eql("process where true").Replace("risk_score = 21", "risk_score = = 21");

        var diagnostic = Single(toml, "CMP001");

        AssertAt(diagnostic, toml, "= 21");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void DuplicateTomlKeyIsSyntaxError()
    {
        string toml = RuleFiles.Eql("process where true").Replace("severity = \"low\"", "severity = \"low\"\nseverity = \"high\"");

        var diagnostic = Single(toml, "CMP001");

        AssertAt(diagnostic, toml, "severity = \"high\"");
        Assert.That(diagnostic.GetMessage(), Does.Contain("rule.severity").And.Contain("already defined"));
    }

    [Test]
    public void MissingRuleIdPointsAtRuleTable()
    {
        string toml = RuleFiles.Eql("process where true").Replace("rule_id = \"1c2d3e4f-0000-4000-8000-000000000001\"\n", "");

        var diagnostic = Single(toml, "CMP002");

        AssertAt(diagnostic, toml, "rule]");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'rule_id'"));
        AssertNoRuleCode(toml);
    }

    [Test]
    public void MissingQueryIsReported()
    {
        string toml = """
            [rule]
            name = "No query"
            description = "d"
            risk_score = 1
            rule_id = "1c2d3e4f-0000-4000-8000-000000000001"
            severity = "low"
            type = "eql"
            language = "eql"
            """;

        var diagnostic = Single(toml, "CMP002");

        Assert.That(diagnostic.GetMessage(), Does.Contain("'query'"));
    }

    [Test]
    public void EqlRuleWithoutLanguageIsReported()
    {
        string toml = RuleFiles.Eql("process where true").Replace("language = \"eql\"\n", "");

        var diagnostic = Single(toml, "CMP002");

        Assert.That(diagnostic.GetMessage(), Does.Contain("'language'"));
        AssertNoRuleCode(toml);
    }

    [Test]
    public void WrongKeyTypePointsAtValue()
    {
        string toml = RuleFiles.Eql("process where true").Replace("risk_score = 21", "risk_score = \"21\"");

        var diagnostic = Single(toml, "CMP003");

        AssertAt(diagnostic, toml, "\"21\"");
        Assert.That(diagnostic.GetMessage(), Is.EqualTo("The key 'risk_score' must be an integer, but it is a string"));
        AssertNoRuleCode(toml);
    }

    [Test]
    public void InvalidSeverityPointsAtValue()
    {
        string toml = RuleFiles.Eql("process where true").Replace("severity = \"low\"", "severity = \"urgent\"");

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "\"urgent\"");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'urgent'").And.Contain("low, medium, high or critical"));
    }

    [TestCase("interval = \"abc\"", "\"abc\"", "'interval'")]
    [TestCase("interval = \"0m\"", "\"0m\"", "'interval'")]
    [TestCase("from = \"\"", "\"\"", "'from'")]
    [TestCase("from = \"6m\"", "\"6m\"", "'from'")]
    [TestCase("max_signals = 0", "0", "'max_signals'")]
    [TestCase("max_signals = -1", "-1", "from 1 to 2147483647")]
    public void InvalidScheduleKeyPointsAtValue(string line, string marker, string key)
    {
        string toml = RuleFiles.Eql("process where true", extra: line);

        var diagnostic = Single(toml, "CMP004");

        int offset = toml.IndexOf(line, StringComparison.Ordinal) + line.IndexOf(marker, line.IndexOf('='), StringComparison.Ordinal);
        Assert.That(diagnostic.Location.GetLineSpan().StartLinePosition, Is.EqualTo(SourceText.From(toml).Lines.GetLinePosition(offset)));
        Assert.That(diagnostic.GetMessage(), Does.Contain(key));
        AssertNoRuleCode(toml);
    }

    [Test]
    public void EmptyRuleIdPointsAtValue()
    {
        string toml = RuleFiles.Eql("process where true", ruleId: " ");

        var diagnostic = Single(toml, "CMP004");

        AssertAt(diagnostic, toml, "\" \"");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void RuleIdThatIsNotUuidIsWarning()
    {
        // Two corpus rules have a rule_id one digit too long; Kibana accepts any string.
        string toml = RuleFiles.Eql("process where true", ruleId: "7eb54028-ca72-4eb7-8185-b6864572347db");

        var diagnostic = Single(toml, "CMP006");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        AssertAt(diagnostic, toml, "\"7eb54028");
        var rule = Scan.CompileRules(("rule.toml", toml)).Rules.Single().Descriptor;
        Assert.That(rule.RuleIdText, Is.EqualTo("7eb54028-ca72-4eb7-8185-b6864572347db"));
        Assert.That(rule.RuleId, Is.EqualTo(Scan.CompileRules(("again.toml", toml)).Rules.Single().Descriptor.RuleId));
        Assert.That(rule.RuleId.ToString()[14], Is.EqualTo('5'));
    }

    [TestCase("99239E7D-B0D4-46E3-8609-ACAFCF99F68C")]
    [TestCase("99239e7db0d446e38609acafcf99f68c")]
    [TestCase("{99239e7d-b0d4-46e3-8609-acafcf99f68c}")]
    public void OtherUuidSpellingsGetOwnRuleId(string ruleId)
    {
        const string canonical = "99239e7d-b0d4-46e3-8609-acafcf99f68c";
        string toml = RuleFiles.Eql("process where true", ruleId: ruleId);

        var diagnostic = Single(toml, "CMP006");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        var rule = Scan.CompileRules(("rule.toml", toml)).Rules.Single().Descriptor;
        Assert.That(rule.RuleIdText, Is.EqualTo(ruleId));
        Assert.That(rule.RuleId, Is.Not.EqualTo(Guid.Parse(canonical)));
    }

    [Test]
    public void TacticWithoutNameNamesRuleTable()
    {
        string toml = RuleFiles.Eql("process where true") + "\n[[rule.threat]]\nframework = \"MITRE ATT&CK\"\n[rule.threat.tactic]\nid = \"TA0002\"\nreference = \"https://attack.mitre.org/tactics/TA0002/\"\n";

        var diagnostic = Single(toml, "CMP002");

        Assert.That(diagnostic.GetMessage(), Does.Contain("'name'").And.Contain("[rule.threat.tactic]"));
    }

    [Test]
    public void DuplicateRuleIdPointsAtSecondFile()
    {
        string first = RuleFiles.Eql("process where true", name: "First");
        string second = RuleFiles.Eql("process where true", name: "Second");

        var output = GeneratorHarness.Run(new InMemoryRuleFile("/rules/a.toml", first), new InMemoryRuleFile("/rules/b.toml", second));
        var diagnostic = output.GeneratorDiagnostics.Single(d => d.Id == "CMP005");

        Assert.That(diagnostic.Location.GetLineSpan().Path, Is.EqualTo("/rules/b.toml"));
        AssertAt(diagnostic, second, "\"1c2d3e4f-");
        Assert.That(diagnostic.GetMessage(), Does.Contain("also used by '/rules/a.toml'"));
    }

    [Test]
    public void EqlSyntaxErrorPointsInsideMultilineQuery()
    {
        string toml = RuleFiles.Eql("sequence by process.entity_id\n  [process where event.type == ]\n  [network where true]");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "]\n  [network");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void EqlSyntaxErrorColumnCountsEscapes()
    {
        // In a basic TOML string each \" is two characters in the file but one in the query.
        string toml = RuleFiles.Eql("x").Replace("query = '''\nx\n'''", "query = \"process where process.name == \\\"a\\\" and and\"");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "and\"", fromEnd: true);
    }

    [Test]
    public void DeepNestingIsRejectedNotOverflowed()
    {
        string condition = new string('(', 3000) + "process.name == \"a\"" + new string(')', 3000);
        string toml = RuleFiles.Eql("process where " + condition);

        var diagnostic = Single(toml, "CMP010");

        Assert.That(diagnostic.GetMessage(), Does.Contain("nested more than 100 levels"));
    }

    [Test]
    public void LongOrChainIsRejectedNotOverflowed()
    {
        string condition = string.Join(" or ", Enumerable.Range(0, 5000).Select(i => $"process.pid == {i}"));
        string toml = RuleFiles.Eql("process where " + condition);

        var diagnostic = Single(toml, "CMP010");

        Assert.That(diagnostic.GetMessage(), Does.Contain("more than 1000 operators deep"));
    }

    [Test]
    public void ZeroMaxspanIsInvalid()
    {
        string toml = RuleFiles.Eql("sequence with maxspan=0s [process where true] [network where true]");

        var diagnostic = Single(toml, "CMP015");

        AssertAt(diagnostic, toml, "0s");
    }

    [Test]
    public void EndgamePipeIsRejected()
    {
        string toml = RuleFiles.Eql("process where true | unique process.name");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "| unique");
        Assert.That(diagnostic.GetMessage(), Does.Contain("Elasticsearch does not support it"));
    }

    [Test]
    public void FieldToFieldComparisonIsRejected()
    {
        string toml = RuleFiles.Eql("process where process.pid == process.parent.pid");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "process.pid ==");
        Assert.That(diagnostic.GetMessage(), Does.Contain("cannot compare a field to another field"));
    }

    [Test]
    public void FieldInInListIsRejected()
    {
        string toml = RuleFiles.Eql("process where process.name in (\"a\", process.title)");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "process.title)");
        Assert.That(diagnostic.GetMessage(), Does.Contain("only literal values"));
    }

    [Test]
    public void LiteralOfWrongTypeIsInvalidArgument()
    {
        string toml = RuleFiles.Eql("process where length(42) > 1");

        var diagnostic = Single(toml, "CMP013");

        AssertAt(diagnostic, toml, "42)");
        Assert.That(diagnostic.GetMessage(), Is.EqualTo("Argument 1 of 'length' is invalid: '42' is not a string"));
    }

    [Test]
    public void NonLiteralCidrBlockIsInvalidArgument()
    {
        string toml = RuleFiles.Eql("network where cidrMatch(destination.ip, source.ip)");

        var diagnostic = Single(toml, "CMP013");

        AssertAt(diagnostic, toml, "source.ip)");
    }

    [Test]
    public void SingleStageSequenceIsRejected()
    {
        string toml = RuleFiles.Eql("sequence [process where true]");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "sequence [");
        Assert.That(diagnostic.GetMessage(), Does.Contain("at least two stages"));
    }

    [TestCase("sequence by host.id [process where true] [network where true]", "sequence")]
    [TestCase("sample by host.id [process where true] [network where true]", "sample")]
    public void SuppressedSequenceWarns(string query, string kind)
    {
        const string Suppression = "[rule.alert_suppression]\ngroup_by = [\"host.id\"]\n";
        string toml = RuleFiles.Eql(query) + "\n" + Suppression;

        var diagnostic = Single(toml, "CMP042");

        AssertAt(diagnostic, toml, "rule.alert_suppression]");
        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(diagnostic.GetMessage(), Does.Contain("EQL " + kind + " query"));
        var output = GeneratorHarness.Run(new InMemoryRuleFile(Path, toml));
        Assert.That(output.Sources, Has.Count.EqualTo(2), "the rule is still generated");
        var single = GeneratorHarness.Run(new InMemoryRuleFile(Path, RuleFiles.Eql("process where true") + "\n" + Suppression));
        Assert.That(single.GeneratorDiagnostics.Where(d => d.Id == "CMP042"), Is.Empty);
    }

    [Test]
    public void UnknownFunctionPointsAtName()
    {
        string toml = RuleFiles.Eql("process where fooBar(process.name)");

        var diagnostic = Single(toml, "CMP011");

        AssertAt(diagnostic, toml, "fooBar(");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'fooBar'").And.Contain("cidrMatch"));
    }

    [Test]
    public void WrongArgumentCountPointsAtCall()
    {
        string toml = RuleFiles.Eql("network where cidrMatch(destination.ip)");

        var diagnostic = Single(toml, "CMP012");

        AssertAt(diagnostic, toml, "cidrMatch(");
        Assert.That(diagnostic.GetMessage(), Is.EqualTo("The function 'cidrMatch' takes at least 2 arguments, but 1 were given"));
    }

    [Test]
    public void TildeOnFunctionWithoutCaseInsensitiveForm()
    {
        string toml = RuleFiles.Eql("network where cidrMatch~(destination.ip, \"10.0.0.0/8\")");

        var diagnostic = Single(toml, "CMP013");

        AssertAt(diagnostic, toml, "cidrMatch~");
        Assert.That(diagnostic.GetMessage(), Does.StartWith("The '~' form of 'cidrMatch' is invalid"));
    }

    [Test]
    public void InvalidCidrPointsAtLiteral()
    {
        string toml = RuleFiles.Eql("network where cidrmatch(destination.ip, \"10.0.0.0/8\", \"10.0.0.300/8\")");

        var diagnostic = Single(toml, "CMP014");

        AssertAt(diagnostic, toml, "\"10.0.0.300/8\"");
    }

    [Test]
    public void InvalidMaxspanPointsAtValue()
    {
        string toml = RuleFiles.Eql("sequence with maxspan=5x [process where true] [network where true]");

        var diagnostic = Single(toml, "CMP015");

        AssertAt(diagnostic, toml, "5x");
        Assert.That(diagnostic.GetMessage(), Does.StartWith("'5x' is not a valid maxspan"));
    }

    [Test]
    public void SampleWithRunsIsRejected()
    {
        string toml = RuleFiles.Eql("sample by host.id [process where true] with runs=2 [network where true]");

        var diagnostic = Single(toml, "CMP010");

        AssertAt(diagnostic, toml, "[process where true] with");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'with runs' is not allowed in a sample query"));
    }

    [Test]
    public void InvalidRegexPointsAtPattern()
    {
        string toml = RuleFiles.Eql("process where process.name regex (\"cmd.*\", \"(unclosed\")");

        var diagnostic = Single(toml, "CMP017");

        AssertAt(diagnostic, toml, "\"(unclosed");
        Assert.That(diagnostic.GetMessage(), Does.StartWith("'(unclosed' is not a valid Lucene regular expression"));
        AssertNoRuleCode(toml);
    }

    [Test]
    public void LuceneRuleGetsWarningAndNoCode()
    {
        string toml = RuleFiles.Eql("process.name:cmd.exe").Replace("type = \"eql\"", "type = \"query\"").Replace("language = \"eql\"", "language = \"lucene\"");

        var diagnostic = Single(toml, "CMP020");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(diagnostic.GetMessage(), Does.Contain("'lucene'"));
        AssertAt(diagnostic, toml, "\"query\"");
        AssertNoRuleCode(toml);
    }

    [TestCase("machine_learning")]
    [TestCase("esql")]
    public void ElasticsearchOnlyTypeGetsInfoAndNoCode(string type)
    {
        string toml = RuleFiles.Eql("from logs-*").Replace("type = \"eql\"", $"type = \"{type}\"").Replace("language = \"eql\"", "language = \"esql\"");

        var diagnostic = Single(toml, "CMP021");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Info));
        Assert.That(diagnostic.GetMessage(), Does.Contain($"'{type}'"));
        AssertAt(diagnostic, toml, $"\"{type}\"");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void UnreadableFileBecomesInternalError()
    {
        var output = GeneratorHarness.Run(new ThrowingRuleFile("/rules/locked.toml"));

        var diagnostic = output.GeneratorDiagnostics.Single();
        Assert.That(diagnostic.Id, Is.EqualTo("CMP999"));
        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(diagnostic.GetMessage(), Does.Contain("locked.toml").And.Contain("disk on fire"));
        Assert.That(diagnostic.Location.GetLineSpan().Path, Is.EqualTo("/rules/locked.toml"));
        Assert.That(diagnostic.Location.GetLineSpan().StartLinePosition, Is.EqualTo(new LinePosition(0, 0)), "an unreadable file has no text to point into");
    }

    [Test]
    public void RequiredFieldWithoutTypePointsAtItsTable()
    {
        string toml = RuleFiles.Eql("process where true") + "\n[[rule.required_fields]]\nname = \"package.version\"\n";

        var diagnostic = Single(toml, "CMP002");

        AssertAt(diagnostic, toml, "rule.required_fields]]");
        Assert.That(diagnostic.GetMessage(), Does.Contain("'type'"));
        AssertNoRuleCode(toml);
    }

    [Test]
    public void RequiredFieldTypeMustBeString()
    {
        string toml = RuleFiles.Eql("process where true") + "\n[[rule.required_fields]]\nname = \"package.version\"\ntype = 3\n";

        var diagnostic = Single(toml, "CMP003");

        AssertAt(diagnostic, toml, "3\n");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void EventCategoryOverrideMustBeString()
    {
        string toml = RuleFiles.Eql("process where true", extra: "event_category_override = [\"event.type\"]");

        var diagnostic = Single(toml, "CMP003");

        AssertAt(diagnostic, toml, "[\"event.type\"]");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void ValidRuleHasNoDiagnostics()
    {
        var output = GeneratorHarness.Run("rule.toml", RuleFiles.Eql("process where process.name == \"cmd.exe\""));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Assert.That(output.Sources.Keys, Does.Contain("TestRule.g.cs"));
    }

    private static Diagnostic Single(string toml, string id)
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(Path, toml));
        var matching = output.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.That(matching, Has.Count.EqualTo(1), "diagnostics: " + string.Join("; ", output.GeneratorDiagnostics));
        Assert.That(matching[0].Location.GetLineSpan().Path, Is.EqualTo(Path));
        return matching[0];
    }

    /// <summary>Asserts that the diagnostic starts where <paramref name="marker"/> first occurs in the file.</summary>
    private static void AssertAt(Diagnostic diagnostic, string toml, string marker, bool fromEnd = false)
    {
        int offset = fromEnd ? toml.LastIndexOf(marker, StringComparison.Ordinal) : toml.IndexOf(marker, StringComparison.Ordinal);
        Assert.That(offset, Is.GreaterThanOrEqualTo(0), $"the test text has no '{marker}'");
        var expected = SourceText.From(toml).Lines.GetLinePosition(offset);
        var actual = diagnostic.Location.GetLineSpan().StartLinePosition;
        Assert.That(actual, Is.EqualTo(expected), $"{diagnostic.Id} should start at '{marker}'");
    }

    private static void AssertNoRuleCode(string toml)
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(Path, toml));
        Assert.That(output.Sources.Keys, Is.EquivalentTo(new[] { "RuleCatalog.g.cs" }));
    }

    private sealed class ThrowingRuleFile(string path) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) =>
            throw new IOException("disk on fire");
    }
}
