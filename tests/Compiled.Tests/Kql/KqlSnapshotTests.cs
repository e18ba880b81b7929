using Compiled.Tests.Support;

namespace Compiled.Tests.Kql;

/// <summary>Golden files of the generated matchers of KQL rules, one rule per group of constructs.</summary>
public class KqlSnapshotTests
{
    [Test]
    public void KeywordConstructsMatchSnapshot()
    {
        string query = """
            event.category:process and process.name:(cmd.exe or "power shell.exe") and process.executable:C\:\\Windows\\*
              and not process.args:(-enc or \*) and process.parent.name:* and host.name > m
            """;

        Verify("KqlKeywords", RuleFiles.Kql(query, name: "Kql Keywords"));
    }

    [Test]
    public void TypedFieldsMatchSnapshot()
    {
        string query = """
            source.ip:(10.0.0.0/8 or "::1") and process.pid >= 4 and process.pid:7 and @timestamp < "2024-01-02"
              and dll.code_signature.trusted:false and process.command_line.text:("encoded command" or power*) and file.hash.*:abc
              and process.parent:{ name:cmd.exe }
            """;

        Verify("KqlTypedFields", RuleFiles.Kql(query, name: "Kql Typed Fields"));
    }

    [Test]
    public void FiltersMatchSnapshot()
    {
        const string filters = """
            [[rule.filters]]
            [rule.filters.meta]
            negate = true
            [rule.filters.query.wildcard."file.path"]
            case_insensitive = true
            value = "?:\\\\Program Files\\\\*"

            [[rule.filters]]
            [rule.filters.query.bool]
            [[rule.filters.query.bool.should]]
            [rule.filters.query.bool.should.match_phrase]
            "event.module" = "endpoint"
            [[rule.filters.query.bool.should]]
            [rule.filters.query.bool.should.exists]
            field = "file.hash.sha256"
            """;

        Verify("KqlFilters", RuleFiles.Kql("event.category:file", name: "Kql Filters", after: filters));
    }

    private static void Verify(string className, string toml)
    {
        var output = GeneratorHarness.RunWithEcs("rule.toml", toml);

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify(className, output.Sources[className + ".g.cs"]);
    }
}
