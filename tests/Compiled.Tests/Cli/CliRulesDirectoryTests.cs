using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>
/// Builds the command line with <c>-p:CompiledRulesDirectory</c> pointing at a folder of its own. The
/// property must reach src/Compiled.Rules, which compiles the built-in rules, through the project
/// reference. The build goes to a temporary artifacts folder, so the command line that the other tests
/// run keeps the repository's rules.
/// </summary>
public class CliRulesDirectoryTests
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

    private const string RuleId = "0f6c3d0e-2b7a-4c55-9e41-5b7f8a2d9c13";

    private string _work = null!;
    private string _rules = null!;
    private string _artifacts = null!;

    [OneTimeSetUp]
    public void CreateRulesFolder()
    {
        _work = Directory.CreateTempSubdirectory("compiled-rules-directory-").FullName;
        _rules = Path.Combine(_work, "rules");
        _artifacts = Path.Combine(_work, "artifacts");
        Directory.CreateDirectory(_rules);
        File.WriteAllText(Path.Combine(_rules, "whoami.toml"), $"""
            [rule]
            rule_id = "{RuleId}"
            name = "Whoami Started"
            description = "A process named whoami started."
            risk_score = 21
            severity = "low"
            type = "eql"
            language = "eql"
            query = 'process where event.type == "start" and process.name == "whoami"'
            """);
    }

    [OneTimeTearDown]
    public void DeleteWorkFolder()
    {
        if (_work is not null && Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Test, Order(1)]
    public void CliBuildCompilesGivenRules()
    {
        var build = BuildCli();
        Assert.That(build.ExitCode, Is.EqualTo(0), build.ToString());

        string compiledDll = Path.Combine(_artifacts, "bin", "Compiled.Cli", "release", "compiled.dll");
        var listing = ProcessRunner.Run("dotnet", [compiledDll, "rules"], Paths.Repository, null, TimeSpan.FromMinutes(1));

        Assert.That(listing.ExitCode, Is.EqualTo(0), listing.ToString());
        Assert.That(listing.StandardOutput, Does.Match(RuleId + @"\s+Whoami Started\s+eql\s+low\s+eql\s+yes"));
        Assert.That(listing.StandardOutput, Does.Contain("1 rule(s), 1 compiled."));
        Assert.That(listing.StandardOutput, Does.Not.Contain("99239e7d-b0d4-46e3-8609-acafcf99f68c"), "the repository's rule is not built in");
    }

    [Test, Order(2)]
    public void BrokenRuleFailsCliBuild()
    {
        string broken = Path.Combine(_rules, "broken.toml");
        File.WriteAllText(broken, "[rule]\nname = \"Broken\"\nrisk_score = = 5\n");
        try
        {
            var build = BuildCli();

            Assert.That(build.ExitCode, Is.Not.EqualTo(0), build.ToString());
            Assert.That(build.StandardOutput, Does.Contain("broken.toml(3,14): error CMP001"), "the rules project runs no analyzers, but the generator still reports");
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Test, Order(3)]
    public void RelativeFolderStartsFromBuildFolder()
    {
        var build = BuildCli("rules", _work);
        Assert.That(build.ExitCode, Is.EqualTo(0), build.ToString());

        var listing = RunBuiltCli("rules");

        Assert.That(listing.StandardOutput, Does.Contain(RuleId));
        Assert.That(listing.StandardOutput, Does.Contain("1 rule(s), 1 compiled."));
    }

    [Test, Order(4)]
    public void EmptyFolderWarnsAndScanFails()
    {
        string empty = Path.Combine(_work, "empty");
        Directory.CreateDirectory(empty);
        string events = Path.Combine(_work, "events.ndjson");
        File.WriteAllText(events, """{"@timestamp": "2024-01-01T00:00:00Z", "event": {"category": "process", "type": "start"}, "process": {"name": "whoami"}}""" + "\n");

        var build = BuildCli(empty, Paths.Repository);
        Assert.That(build.ExitCode, Is.EqualTo(0), build.ToString());
        Assert.That(build.StandardOutput, Does.Contain("warning CMP043"));
        Assert.That(build.StandardOutput, Does.Contain(empty));

        var scan = RunBuiltCli("scan", events);

        Assert.That(scan.ExitCode, Is.EqualTo(1), scan.ToString());
        Assert.That(scan.StandardError, Does.Contain("no rule is built into this command"));
    }

    private ProcessResult BuildCli() => BuildCli(_rules, Paths.Repository);

    private ProcessResult BuildCli(string rulesDirectory, string workingDirectory) => ProcessRunner.Run(
        "dotnet",
        ["build", Path.Combine(Paths.Repository, "src/Compiled.Cli/Compiled.Cli.csproj"), "-c", "Release", "--artifacts-path", _artifacts, "-p:CompiledRulesDirectory=" + rulesDirectory],
        workingDirectory,
        null,
        BuildTimeout);

    private ProcessResult RunBuiltCli(params string[] arguments) => ProcessRunner.Run(
        "dotnet",
        [Path.Combine(_artifacts, "bin", "Compiled.Cli", "release", "compiled.dll"), .. arguments],
        Paths.Repository,
        null,
        TimeSpan.FromMinutes(1));
}
