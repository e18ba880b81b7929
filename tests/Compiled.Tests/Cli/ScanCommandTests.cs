using System.Text.RegularExpressions;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>Runs the real <c>compiled</c> executable as a user would.</summary>
public class ScanCommandTests
{
    [Test]
    public void ScanSamplesPrintsSeedAlerts()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(AlertLines(result), Has.Count.EqualTo(6));
        Assert.That(result.StandardOutput, Does.Contain("\"kibana.alert.rule.name\":\"macOS Installer Spawns Network Event\""));
        Assert.That(Count(result, "lines read"), Is.EqualTo(14));
        Assert.That(Count(result, "alerts written"), Is.EqualTo(6));
    }

    [Test]
    public void RulesFolderMatchesBuiltInAlerts()
    {
        string folder = Directory.CreateTempSubdirectory("compiled-rules-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));

        var builtIn = ProcessRunner.RunCompiled(null, "scan", "samples/");
        var compiled = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");

        Assert.That(compiled.ExitCode, Is.EqualTo(0), compiled.ToString());
        Assert.That(AlertLines(compiled), Has.Count.EqualTo(6));
        Assert.That(compiled.StandardOutput, Is.EqualTo(builtIn.StandardOutput));
    }

    [Test]
    public void StandardInputAndOutputFileWork()
    {
        string output = Path.Combine(Directory.CreateTempSubdirectory("compiled-out-").FullName, "alerts.ndjson");
        string events = File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));

        var result = ProcessRunner.RunCompiled(events, "scan", "--output", output, "-");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Is.Empty);
        Assert.That(File.ReadAllLines(output), Has.Length.EqualTo(6));
    }

    [Test]
    public void CorpusEventsScanCountsEveryLine()
    {
        var files = Directory.EnumerateFiles(Paths.CorpusEvents, "*", SearchOption.AllDirectories)
            .Where(path => path.EndsWith(".ndjson", StringComparison.Ordinal) || path.EndsWith(".json", StringComparison.Ordinal))
            .ToList();
        long expectedLines = files.Sum(path => File.ReadAllText(path).TrimEnd('\n').Split('\n').Length);

        var result = ProcessRunner.RunCompiled(null, "scan", Paths.CorpusEvents);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        long read = Count(result, "lines read");
        long evaluated = Count(result, "events evaluated");
        long rejected = Count(result, "lines rejected");
        Assert.That(read, Is.EqualTo(expectedLines));
        Assert.That(evaluated + rejected, Is.EqualTo(read));
        Assert.That(evaluated, Is.GreaterThan(1000));
        Assert.That(result.StandardError, Does.Contain("missing @timestamp"));
        Assert.That(result.StandardError, Does.Match(@"\.ndjson:\d+: missing @timestamp"));
    }

    [Test]
    public void MissingInputIsAnError()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "no/such/file.ndjson");

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError, Does.Contain("input not found: no/such/file.ndjson"));
    }

    [Test]
    public void BrokenRulesFolderListsDiagnosticsAndScansNothing()
    {
        string folder = Directory.CreateTempSubdirectory("compiled-broken-").FullName;
        File.WriteAllText(Path.Combine(folder, "broken.toml"), "[rule]\nname = = \"x\"\n");

        var result = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.Contain("broken.toml(2,8): error CMP001"));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    private static List<string> AlertLines(ProcessResult result) =>
        result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static long Count(ProcessResult result, string label)
    {
        var match = Regex.Match(result.StandardError, $@"^\s*{Regex.Escape(label)}:\s+(\d+)", RegexOptions.Multiline);
        Assert.That(match.Success, Is.True, $"no '{label}' in the summary:\n{result.StandardError}");
        return long.Parse(match.Groups[1].Value);
    }
}
