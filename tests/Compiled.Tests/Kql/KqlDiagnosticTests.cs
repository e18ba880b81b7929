using Compiled.Tests.Support;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Compiled.Tests.Kql;

/// <summary>
/// KQL diagnostics: the id, the severity and the exact line and column of the offending text inside the
/// .toml file, with no code for a rule that has an error.
/// </summary>
public class KqlDiagnosticTests
{
    private const string FilePath = "/rules/rule.toml";

    [TestCase("process.name:(a or b", "(", "the '(' is never closed")]
    [TestCase("process.name:\"cmd.exe", "\"cmd.exe", "the quoted value is never closed")]
    [TestCase("process.name:a b:c", ":c", "expected 'and', 'or' or the end of the query")]
    [TestCase("process.name:a and", "d", "expected a field name or a value, but the query ends")]
    [TestCase("process.name:", ":", "expected a value")]
    [TestCase("process.name:a)", ")", "unmatched ')'")]
    [TestCase("process.name:a\\qb", "\\q", "'\\q' is not a KQL escape")]
    [TestCase("process.name:a\\unb", "\\u", "'\\u' must be followed by four hexadecimal digits")]
    [TestCase("custom.ls:\\ud800zz", "\\ud800", "'\\ud800' is half of a surrogate pair")]
    [TestCase("custom.ls:\"a\\udc00\"", "\\udc00", "'\\udc00' is half of a surrogate pair")]
    [TestCase("custom.ls:\\uD83D\\u0041", "\\uD83D", "'\\uD83D' is half of a surrogate pair")]
    [TestCase("process.name:{ name:a", "{", "the '{' is never closed")]
    [TestCase("cmd.exe", "cmd.exe", "has no field name")]
    public void SyntaxErrorPointsAtText(string query, string marker, string message)
    {
        string toml = RuleFiles.Kql(query);

        var diagnostic = Single(toml, "CMP030");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(diagnostic.GetMessage(), Does.Contain(message));
        AssertAt(diagnostic, toml, query, marker);
        AssertNoRuleCode(toml);
    }

    [TestCase("source.ip:10.0.0.0/33", "10.0.0.0/33", "type ip")]
    [TestCase("source.ip:10.*", "10.*", "without wildcards")]
    [TestCase("process.pid:abc", "abc", "type long")]
    [TestCase("process.pid > x1", "x1", "type long")]
    [TestCase("@timestamp > now-1d", "now-1d", "date math")]
    [TestCase("@timestamp:yesterday", "yesterday", "type date")]
    [TestCase("dll.code_signature.trusted:yes", "yes", "type boolean")]
    [TestCase("source.ip > 10.0.0.1", "10.0.0.1", "ranges only on keyword, numeric and date fields")]
    [TestCase("process.name.caseless > abc", "abc", "ranges on a lowercase-normalized .caseless field")]
    public void ValueOfWrongTypePointsAtValue(string query, string marker, string message)
    {
        string toml = RuleFiles.Kql(query);

        var diagnostic = Single(toml, "CMP031");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(diagnostic.GetMessage(), Does.Contain(message));
        AssertAt(diagnostic, toml, query, marker);
        AssertNoRuleCode(toml);
    }

    [Test]
    public void ErrorOnLaterLinePointsAtItsColumn()
    {
        string query = "event.category:process and\n  process.pid:12x";
        string toml = RuleFiles.Kql(query);

        var diagnostic = Single(toml, "CMP031");

        AssertAt(diagnostic, toml, query, "12x");
    }

    [Test]
    public void UnsupportedFilterPointsAtIt()
    {
        const string filter = """
            [[rule.filters]]
            [rule.filters.query.regexp."process.name"]
            value = "cmd.*"
            """;
        string toml = RuleFiles.Kql("process.name:a", after: filter);

        var diagnostic = Single(toml, "CMP032");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Error));
        Assert.That(diagnostic.GetMessage(), Does.Contain("'regexp'"));
        Assert.That(diagnostic.Location.GetLineSpan().StartLinePosition.Line, Is.EqualTo(LineOf(toml, "[rule.filters.query.regexp")));
        AssertNoRuleCode(toml);
    }

    [TestCase("process.pid", "4")]
    [TestCase("message", "\"hello\"")]
    public void CaseInsensitiveTermOffKeywordIsRejected(string field, string value)
    {
        string filter = $"""
            [[rule.filters]]
            [rule.filters.query.term."{field}"]
            value = {value}
            case_insensitive = true
            """;
        string toml = RuleFiles.Kql("process.name:a", after: filter);

        var diagnostic = Single(toml, "CMP032");

        Assert.That(diagnostic.GetMessage(), Does.Contain("'case_insensitive' on a 'term' query needs a keyword field"));
        AssertAt(diagnostic, toml, "case_insensitive = true", "true");
        AssertNoRuleCode(toml);
    }

    [Test]
    public void MissingEcsFileWarnsOnceAndUsesKeywords()
    {
        var output = GeneratorHarness.Run(
            new InMemoryRuleFile("/rules/a.toml", RuleFiles.Kql("process.pid:abc", name: "Rule A", ruleId: "1c2d3e4f-0000-4000-8000-00000000000a")),
            new InMemoryRuleFile("/rules/b.toml", RuleFiles.Kql("source.ip:x", name: "Rule B", ruleId: "1c2d3e4f-0000-4000-8000-00000000000b")));

        var warnings = output.GeneratorDiagnostics.Where(d => d.Id == "CMP033").ToList();
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0].Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(warnings[0].Location.GetLineSpan().Path, Is.EqualTo("/rules/a.toml"));

        // As keywords, a word on a long field and on an ip field is no error.
        Assert.That(output.GeneratorDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error), Is.Empty);
        Assert.That(output.Sources.Keys, Does.Contain("RuleA.g.cs").And.Contain("RuleB.g.cs"));
    }

    [Test]
    public void EcsFileSilencesMissingFileWarning()
    {
        var output = GeneratorHarness.RunWithEcs("rule.toml", RuleFiles.Kql("process.pid:4"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
    }

    [Test]
    public void EqlOnlyBuildDoesNotWarnAboutEcs()
    {
        var output = GeneratorHarness.Run("rule.toml", RuleFiles.Eql("process where true"));

        Assert.That(output.GeneratorDiagnostics.Where(d => d.Id == "CMP033"), Is.Empty);
    }

    [Test]
    public void UnknownFieldPatternReportsInfo()
    {
        string query = "azure.auditlogs.properties.target_resources.*.type:User";
        string toml = RuleFiles.Kql(query);

        var diagnostic = Single(toml, "CMP034");

        Assert.That(diagnostic.Severity, Is.EqualTo(DiagnosticSeverity.Info));
        AssertAt(diagnostic, toml, query, "azure");
    }

    [Test]
    public void InvalidEcsFileWarns()
    {
        var output = GeneratorHarness.Run(
            new InMemoryRuleFile("/rules/rule.toml", RuleFiles.Kql("process.pid:4")),
            new InMemoryRuleFile("/ecs/fields.csv", "Field,Type\n\"unterminated"));

        var invalid = output.GeneratorDiagnostics.Single(d => d.Id == "CMP035");
        Assert.That(invalid.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(invalid.GetMessage(), Does.Contain("never closed"));
        Assert.That(invalid.Location.GetLineSpan().Path, Is.EqualTo("/ecs/fields.csv"));
        Assert.That(output.GeneratorDiagnostics.Select(d => d.Id), Does.Contain("CMP033"));
    }

    private static Diagnostic Single(string toml, string id)
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);
        var matching = output.GeneratorDiagnostics.Where(d => d.Id == id).ToList();
        Assert.That(matching, Has.Count.EqualTo(1), "diagnostics: " + string.Join("; ", output.GeneratorDiagnostics));
        Assert.That(matching[0].Location.GetLineSpan().Path, Is.EqualTo(FilePath));
        return matching[0];
    }

    /// <summary>Checks that the diagnostic starts at <paramref name="marker"/> inside the query of the file.</summary>
    private static void AssertAt(Diagnostic diagnostic, string toml, string query, string marker)
    {
        int queryStart = toml.IndexOf(query.Split('\n')[0], StringComparison.Ordinal);
        Assert.That(queryStart, Is.GreaterThanOrEqualTo(0), "the test file has no query");
        int offset = toml.IndexOf(marker, queryStart, StringComparison.Ordinal);
        Assert.That(offset, Is.GreaterThanOrEqualTo(0), $"the query has no '{marker}'");
        var expected = SourceText.From(toml).Lines.GetLinePosition(offset);
        Assert.That(diagnostic.Location.GetLineSpan().StartLinePosition, Is.EqualTo(expected), $"{diagnostic.Id} should start at '{marker}'");
    }

    private static int LineOf(string toml, string marker) =>
        SourceText.From(toml).Lines.GetLinePosition(toml.IndexOf(marker, StringComparison.Ordinal)).Line;

    private static void AssertNoRuleCode(string toml)
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(FilePath, toml), GeneratorHarness.EcsFields);
        Assert.That(output.Sources.Keys, Is.EquivalentTo(new[] { "RuleCatalog.g.cs" }));
    }
}
