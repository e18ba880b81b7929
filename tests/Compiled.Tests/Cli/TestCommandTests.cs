using System.Text.RegularExpressions;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>Runs <c>compiled test</c> on the repository's rules and on edited copies of them.</summary>
public class TestCommandTests
{
    private const string Seed = "macos_installer_spawns_network_event";

    [Test]
    public void RepositoryRulesPass()
    {
        var result = ProcessRunner.RunCompiled(null, "test", "rules/");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Does.Match($@"(?m)^PASS  rules/{Seed}\.toml: macOS Installer Spawns Network Event: 2 match\(es\) in {Seed}\.hits\.ndjson; none in {Seed}\.misses\.ndjson \(16 event\(s\)\)$"));
        Assert.That(result.StandardOutput, Does.Contain("1 rule(s): 1 passed, 0 failed, 0 skipped."));
    }

    [Test]
    public void HitsThatStopMatchingFail()
    {
        string folder = CopyOfRules();
        string hits = Path.Combine(folder, Seed + ".hits.ndjson");

        // Every network event now goes to a private address, which the rule excludes.
        File.WriteAllText(hits, Regex.Replace(File.ReadAllText(hits), "\"destination\":\\{\"ip\":\"[^\"]+\"", "\"destination\":{\"ip\":\"10.1.2.3\""));
        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain($"FAIL  {Path.Combine(folder, Seed)}.toml: "));
        Assert.That(result.StandardOutput, Does.Contain($"{Seed}.hits.ndjson raised no alert (4 event(s) evaluated)"));
        Assert.That(result.StandardOutput, Does.Contain("1 rule(s): 0 passed, 1 failed, 0 skipped."));
    }

    [Test]
    public void MissThatMatchesNamesItsLines()
    {
        string folder = CopyOfRules();
        string misses = Path.Combine(folder, Seed + ".misses.ndjson");
        var lines = File.ReadAllLines(misses);

        // Lines 1 and 2 are an installer's curl reaching a private mirror; a public address makes them an attack.
        Assert.That(lines[1], Does.Contain("\"10.44.0.12\""));
        lines[1] = lines[1].Replace("\"10.44.0.12\"", "\"104.18.32.47\"");
        File.WriteAllLines(misses, lines);
        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain($"{Seed}.misses.ndjson raised 1 match(es), the first from line(s) 1,2"));
    }

    [Test]
    public void MissesOutOfOrderStillFail()
    {
        string folder = CopyOfRules();
        string misses = Path.Combine(folder, Seed + ".misses.ndjson");
        string hits = Path.Combine(folder, Seed + ".hits.ndjson");

        // The attack events are 5 to 8 minutes older than the last benign event, so a 5-minute reorder
        // buffer would count them as late and the sequence would never see them.
        File.AppendAllText(misses, File.ReadAllText(hits));
        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain($"{Seed}.misses.ndjson raised 2 match(es)"));
        Assert.That(result.StandardOutput, Does.Contain("1 rule(s): 0 passed, 1 failed, 0 skipped."));
    }

    [Test]
    public void FolderWithoutRulesFails()
    {
        string folder = TempFolders.Create("compiled-test-empty-").FullName;

        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.Contain($"compiled: no rule file (*.toml) found in {folder}"));
    }

    [Test]
    public void RuleWithoutExamplesIsReported()
    {
        string folder = TempFolders.Create("compiled-test-bare-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "bare.toml"));

        var lenient = ProcessRunner.RunCompiled(null, "test", folder);
        var strict = ProcessRunner.RunCompiled(null, "test", "--require-examples", folder);

        Assert.That(lenient.ExitCode, Is.EqualTo(0), lenient.ToString());
        Assert.That(lenient.StandardOutput, Does.Contain("SKIP  "));
        Assert.That(lenient.StandardOutput, Does.Contain("no examples: add bare.hits.ndjson and bare.misses.ndjson beside the rule"));
        Assert.That(lenient.StandardOutput, Does.Contain("1 rule(s): 0 passed, 0 failed, 1 skipped."));
        Assert.That(strict.ExitCode, Is.EqualTo(1), strict.ToString());
        Assert.That(strict.StandardOutput, Does.Contain("1 rule(s): 0 passed, 1 failed, 0 skipped."));
    }

    [Test]
    public void BrokenRuleAndBadExampleLineFail()
    {
        string folder = TempFolders.Create("compiled-test-broken-").FullName;
        File.WriteAllText(Path.Combine(folder, "broken.toml"), RuleFiles.Eql("process where process.name == ", ruleId: "1c2d3e4f-0000-4000-8000-0000000000c1"));
        File.WriteAllText(Path.Combine(folder, "simple.toml"), RuleFiles.Eql("process where process.name == \"curl\"", name: "Curl", ruleId: "1c2d3e4f-0000-4000-8000-0000000000c2"));
        File.WriteAllText(Path.Combine(folder, "simple.hits.ndjson"),
            "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"curl\"}}\n{\"@timestamp\":\"2026-01-01T00:00:01Z\",\"process\":\n");
        File.WriteAllText(Path.Combine(folder, "orphan.misses.ndjson"), "");

        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Match(@"FAIL  .*broken\.toml: does not compile: \(\d+,\d+\) CMP010"));
        Assert.That(result.StandardOutput, Does.Match(@"FAIL  .*simple\.toml: simple\.hits\.ndjson:2 was rejected \(invalid JSON"));
        Assert.That(result.StandardOutput, Does.Match(@"WARN  .*orphan\.misses\.ndjson: no rule file of that name"));
        Assert.That(result.StandardOutput, Does.Contain("2 rule(s): 0 passed, 2 failed, 0 skipped."));
    }

    [Test]
    public void RejectedHitDoesNotHideMatchingMiss()
    {
        string folder = TempFolders.Create("compiled-test-both-").FullName;
        string curl = "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"curl\"}}\n";
        File.WriteAllText(Path.Combine(folder, "simple.toml"), RuleFiles.Eql("process where process.name == \"curl\"", name: "Curl", ruleId: "1c2d3e4f-0000-4000-8000-0000000000c4"));
        File.WriteAllText(Path.Combine(folder, "simple.hits.ndjson"), curl + "{\"@timestamp\":\"2026-01-01T00:00:01Z\",\"process\":\n");
        File.WriteAllText(Path.Combine(folder, "simple.misses.ndjson"), curl);

        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Match(@"FAIL  .*simple\.toml: simple\.hits\.ndjson:2 was rejected \(invalid JSON.*; simple\.misses\.ndjson raised 1 match\(es\), the first from line\(s\) 1"));
    }

    [Test]
    public void RejectedMissStillCountsItsMatches()
    {
        string folder = TempFolders.Create("compiled-test-misses-").FullName;
        string curl = "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"},\"process\":{\"name\":\"curl\"}}\n";
        File.WriteAllText(Path.Combine(folder, "simple.toml"), RuleFiles.Eql("process where process.name == \"curl\"", name: "Curl", ruleId: "1c2d3e4f-0000-4000-8000-0000000000c5"));
        File.WriteAllText(Path.Combine(folder, "simple.hits.ndjson"), "[1,2\n");
        File.WriteAllText(Path.Combine(folder, "simple.misses.ndjson"), curl + "[1,2\n");

        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain("simple.hits.ndjson raised no alert"));
        Assert.That(result.StandardOutput, Does.Contain("simple.misses.ndjson raised 1 match(es), the first from line(s) 1"));
    }

    [Test]
    public void UnsupportedRuleTypeIsSkipped()
    {
        string folder = TempFolders.Create("compiled-test-type-").FullName;
        File.WriteAllText(Path.Combine(folder, "ml.toml"), RuleFiles.Eql("x", ruleId: "1c2d3e4f-0000-4000-8000-0000000000c3")
            .Replace("type = \"eql\"", "type = \"esql\"").Replace("language = \"eql\"", "language = \"esql\""));
        File.WriteAllText(Path.Combine(folder, "ml.hits.ndjson"), "{\"@timestamp\":\"2026-01-01T00:00:00Z\"}\n");

        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain("rule type 'esql' is not run by Compiled yet"));
        Assert.That(result.StandardOutput, Does.Contain("1 rule(s): 0 passed, 0 failed, 1 skipped."));
    }

    /// <summary>
    /// 1,000 rules with 9,000-character descriptions have more string literals than one .NET assembly can store, so
    /// the rule set cannot compile as a whole. Every rule must fail, not be skipped as an unsupported type.
    /// </summary>
    [Test]
    public void RuleSetThatCannotCompileFails()
    {
        string folder = TempFolders.Create("compiled-test-limit-").FullName;
        string description = new('d', 9_000);
        for (int i = 0; i < 1_000; i++)
        {
            string rule = RuleFiles.Eql("process where process.name == \"curl\"", name: $"Rule {i}", ruleId: $"1c2d3e4f-0000-4000-8000-{i:D12}")
                .Replace("A rule written for a test.", description);
            File.WriteAllText(Path.Combine(folder, $"rule{i}.toml"), rule);
        }

        var result = ProcessRunner.RunCompiled(null, "test", folder);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain("the rule set did not compile, so no example was run: CS"));
        Assert.That(result.StandardOutput, Does.Contain("1000 rule(s): 0 passed, 1000 failed, 0 skipped."));
    }

    private static string CopyOfRules()
    {
        string folder = TempFolders.Create("compiled-test-copy-").FullName;
        foreach (var file in Directory.EnumerateFiles(Paths.Rules, Seed + ".*"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }
}
