using System.Reflection;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Generator;

public class EmissionTests
{
    [Test]
    public void SeedRuleMetadataIsTyped()
    {
        var rule = Scan.CompileSeedRule().Rules.Single().Descriptor;

        Assert.That(rule.RuleId, Is.EqualTo(Guid.Parse("99239e7d-b0d4-46e3-8609-acafcf99f68c")));
        Assert.That(rule.Name, Is.EqualTo("macOS Installer Spawns Network Event"));
        Assert.That(rule.Severity, Is.EqualTo(Severity.Medium));
        Assert.That(rule.RiskScore, Is.EqualTo(47));
        Assert.That(rule.Type, Is.EqualTo("eql"));
        Assert.That(rule.Language, Is.EqualTo("eql"));
        Assert.That(rule.From, Is.EqualTo("now-9m"));
        Assert.That(rule.Interval, Is.EqualTo("5m"));
        Assert.That(rule.MaxSignals, Is.EqualTo(100));
        Assert.That(rule.TimestampOverride, Is.EqualTo("event.ingested"));
        Assert.That(rule.Index, Is.EqualTo(new[] { "logs-endpoint.events.*" }));
        Assert.That(rule.Tags, Does.Contain("macOS"));
        Assert.That(rule.References, Has.Count.EqualTo(2));
        Assert.That(rule.FalsePositives.Single(), Does.Contain("cURL"));
        Assert.That(rule.Author, Is.EqualTo(new[] { "Elastic" }));
        Assert.That(rule.License, Is.EqualTo("Elastic License v2"));
        Assert.That(rule.Maturity, Is.EqualTo(Maturity.Production));
        Assert.That(rule.CreationDate, Is.EqualTo(new DateOnly(2021, 2, 23)));
        Assert.That(rule.UpdatedDate, Is.EqualTo(new DateOnly(2021, 8, 3)));
        Assert.That(rule.Query, Does.StartWith("sequence by process.entity_id with maxspan=1m"));
        Assert.That(rule.Threat.Select(t => t.Tactic!.Id), Is.EqualTo(new[] { "TA0002", "TA0011" }));
        Assert.That(rule.Threat[0].Techniques.Single().Id, Is.EqualTo("T1059"));
        Assert.That(rule.Threat[0].Techniques.Single().Subtechniques.Single().Name, Is.EqualTo("JavaScript"));
        Assert.That(rule.Threat[1].Techniques.Single().Subtechniques.Single().Reference, Is.EqualTo("https://attack.mitre.org/techniques/T1071/001/"));
    }

    [Test]
    public void PerEventMethodsAreFullyOptimized()
    {
        var rules = Scan.CompileRules(
            ("query.toml", RuleFiles.Eql(
                "process where process.name : (\"a*\", \"*b\") and length(process.command_line) > 3 and " +
                "process.args : \"-x\"", name: "Query Rule", ruleId: "1c2d3e4f-0000-4000-8000-000000000011")),
            ("sequence.toml", RuleFiles.Eql(
                "sequence by host.id [process where process.name == \"a\"] [network where destination.port == 22]",
                name: "Sequence Rule", ruleId: "1c2d3e4f-0000-4000-8000-000000000012")),
            ("kql.toml", RuleFiles.Kql("process.name:(a or b*) and not user.name:root", name: "Kql Rule")));

        var perEvent = rules.Rules
            .SelectMany(rule => rule.GetType().GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(method => method.GetParameters().Any(parameter => parameter.ParameterType == typeof(Compiled.Runtime.Events.EventRecord)))
            .ToList();

        // At least Evaluate and Match of each of the three rules.
        Assert.That(perEvent, Has.Count.GreaterThanOrEqualTo(6));
        foreach (var method in perEvent)
        {
            Assert.That(method.MethodImplementationFlags & MethodImplAttributes.AggressiveOptimization, Is.EqualTo(MethodImplAttributes.AggressiveOptimization),
                $"{method.DeclaringType!.Name}.{method.Name}");
        }
    }

    [Test]
    public void ConstantFilterCompilesWithoutWarnings()
    {
        const string filter = """
            [[rule.filters]]
            [rule.filters.query.bool]
            minimum_should_match = 0
            [[rule.filters.query.bool.should]]
            [rule.filters.query.bool.should.match_phrase]
            "host.name" = "a"
            """;
        var driver = GeneratorHarness.CreateDriver(new InMemoryRuleFile("/rules/r.toml", RuleFiles.Kql("process.name:a", after: filter)));

        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(), out var output, out _);

        var warnings = output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Warning).Select(d => d.ToString());
        Assert.That(warnings, Is.Empty);
    }

    [Test]
    public void HostileTextCompilesToExactStrings()
    {
        // Each of these would break or change generated code if it were pasted in unescaped.
        string name = "Evil */ \"\"\" rule {0} \\ end";
        string description = "line one\n#error injected\n}\u2028class X {}\u2029// \\u000A \r\n\"";
        string tag = "tag with \u0085 next line and \t tab";
        string query = "process where process.name == \"a\\\\b\\\"c\" and process.args : \"*\u2028*\" // comment */";
        string toml = $"""
            [rule]
            name = {TomlBasic(name)}
            description = {TomlBasic(description)}
            risk_score = 1
            rule_id = "1c2d3e4f-0000-4000-8000-0000000000aa"
            severity = "low"
            type = "eql"
            language = "eql"
            tags = [{TomlBasic(tag)}]
            query = {TomlBasic(query)}
            """;

        var output = GeneratorHarness.Run("hostile.toml", toml);
        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);

        var rule = Scan.CompileRules(("hostile.toml", toml)).Rules.Single().Descriptor;
        Assert.That(rule.Name, Is.EqualTo(name));
        Assert.That(rule.Description, Is.EqualTo(description));
        Assert.That(rule.Tags.Single(), Is.EqualTo(tag));
        Assert.That(rule.Query, Is.EqualTo(query));
    }

    [Test]
    public void HostileQueryMatchesExactly()
    {
        string query = "process where process.name == \"a\\\\b\\\"c\u2028\"";
        string toml = RuleFiles.Eql("x").Replace("query = '''\nx\n'''", "query = " + TomlBasic(query));
        var rules = Scan.CompileRules(("hostile.toml", toml));

        var hit = Scan.Run(rules, ["{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"a\\\\b\\\"c\\u2028\"}}"]);
        var miss = Scan.Run(rules, ["{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"a\\\\b\\\"c\"}}"]);

        Assert.That(hit.Events, Has.Count.EqualTo(1));
        Assert.That(miss.Events, Is.Empty);
    }

    [Test]
    public void ClassNamesComeFromRuleNames()
    {
        var output = GeneratorHarness.Run("r.toml", RuleFiles.Eql("process where true", name: "Potential 7-Zip / WinRAR exfil (via cmd.exe)"));

        Assert.That(output.Sources.Keys, Does.Contain("Potential7ZipWinRARExfilViaCmdExe.g.cs"));
    }

    [Test]
    public void ClassNameCollisionsAreResolvedByRuleId()
    {
        var a = new InMemoryRuleFile("/rules/a.toml", RuleFiles.Eql("process where true", name: "Same Name", ruleId: "aaaaaaaa-0000-4000-8000-000000000001"));
        var b = new InMemoryRuleFile("/rules/b.toml", RuleFiles.Eql("process where true", name: "Same  name!", ruleId: "bbbbbbbb-0000-4000-8000-000000000002"));

        var forward = GeneratorHarness.Run(a, b);
        var backward = GeneratorHarness.Run(b, a);

        var expected = new[] { "RuleCatalog.g.cs", "SameName_aaaaaaaa.g.cs", "SameName_bbbbbbbb.g.cs" };
        Assert.That(forward.Sources.Keys.Order(), Is.EqualTo(expected));
        Assert.That(backward.Sources.Keys.Order(), Is.EqualTo(expected));
        Assert.That(forward.CompileErrors, Is.Empty);
    }

    [TestCase("To String", "ToStringRule")]
    [TestCase("Get Hash Code", "GetHashCodeRule")]
    [TestCase("metadata", "MetadataRule")]
    [TestCase("match stage 1", "MatchStage1Rule")]
    public void NamesClashingWithMembersGetSuffix(string ruleName, string className)
    {
        var output = GeneratorHarness.Run("r.toml", RuleFiles.Eql("sequence [process where true] [network where true]", name: ruleName));

        Assert.That(output.Sources.Keys, Does.Contain(className + ".g.cs"));
        Assert.That(output.CompileErrors, Is.Empty);
    }

    [Test]
    public void VeryLongNamesAreShortened()
    {
        var output = GeneratorHarness.Run("r.toml", RuleFiles.Eql("process where true", name: new string('B', 100_000)));

        Assert.That(output.Sources.Keys, Does.Contain(new string('B', 100) + ".g.cs"));
        Assert.That(output.CompileErrors, Is.Empty);
    }

    [Test]
    public void FieldNamedSequenceDoesNotClash()
    {
        var output = GeneratorHarness.Run("r.toml", RuleFiles.Eql("sequence by `sequence` [process where `sequence` == 1] [network where true] until [file where true]"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
    }

    [Test]
    public void NamesClashingWithGeneratedTypesGetSuffix()
    {
        var output = GeneratorHarness.Run("r.toml", RuleFiles.Eql("process where true", name: "rule catalog"));

        Assert.That(output.Sources.Keys, Does.Contain("RuleCatalogRule.g.cs"));
        Assert.That(output.CompileErrors, Is.Empty);
    }

    [Test]
    public void HeadAndTailPipesAreExposed()
    {
        var rule = Scan.CompileRules(("pipes.toml", RuleFiles.Eql("process where true | head 5 | tail 2"))).Rules.Single();

        Assert.That(rule.Pipes, Is.EqualTo(new[] { new QueryPipe(QueryPipeKind.Head, 5), new QueryPipe(QueryPipeKind.Tail, 2) }));
    }

    [TestCase("| head 0")]
    [TestCase("| tail")]
    [TestCase("| head x")]
    public void InvalidPipeCountIsRejected(string pipe)
    {
        var output = GeneratorHarness.Run("pipes.toml", RuleFiles.Eql("process where true " + pipe));

        Assert.That(output.GeneratorDiagnostics.Select(d => d.Id), Is.EqualTo(new[] { "CMP010" }));
    }

    [Test]
    public void CatalogListsEveryRule()
    {
        var rules = Scan.CompileRules(
            ("one.toml", RuleFiles.Eql("process where true", name: "One", ruleId: "1c2d3e4f-0000-4000-8000-000000000011")),
            ("two.toml", RuleFiles.Eql("network where true", name: "Two", ruleId: "1c2d3e4f-0000-4000-8000-000000000012")));

        Assert.That(rules.Rules.Select(r => r.Descriptor.Name), Is.EquivalentTo(new[] { "One", "Two" }));
        Assert.That(rules.Schema.Fields, Does.Contain("event.category").And.Contain("@timestamp"));
    }

    /// <summary>Writes <paramref name="value"/> as a TOML basic string, escaping what TOML requires.</summary>
    private static string TomlBasic(string value)
    {
        var builder = new System.Text.StringBuilder("\"");
        foreach (char c in value)
        {
            builder.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when c < 0x20 || c == 0x7F => $"\\u{(int)c:X4}",
                _ => c.ToString(),
            });
        }

        return builder.Append('"').ToString();
    }
}
