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
}
