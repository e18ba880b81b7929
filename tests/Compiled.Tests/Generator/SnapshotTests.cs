using Compiled.Tests.Support;

namespace Compiled.Tests.Generator;

public class SnapshotTests
{
    [Test]
    public void SeedRuleClassMatchesSnapshot()
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(Paths.SeedRule, File.ReadAllText(Paths.SeedRule)));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("MacOSInstallerSpawnsNetworkEvent", output.Sources["MacOSInstallerSpawnsNetworkEvent.g.cs"]);
    }

    [Test]
    public void CatalogMatchesSnapshot()
    {
        var output = GeneratorHarness.Run(new InMemoryRuleFile(Paths.SeedRule, File.ReadAllText(Paths.SeedRule)));

        Snapshot.Verify("RuleCatalog", output.Sources["RuleCatalog.g.cs"]);
    }

    [Test]
    public void EventQueryOperatorsMatchSnapshot()
    {
        string query = """
            process where process.name : ("cmd.exe", "power*.exe") and process.pid > 4 and
              not process.args like~ "*-enc*" and user.name != null and process.parent.name in~ ("explorer.exe") and
              (process.exit_code == 0 or process.working_directory == "C:\\Windows") and 10 >= process.args_count
            """;
        var output = GeneratorHarness.Run("operators.toml", RuleFiles.Eql(query, name: "Operator Families"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("OperatorFamilies", output.Sources["OperatorFamilies.g.cs"]);
    }

    [Test]
    public void ComputedConditionsMatchSnapshot()
    {
        string query = """
            process where length(process.name) > 3 and startsWith~(concat(user.domain, "\\", user.name), "corp\\") and
              not stringContains(process.command_line, "-nop") and process.pid % 2 == 0 and cidrMatch(string(source.ip), "10.0.0.0/8")
            """;
        var output = GeneratorHarness.Run("computed.toml", RuleFiles.Eql(query, name: "Computed Conditions"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("ComputedConditions", output.Sources["ComputedConditions.g.cs"]);
    }

    [Test]
    public void LongPatternAndValueListsMatchSnapshot()
    {
        var names = Enumerable.Range(1, 12).Select(i => $"\"tool{i}.exe\"");
        var substrings = Enumerable.Range(1, 8).Select(i => $"\"*-flag{i}*\"");
        string query = $"process where process.name : ({string.Join(", ", names)}, \"*.ps1\", \"sys*\", \"a?c.exe\") and " +
            $"process.command_line like~ ({string.Join(", ", substrings)}) and process.parent.name in ({string.Join(", ", names)})";
        var output = GeneratorHarness.Run("lists.toml", RuleFiles.Eql(query, name: "Long Lists"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("LongLists", output.Sources["LongLists.g.cs"]);
    }

    [Test]
    public void SequenceWithMissingStageMatchesSnapshot()
    {
        string query = """
            sequence by host.id with maxspan=5m
              [process where event.type == "start" and process.name : "*.tmp"] by process.entity_id
              ![network where true] by process.entity_id
              [file where event.type == "deletion"] by process.entity_id
            until [process where event.type == "end"] by process.entity_id
            """;
        var output = GeneratorHarness.Run("sequence.toml", RuleFiles.Eql(query, name: "Temp Process Deletes Itself Offline"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("SequenceWithMissingStage", output.Sources["TempProcessDeletesItselfOffline.g.cs"]);
    }

    [Test]
    public void SampleMatchesSnapshot()
    {
        string query = """
            sample by host.id
              [process where process.name regex~ "(power|pwsh).*"] by user.name
              [network where destination.port in (4444, 8443)] by user.name
            """;
        var output = GeneratorHarness.Run("sample.toml", RuleFiles.Eql(query, name: "Shell And Odd Port"));

        Assert.That(output.GeneratorDiagnostics, Is.Empty);
        Assert.That(output.CompileErrors, Is.Empty);
        Snapshot.Verify("Sample", output.Sources["ShellAndOddPort.g.cs"]);
    }
}
