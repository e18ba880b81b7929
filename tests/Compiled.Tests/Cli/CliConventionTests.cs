using System.Diagnostics;
using System.Text.Json;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>Exit codes, help, version and output formats of the real <c>compiled</c> executable.</summary>
public class CliConventionTests
{
    [TestCase("scan")]
    [TestCase("test")]
    [TestCase("check")]
    [TestCase("rules")]
    public void EveryCommandAnswersHelp(string command)
    {
        var result = ProcessRunner.RunCompiled(null, command, "--help");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Does.Contain("Usage:"));
        Assert.That(result.StandardOutput, Does.Contain($"compiled {command}"));
    }

    [Test]
    public void ScanHelpGivesFormatsAndExitCode()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "--help");

        Assert.That(result.StandardOutput, Does.Contain("--format <ndjson|table>"));
        Assert.That(result.StandardOutput, Does.Contain("--fail-on-alert"));
        Assert.That(result.StandardOutput, Does.Contain("Exit with code 3"));
        Assert.That(result.StandardOutput, Does.Contain("per interval of event time"));
    }

    [TestCase("scan")]
    [TestCase("test")]
    [TestCase("check")]
    [TestCase("rules")]
    public void HelpStatesEachDefaultOnce(string command)
    {
        var result = ProcessRunner.RunCompiled(null, command, "--help");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Does.Not.Match(@"Default: [^\n]*\[default: "));
    }

    [Test]
    public void MaxStateEntriesZeroIsUsageError()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "--max-state-entries", "0", "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StandardError, Does.StartWith("compiled: --max-state-entries 0 must be at least 1"));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public void VersionPrintsAssemblyVersion()
    {
        var result = ProcessRunner.RunCompiled(null, "--version");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Does.StartWith("0.1.0"));
    }

    [TestCase("scan", "--bogus", "samples/")]
    [TestCase("scan", "--format", "xml", "samples/")]
    [TestCase("scan")]
    [TestCase("test")]
    [TestCase("frobnicate")]
    public void UsageErrorsExitTwo(params string[] arguments)
    {
        var result = ProcessRunner.RunCompiled(null, arguments);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StandardError, Is.Not.Empty);
    }

    [Test]
    public void UnknownCommandIsNamed()
    {
        var result = ProcessRunner.RunCompiled(null, "frobnicate", "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.StandardError, Does.StartWith("compiled: unknown command 'frobnicate'. Commands: scan, test, check, rules."));
        Assert.That(result.StandardError, Does.Not.Contain("Required command"));
    }

    [Test]
    public void FailOnAlertExitsThree()
    {
        string quiet = TempFolders.Create("compiled-quiet-").FullName;
        File.WriteAllText(Path.Combine(quiet, "quiet.ndjson"), "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"category\":\"process\"}}\n");

        var alerting = ProcessRunner.RunCompiled(null, "scan", "--fail-on-alert", "samples/");
        var clean = ProcessRunner.RunCompiled(null, "scan", "--fail-on-alert", quiet);
        var without = ProcessRunner.RunCompiled(null, "scan", "samples/");

        Assert.That(alerting.ExitCode, Is.EqualTo(3), alerting.ToString());
        Assert.That(clean.ExitCode, Is.EqualTo(0), clean.ToString());
        Assert.That(without.ExitCode, Is.EqualTo(0), without.ToString());
    }

    [Test]
    public void TableFormatWritesLinePerAlert()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "--format", "table", "samples/");
        var lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(lines, Has.Length.EqualTo(6));
        Assert.That(lines[0], Does.Match(@"^2026-03-02T10:00:01\.000Z  medium    macOS Installer Spawns Network Event \[building block\]  host=mac-build-07  process=curl\(4242\)  events=[0-9a-f]{64}$"));
        Assert.That(lines[2], Does.Match(@"^2026-03-02T10:00:21\.000Z  medium    macOS Installer Spawns Network Event  host=mac-build-07  process=curl\(4242\)  events=[0-9a-f]{64},[0-9a-f]{64}$"));
    }

    [Test]
    public void SummaryHasRuleTable()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "samples/");

        Assert.That(result.StandardError, Does.Contain("alerts per rule (1 of 1 rule(s) raised alerts):"));
        Assert.That(result.StandardError, Does.Match(@"ALERTS\s+BUILDING_BLOCKS\s+DROPPED\s+BB_RULE\s+RULE"));
        Assert.That(result.StandardError, Does.Match(@"\n\s+6\s+4\s+0\s+no\s+macOS Installer Spawns Network Event"));
    }

    [Test]
    public void UnsupportedRuleTypesAreCounted()
    {
        string folder = TempFolders.Create("compiled-types-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));
        File.WriteAllText(Path.Combine(folder, "esql.toml"), RuleFiles.Eql("from logs-*", ruleId: "1c2d3e4f-0000-4000-8000-0000000000f1")
            .Replace("type = \"eql\"", "type = \"esql\"").Replace("language = \"eql\"", "language = \"esql\""));

        var result = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardError, Does.Not.Contain("esql.toml("));
        Assert.That(result.StandardError, Does.Match(@"compiled: skipped 1 (rule file\(s\) of a type Compiled does not run yet \(CMP020\)|informational message\(s\)); 'compiled check .*' lists them\."));
    }

    [Test]
    public void NoProgressWhenErrorIsPiped()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", Paths.CorpusEvents);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardError, Does.Not.Contain("\r"));
        Assert.That(result.StandardError, Does.Not.Contain("lines read, "));
    }

    [Test]
    public void ProgressShownOnTerminal()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            Assert.Ignore("util-linux 'script' is needed to give the scan a terminal.");
        }

        // script(1) runs the scan on a pseudo-terminal; the pause keeps the scan reading for more than one progress period.
        // Zero lateness evaluates each event as it is read, so the first batch's alerts show before the pause.
        string samples = Path.Combine(Paths.Samples, "macos-installer-network.ndjson");
        string inner = $"(cat '{samples}'; sleep 2; cat '{samples}') | dotnet '{ProcessRunner.CompiledDll}' scan --max-lateness 0s --output /dev/null -";
        var result = ProcessRunner.Run("/usr/bin/script", ["-qec", inner, "/dev/null"], Paths.Repository, null, TimeSpan.FromMinutes(2));

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        // Ordinal, because a culture-aware search ignores the escape character.
        Assert.That(result.StandardOutput.Contains("\r\u001b[K[1/1] standard input: 14 lines read, 6 alerts", StringComparison.Ordinal), Is.True, result.StandardOutput);
        Assert.That(result.StandardOutput, Does.Contain("lines read:       28"));
    }

    [Test]
    public void FullDiskStopsScanCleanly()
    {
        if (!File.Exists("/dev/full"))
        {
            Assert.Ignore("/dev/full, whose writes fail with ENOSPC, is needed.");
        }

        var result = ProcessRunner.RunCompiled(null, "scan", "--output", "/dev/full", "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.StartWith("compiled: cannot write alerts to /dev/full: No space left on device"));
        Assert.That(result.StandardError, Does.Contain("the scan stopped."));
        Assert.That(result.StandardError, Does.Not.Contain("   at "));
    }

    [Test]
    public void KilledScanLeavesWholeLines()
    {
        string folder = TempFolders.Create("compiled-kill-").FullName;
        string output = Path.Combine(folder, "alerts.ndjson");
        string sample = File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { ProcessRunner.CompiledDll, "scan", "--all-alerts", "--output", output, "-" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var writing = new CancellationTokenSource();
        var feeder = Task.Run(() =>
        {
            try
            {
                for (int copy = 0; !writing.IsCancellationRequested; copy++)
                {
                    // Each copy moves a day on, so its sequences stay apart from the previous copy's.
                    process.StandardInput.Write(sample.Replace("2026-03-02T", $"{new DateTime(2026, 3, 2).AddDays(copy % 3000):yyyy-MM-dd}T"));
                }
            }
            catch (IOException)
            {
                // The killed process closed the pipe under the writer.
            }
        });

        var waited = Stopwatch.StartNew();
        while ((!File.Exists(output) || new FileInfo(output).Length < 1_000_000) && waited.Elapsed < TimeSpan.FromMinutes(1))
        {
            Thread.Sleep(50);
        }

        process.Kill();
        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), Is.True);
        writing.Cancel();
        feeder.Wait(TimeSpan.FromSeconds(10));

        string text = File.ReadAllText(output);
        Assert.That(process.ExitCode, Is.EqualTo(137), stderr.Result);
        Assert.That(text.Length, Is.GreaterThan(100_000), "the scan wrote alerts before it was killed");

        // SIGKILL can cut short the one write it lands in, when that write spans several pages, so only
        // the text after the last newline may be cut. Every write before it is whole.
        int end = text.LastIndexOf('\n') + 1;
        string tail = text[end..];
        var lines = text[..end].Split('\n')[..^1];
        foreach (var line in lines)
        {
            Assert.DoesNotThrow(() => JsonDocument.Parse(line), line.Length > 200 ? line[..200] : line);
        }

        if (tail.Length == 0)
        {
            Assert.That(lines.Length % 3, Is.Zero, "each sequence writes its three alerts together");
        }
        else
        {
            Assert.That(tail, Does.StartWith("{"), "the cut text is the start of an alert");
        }
    }
}
