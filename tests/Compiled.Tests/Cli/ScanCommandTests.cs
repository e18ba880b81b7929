using System.Runtime.InteropServices;
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
        string folder = TempFolders.Create("compiled-rules-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));

        var builtIn = ProcessRunner.RunCompiled(null, "scan", "samples/");
        var compiled = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");

        Assert.That(compiled.ExitCode, Is.EqualTo(0), compiled.ToString());
        Assert.That(AlertLines(compiled), Has.Count.EqualTo(6));
        Assert.That(compiled.StandardOutput, Is.EqualTo(builtIn.StandardOutput));
    }

    [Test]
    public void NoValueDispatchRunsMoreRules()
    {
        string folder = TempFolders.Create("compiled-rules-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));
        File.WriteAllText(Path.Combine(folder, "absent.toml"), RuleFiles.Eql("process where process.name == \"absent.exe\"", name: "Absent Process"));

        var dispatched = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");
        var everyRule = ProcessRunner.RunCompiled(null, "scan", "--no-value-dispatch", "--rules", folder, "samples/");

        Assert.That(everyRule.ExitCode, Is.EqualTo(0), everyRule.ToString());
        Assert.That(AlertLines(everyRule), Has.Count.EqualTo(6));
        Assert.That(everyRule.StandardOutput, Is.EqualTo(dispatched.StandardOutput));
        Assert.That(everyRule.StandardError, Does.Contain("value dispatch off"));
        Assert.That(Count(everyRule, "rule runs"), Is.GreaterThan(Count(dispatched, "rule runs")));
        Assert.That(Count(dispatched, "rule runs"), Is.GreaterThan(0));
    }

    [Test]
    public void OneThreadGivesTheSameOutput()
    {
        var decodedAhead = ProcessRunner.RunCompiled(null, "scan", "samples/");
        var oneThread = ProcessRunner.RunCompiled(null, "scan", "--one-thread", "samples/");

        Assert.That(oneThread.ExitCode, Is.EqualTo(0), oneThread.ToString());
        Assert.That(AlertLines(oneThread), Has.Count.EqualTo(6));
        Assert.That(oneThread.StandardOutput, Is.EqualTo(decodedAhead.StandardOutput));
        Assert.That(oneThread.StandardError, Is.EqualTo(decodedAhead.StandardError));
    }

    [Test]
    public void StandardInputAndOutputFileWork()
    {
        string output = Path.Combine(TempFolders.Create("compiled-out-").FullName, "alerts.ndjson");
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
        string folder = TempFolders.Create("compiled-broken-").FullName;
        File.WriteAllText(Path.Combine(folder, "broken.toml"), "[rule]\nname = = \"x\"\n");

        var result = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.Contain("broken.toml(2,8): error CMP001"));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public void BadLineDoesNotStopScan()
    {
        string folder = TempFolders.Create("compiled-bad-line-").FullName;
        string input = Path.Combine(folder, "events.ndjson");
        string surrogate = "{\"@timestamp\":\"2026-03-02T10:00:00Z\",\"process\":{\"parent\":{\"executable\":\"C:\\\\evil\\udc00.exe\"}}}";
        File.WriteAllText(input, surrogate + "\n" + File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson")));

        var result = ProcessRunner.RunCompiled(null, "scan", input);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(Count(result, "lines read"), Is.EqualTo(15));
        Assert.That(Count(result, "lines rejected"), Is.EqualTo(1));
        Assert.That(AlertLines(result), Has.Count.EqualTo(6));
        Assert.That(result.StandardError, Does.Contain("events.ndjson:1: invalid JSON"));
    }

    [Test]
    public void OutputFileIsNeverReadAsInput()
    {
        string folder = TempFolders.Create("compiled-overlap-").FullName;
        string input = Path.Combine(folder, "events.ndjson");
        string alerts = Path.Combine(folder, "alerts.ndjson");
        File.Copy(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"), input);

        var first = ProcessRunner.RunCompiled(null, "scan", "--output", alerts, folder);
        var second = ProcessRunner.RunCompiled(null, "scan", "--output", alerts, folder);
        var explicitOverlap = ProcessRunner.RunCompiled(null, "scan", "--output", input, input);

        Assert.That(first.ExitCode, Is.EqualTo(0), first.ToString());
        Assert.That(File.ReadAllLines(alerts), Has.Length.EqualTo(6));
        Assert.That(second.ExitCode, Is.EqualTo(2), second.ToString());
        Assert.That(second.StandardError, Does.Contain($"compiled: the output file {alerts} is also an input"));
        Assert.That(File.ReadAllLines(alerts), Has.Length.EqualTo(6));
        Assert.That(explicitOverlap.ExitCode, Is.EqualTo(2), explicitOverlap.ToString());
        Assert.That(explicitOverlap.StandardError, Does.Contain("is also an input"));
        Assert.That(File.ReadAllLines(input), Has.Length.EqualTo(14));
    }

    [Test]
    public void OutputThroughLinkOrFolderRejected()
    {
        // The links sit beside the input folder, inside a temporary folder of their own.
        string folder = Path.Combine(TempFolders.Create("compiled-overlap-link-").FullName, "input");
        Directory.CreateDirectory(folder);
        string first = Path.Combine(folder, "a.ndjson");
        string second = Path.Combine(folder, "b.ndjson");
        File.Copy(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"), first);
        File.Copy(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"), second);
        string fileLink = Path.Combine(folder, "link.ndjson");
        File.CreateSymbolicLink(fileLink, first);
        string folderLink = folder + "-link";
        Directory.CreateSymbolicLink(folderLink, folder);
        string hardLink = folder + "-hard.ndjson";
        Assert.That(Link(first, hardLink), Is.Zero, "link(2) failed");

        var cases = new[]
        {
            ("output in the input folder", new[] { "--output", first, folder }),
            ("link to an input file", new[] { "--output", fileLink, first }),
            ("link to a file in the input folder", new[] { "--output", fileLink, folder }),
            ("output matched by a glob", new[] { "--output", first, folder + "/*.ndjson" }),
            ("output under a linked folder", new[] { "--output", Path.Combine(folderLink, "b.ndjson"), second }),
            ("hard link to an input file", new[] { "--output", hardLink, first }),
        };
        foreach (var (name, arguments) in cases)
        {
            var result = ProcessRunner.RunCompiled(null, ["scan", .. arguments]);

            Assert.That(result.ExitCode, Is.EqualTo(2), name + ": " + result);
            Assert.That(result.StandardError, Does.Contain("is also an input"), name);
            Assert.That(result.StandardOutput, Is.Empty, name);
            Assert.That(File.ReadAllLines(first), Has.Length.EqualTo(14), name);
            Assert.That(File.ReadAllLines(second), Has.Length.EqualTo(14), name);
        }
    }

    [Test]
    public void UnwritableOutputIsClearError()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "--output", "/no/such/folder/alerts.ndjson", "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.StandardError, Does.StartWith("compiled: cannot write alerts to /no/such/folder/alerts.ndjson"));
        Assert.That(result.StandardError, Does.Not.Contain("   at "));
    }

    [Test]
    public void DashOutputMeansStandardOutput()
    {
        var result = ProcessRunner.RunCompiled(null, "scan", "--output", "-", "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(AlertLines(result), Has.Count.EqualTo(6));
        Assert.That(File.Exists(Path.Combine(Paths.Repository, "-")), Is.False);
    }

    [Test]
    public void RulesOptionTakesFileAndSkipsBrokenRules()
    {
        string folder = TempFolders.Create("compiled-partial-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.TOML"));
        File.WriteAllText(Path.Combine(folder, "broken.toml"), "[rule]\nname = = \"x\"\n");

        var fromFolder = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "samples/");
        var fromFile = ProcessRunner.RunCompiled(null, "scan", "--rules", Path.Combine(folder, "seed.TOML"), "samples/");

        Assert.That(fromFolder.ExitCode, Is.EqualTo(0), fromFolder.ToString());
        Assert.That(AlertLines(fromFolder), Has.Count.EqualTo(6));
        Assert.That(fromFolder.StandardError, Does.Contain("broken.toml(2,8): error CMP001"));
        Assert.That(fromFolder.StandardError, Does.Contain("1 rule file(s) have errors and were skipped; 1 rule(s) compiled"));
        Assert.That(fromFile.ExitCode, Is.EqualTo(0), fromFile.ToString());
        Assert.That(AlertLines(fromFile), Has.Count.EqualTo(6));
    }

    [Test]
    public void UnreadableInputIsReportedAndSkipped()
    {
        string folder = TempFolders.Create("compiled-unreadable-").FullName;
        File.Copy(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"), Path.Combine(folder, "a.ndjson"));
        File.CreateSymbolicLink(Path.Combine(folder, "dangling.ndjson"), Path.Combine(folder, "nowhere.ndjson"));

        var viaFolder = ProcessRunner.RunCompiled(null, "scan", folder);
        var direct = ProcessRunner.RunCompiled(null, "scan", Path.Combine(folder, "a.ndjson"), Path.Combine(folder, "dangling.ndjson"));

        Assert.That(viaFolder.ExitCode, Is.EqualTo(0), viaFolder.ToString());
        Assert.That(AlertLines(viaFolder), Has.Count.EqualTo(6));
        Assert.That(direct.ExitCode, Is.EqualTo(1), direct.ToString());
        Assert.That(AlertLines(direct), Has.Count.EqualTo(6));
        Assert.That(direct.StandardError, Does.Contain("compiled: cannot read " + Path.Combine(folder, "dangling.ndjson")));
        Assert.That(direct.StandardError, Does.Contain("1 input(s) could not be read"));
    }

    [Test]
    public void CheckListsEveryProblemWithLocation()
    {
        string folder = TempFolders.Create("compiled-check-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));
        File.WriteAllText(Path.Combine(folder, "syntax.toml"), "[rule]\nname = = \"x\"\n");
        File.WriteAllText(Path.Combine(folder, "query.toml"), RuleFiles.Eql("process where process.name == "));

        var broken = ProcessRunner.RunCompiled(null, "check", folder);
        var clean = ProcessRunner.RunCompiled(null, "check", Path.Combine(folder, "seed.toml"));

        Assert.That(broken.ExitCode, Is.EqualTo(1), broken.ToString());
        Assert.That(broken.StandardOutput, Does.Contain("syntax.toml(2,8): error CMP001"));
        Assert.That(broken.StandardOutput, Does.Match(@"query\.toml\(\d+,\d+\): error CMP010"));
        Assert.That(broken.StandardOutput, Does.Contain("3 rule file(s): 1 compiled, 2 with errors; 2 error(s), 0 warning(s)."));
        Assert.That(clean.ExitCode, Is.EqualTo(0), clean.ToString());
        Assert.That(clean.StandardOutput, Does.Contain("1 rule file(s): 1 compiled, 0 with errors"));
    }

    [Test]
    public void RulesListsBuiltInAndGivenRules()
    {
        string folder = TempFolders.Create("compiled-list-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));
        File.WriteAllText(Path.Combine(folder, "kql.toml"), RuleFiles.Eql("x", name: "Kql Rule", ruleId: "1c2d3e4f-0000-4000-8000-0000000000bb")
            .Replace("type = \"eql\"", "type = \"query\"").Replace("language = \"eql\"", "language = \"kuery\""));

        var builtIn = ProcessRunner.RunCompiled(null, "rules");
        var given = ProcessRunner.RunCompiled(null, "rules", folder);

        Assert.That(builtIn.ExitCode, Is.EqualTo(0), builtIn.ToString());
        Assert.That(builtIn.StandardOutput, Does.Match(@"99239e7d-b0d4-46e3-8609-acafcf99f68c\s+macOS Installer Spawns Network Event\s+eql\s+medium\s+eql\s+yes"));
        Assert.That(given.ExitCode, Is.EqualTo(0), given.ToString());
        Assert.That(given.StandardOutput, Does.Match(@"Kql Rule\s+query\s+low\s+kuery\s+no"));
        Assert.That(given.StandardOutput, Does.Contain("2 rule(s), 1 compiled."));
    }

    [Test]
    public void DuplicateRuleIdFileIsNotCompiled()
    {
        string folder = TempFolders.Create("compiled-duplicate-").FullName;
        const string ruleId = "1c2d3e4f-0000-4000-8000-0000000000cc";
        File.WriteAllText(Path.Combine(folder, "a.toml"), RuleFiles.Eql("process where process.name == \"a\"", name: "First Rule", ruleId: ruleId));
        File.WriteAllText(Path.Combine(folder, "b.toml"), RuleFiles.Eql("process where process.name == \"b\"", name: "Second Rule", ruleId: ruleId));

        var rules = ProcessRunner.RunCompiled(null, "rules", folder);
        var check = ProcessRunner.RunCompiled(null, "check", folder);

        Assert.That(rules.StandardOutput, Does.Contain("2 rule(s), 1 compiled."), rules.ToString());
        Assert.That(check.ExitCode, Is.EqualTo(1), check.ToString());
        Assert.That(check.StandardOutput, Does.Contain("CMP005"));
        Assert.That(check.StandardOutput, Does.Contain("2 rule file(s): 1 compiled, 1 with errors"));
    }

    [Test]
    public void RulesNamesUnparsableFile()
    {
        string folder = TempFolders.Create("compiled-list-broken-").FullName;
        File.Copy(Paths.SeedRule, Path.Combine(folder, "seed.toml"));
        File.WriteAllText(Path.Combine(folder, "syntax.toml"), "[rule]\nname = = \"x\"\n");

        var result = ProcessRunner.RunCompiled(null, "rules", folder);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.StandardOutput, Does.Match(@"(?m)^-\s+syntax\.toml\s+-\s+-\s+-\s+no: \(2,8\) CMP001: Invalid TOML .+$"));
        Assert.That(result.StandardOutput, Does.Contain("2 rule(s), 1 compiled."));
    }

    [Test]
    public void RulesOfMissingFolderPrintsNoTable()
    {
        string missing = Path.Combine(TempFolders.Create("compiled-list-missing-").FullName, "absent");

        var result = ProcessRunner.RunCompiled(null, "rules", missing);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.Contain($"compiled: rules not found: {missing}"));
        Assert.That(result.StandardOutput, Is.Empty);
    }

    [Test]
    public void SigtermLeavesWholeAlertsAndSummary()
    {
        string sample = File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));
        var start = new System.Diagnostics.ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { ProcessRunner.CompiledDll, "scan", "-" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // Events keep arriving on standard input while the signal comes, so the scan is stopped mid-stream.
        using var writing = new CancellationTokenSource();
        var feeder = Task.Run(() =>
        {
            for (int copy = 0; !writing.IsCancellationRequested; copy++)
            {
                // Each copy moves a day on, so its sequences stay apart from the previous copy's.
                process.StandardInput.Write(sample.Replace("2026-03-02T", $"{new DateTime(2026, 3, 2).AddDays(copy % 3000):yyyy-MM-dd}T"));
            }
        });
        Thread.Sleep(TimeSpan.FromSeconds(3));
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        Thread.Sleep(TimeSpan.FromMilliseconds(500));
        writing.Cancel();
        try
        {
            feeder.Wait(TimeSpan.FromSeconds(10));
            process.StandardInput.Close();
        }
        catch (Exception error) when (error is IOException or AggregateException)
        {
            // The scan may have stopped reading already, which closes the pipe under the writer.
        }

        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), Is.True);
        var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(process.ExitCode, Is.EqualTo(130), stderr.Result);
        Assert.That(stderr.Result, Does.Contain("the scan was interrupted"));
        Assert.That(Count(new ProcessResult(0, "", stderr.Result), "lines read"), Is.GreaterThan(0));
        Assert.That(lines, Is.Not.Empty);
        foreach (var line in lines)
        {
            Assert.DoesNotThrow(() => System.Text.Json.JsonDocument.Parse(line), line.Length > 200 ? line[..200] : line);
        }

        Assert.That(lines.Length % 3, Is.Zero, "each sequence writes its three alerts together");
    }

    private static List<string> AlertLines(ProcessResult result) =>
        result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static long Count(ProcessResult result, string label)
    {
        var match = Regex.Match(result.StandardError, $@"^\s*{Regex.Escape(label)}:\s+(\d+)", RegexOptions.Multiline);
        Assert.That(match.Success, Is.True, $"no '{label}' in the summary:\n{result.StandardError}");
        return long.Parse(match.Groups[1].Value);
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);
}
