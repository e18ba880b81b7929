using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>
/// The inputs of <c>compiled scan</c> through the real executable: standard input in every format,
/// gzip, globs, <c>--strict</c> and <c>--max-lateness</c>.
/// </summary>
public class ScanInputTests
{
    private static readonly string SampleEvents = File.ReadAllText(Path.Combine(Paths.Samples, "macos-installer-network.ndjson"));

    [Test]
    public void StandardInputTakesEveryFormat()
    {
        var lines = SampleEvents.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string array = "[\n" + string.Join(",\n", lines) + "\n]\n";
        string response = "{\"took\":1,\"hits\":{\"hits\":[" + string.Join(",", lines.Select((line, i) => $"{{\"_index\":\"logs\",\"_id\":\"{i}\",\"_source\":{line}}}")) + "]}}\n";
        string bulk = string.Concat(lines.Select(line => "{\"create\":{\"_index\":\"logs\"}}\n" + line + "\n"));

        foreach (var (format, text) in new[] { ("ndjson", SampleEvents), ("array", array), ("response", response), ("bulk", bulk) })
        {
            var result = ProcessRunner.RunCompiled(text, "scan", "-");

            Assert.That(result.ExitCode, Is.EqualTo(0), format + ": " + result);
            Assert.That(AlertLines(result), Has.Count.EqualTo(6), format);
            Assert.That(Count(result, "lines read"), Is.EqualTo(14), format);
            Assert.That(Count(result, "events evaluated"), Is.EqualTo(14), format);
        }
    }

    [Test]
    public void GzippedFilesInFoldersAndGlobs()
    {
        string folder = TempFolders.Create("compiled-gz-").FullName;
        string nested = Directory.CreateDirectory(Path.Combine(folder, "2026", "01")).FullName;
        using (var file = File.Create(Path.Combine(nested, "events.ndjson.gz")))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(SampleEvents));
        }

        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not events");

        var byFolder = ProcessRunner.RunCompiled(null, "scan", folder);
        var byGlob = ProcessRunner.RunCompiled(null, "scan", folder + "/**/*.gz");
        var noMatch = ProcessRunner.RunCompiled(null, "scan", folder + "/**/*.zip");

        Assert.That(byFolder.ExitCode, Is.EqualTo(0), byFolder.ToString());
        Assert.That(AlertLines(byFolder), Has.Count.EqualTo(6));
        Assert.That(byGlob.StandardOutput, Is.EqualTo(byFolder.StandardOutput));
        Assert.That(byGlob.StandardError, Does.Contain("Scanned 1 input(s)"));
        Assert.That(noMatch.ExitCode, Is.EqualTo(1));
        Assert.That(noMatch.StandardError, Does.Contain("no file matches"));
    }

    [Test]
    public void RelativeGlobMatchesTheFolderScan()
    {
        var byFolder = ProcessRunner.RunCompiled(null, "scan", "samples/");
        var byGlob = ProcessRunner.RunCompiled(null, "scan", "samples/**/*.ndjson");
        var byName = ProcessRunner.RunCompiled(null, "scan", "sam?les/*.ndjson");

        Assert.That(byGlob.ExitCode, Is.EqualTo(0), byGlob.ToString());
        Assert.That(byGlob.StandardOutput, Is.EqualTo(byFolder.StandardOutput));
        Assert.That(byName.ExitCode, Is.EqualTo(0), byName.ToString());
        Assert.That(byName.StandardOutput, Is.EqualTo(byFolder.StandardOutput));
    }

    [Test]
    public void CorruptGzipIsReportedAndOtherInputsScanned()
    {
        string folder = TempFolders.Create("compiled-badgz-").FullName;
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(SampleEvents));
        }

        byte[] bytes = compressed.ToArray();
        string broken = Path.Combine(folder, "broken.ndjson.gz");
        File.WriteAllBytes(broken, bytes[..(bytes.Length / 2)].Concat(new byte[64]).ToArray());

        var result = ProcessRunner.RunCompiled(null, "scan", broken, "samples/");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.Contain("compiled: cannot read " + broken));
        Assert.That(AlertLines(result), Has.Count.EqualTo(6), "the sample file is still scanned in full");
    }

    [Test]
    public void TruncatedGzipNamesFileAndLine()
    {
        string folder = TempFolders.Create("compiled-cutgz-").FullName;
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(SampleEvents));
        }

        string cut = Path.Combine(folder, "cut.ndjson.gz");
        File.WriteAllBytes(cut, compressed.ToArray()[..^4]);

        var result = ProcessRunner.RunCompiled(null, "scan", cut);

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(result.StandardError, Does.Contain($"compiled: cannot read {cut}: truncated gzip stream"));
        Assert.That(result.StandardError, Does.Contain($"{cut}:15: truncated gzip stream"));
        Assert.That(Count(result, "events evaluated"), Is.EqualTo(14));
        Assert.That(Count(result, "lines read"), Is.EqualTo(15));
        Assert.That(AlertLines(result), Has.Count.EqualTo(6), "every complete line was evaluated");
    }

    [Test]
    public void StrictStopsAtTheFirstRejectedLineWithExitCode4()
    {
        var lines = SampleEvents.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        lines.Insert(3, "{\"@timestamp\":\"not a date\",\"event\":{\"category\":\"process\"}}");
        lines.Insert(6, "{not json");
        string input = string.Join("\n", lines) + "\n";

        var strict = ProcessRunner.RunCompiled(input, "scan", "--strict", "-");
        var lenient = ProcessRunner.RunCompiled(input, "scan", "-");

        Assert.That(strict.ExitCode, Is.EqualTo(4), strict.ToString());
        Assert.That(strict.StandardError, Does.Contain("compiled: -:4: invalid @timestamp \"not a date\""));
        Assert.That(strict.StandardError, Does.Not.Contain("-:7:"));
        Assert.That(lenient.ExitCode, Is.EqualTo(0), lenient.ToString());
        Assert.That(Count(lenient, "lines read"), Is.EqualTo(16));
        Assert.That(Count(lenient, "lines rejected"), Is.EqualTo(2));
        Assert.That(lenient.StandardError, Does.Contain("-:7: invalid JSON"));
        Assert.That(AlertLines(lenient), Has.Count.EqualTo(6));
    }

    [Test]
    public void LatenessDecidesWhetherReversedInputFindsTheSequences()
    {
        var lines = SampleEvents.Split('\n', StringSplitOptions.RemoveEmptyEntries).Reverse();
        string reversed = string.Join("\n", lines) + "\n";

        var wide = ProcessRunner.RunCompiled(reversed, "scan", "--max-lateness", "1d", "-");
        var none = ProcessRunner.RunCompiled(reversed, "scan", "--max-lateness", "0s", "-");
        var invalid = ProcessRunner.RunCompiled(reversed, "scan", "--max-lateness", "5 minutes", "-");

        Assert.That(AlertLines(wide), Has.Count.EqualTo(6), wide.ToString());
        Assert.That(AlertLines(none), Is.Empty, none.ToString());
        Assert.That(none.StandardError, Does.Match(@"late for stateful rules: \d+"));
        Assert.That(invalid.ExitCode, Is.EqualTo(2));
        Assert.That(invalid.StandardError, Does.Contain("--max-lateness 5 minutes is not a duration"));
    }

    [Test]
    public void FileInputSortsThresholdEventsFully()
    {
        string folder = TempFolders.Create("compiled-threshold-").FullName;
        string rule = Path.Combine(folder, "failed-logons.toml");
        File.WriteAllText(rule, ThresholdRule);
        // Five failures at midnight come after events an hour later, far beyond a five-minute lateness.
        var lines = new List<string>
        {
            """{"@timestamp":"2024-05-01T01:00:00Z","event":{"outcome":"success"},"user":{"name":"bob"}}""",
            """{"@timestamp":"2024-05-01T01:10:00Z","event":{"outcome":"success"},"user":{"name":"bob"}}""",
        };
        lines.AddRange(Enumerable.Range(0, 5).Select(i => $$$"""{"@timestamp":"2024-05-01T00:00:0{{{i}}}Z","event":{"outcome":"failure"},"user":{"name":"alice"}}"""));
        string events = string.Join("\n", lines) + "\n";
        string file = Path.Combine(folder, "events.ndjson");
        File.WriteAllText(file, events);

        var sorted = ProcessRunner.RunCompiled(null, "scan", "--rules", rule, file);
        var explicitLateness = ProcessRunner.RunCompiled(null, "scan", "--rules", rule, "--max-lateness", "5m", file);
        var standardInput = ProcessRunner.RunCompiled(events, "scan", "--rules", rule, "-");

        Assert.That(sorted.ExitCode, Is.EqualTo(0), sorted.ToString());
        Assert.That(AlertLines(sorted), Has.Count.EqualTo(1), sorted.ToString());
        Assert.That(sorted.StandardOutput, Does.Contain("{\"field\":\"user.name\",\"value\":\"alice\"}],\"count\":5"));
        Assert.That(sorted.StandardError, Does.Not.Contain("late for"));
        Assert.That(AlertLines(explicitLateness), Is.Empty, explicitLateness.ToString());
        Assert.That(Count(explicitLateness, "late for stateful rules"), Is.EqualTo(5));
        Assert.That(AlertLines(standardInput), Is.Empty, standardInput.ToString());
        Assert.That(Count(standardInput, "late for stateful rules"), Is.EqualTo(5));
    }

    private const string ThresholdRule = """
        [metadata]
        creation_date = "2024/01/01"

        [rule]
        author = ["Test"]
        description = "Failed logons for one user."
        name = "Repeated Failed Logons"
        risk_score = 21
        rule_id = "6a1c1f3e-0000-4000-8000-000000000001"
        severity = "low"
        type = "threshold"
        language = "kuery"
        index = ["logs-*"]
        query = 'event.outcome:failure'

        [rule.threshold]
        field = ["user.name"]
        value = 3
        """;

    [Test]
    public void BareZeroIsDuration()
    {
        var lines = SampleEvents.Split('\n', StringSplitOptions.RemoveEmptyEntries).Reverse();
        string reversed = string.Join("\n", lines) + "\n";

        var lateness = ProcessRunner.RunCompiled(reversed, "scan", "--max-lateness", "0", "-");
        var idle = ProcessRunner.RunCompiled(SampleEvents, "scan", "--idle-flush", "0", "-");
        var unitless = ProcessRunner.RunCompiled(SampleEvents, "scan", "--max-lateness", "5", "-");

        Assert.That(lateness.ExitCode, Is.EqualTo(0), lateness.ToString());
        Assert.That(AlertLines(lateness), Is.Empty, lateness.ToString());
        Assert.That(lateness.StandardError, Does.Match(@"late for stateful rules: \d+"));
        Assert.That(idle.ExitCode, Is.EqualTo(0), idle.ToString());
        Assert.That(AlertLines(idle), Has.Count.EqualTo(6), idle.ToString());
        Assert.That(unitless.ExitCode, Is.EqualTo(2), unitless.ToString());
        Assert.That(unitless.StandardError, Does.Contain("--max-lateness 5 is not a duration"));
    }

    [Test]
    public void FolderSkipsFifoAndReportsIt()
    {
        string folder = TempFolders.Create("compiled-fifo-").FullName;
        File.WriteAllText(Path.Combine(folder, "events.ndjson"), SampleEvents);
        string fifo = Path.Combine(folder, "p.ndjson");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.That(mkfifo.ExitCode, Is.EqualTo(0), "mkfifo failed");
        }

        var byFolder = ProcessRunner.RunCompiled(null, "scan", folder);
        var byGlob = ProcessRunner.RunCompiled(null, "scan", folder + "/*.ndjson");

        foreach (var result in new[] { byFolder, byGlob })
        {
            Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
            Assert.That(AlertLines(result), Has.Count.EqualTo(6));
            Assert.That(Regex.Matches(result.StandardError, "skipped .*p\\.ndjson: a FIFO, not a regular file"), Has.Count.EqualTo(1), result.StandardError);
            Assert.That(result.StandardError, Does.Contain("Scanned 1 input(s)"));
        }
    }

    [Test]
    public void SigtermDuringCompileExits130()
    {
        string rules = Path.Combine(Paths.Shared, "corpus-rules");
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { ProcessRunner.CompiledDll, "scan", "--rules", rules, Path.Combine(Paths.Samples, "macos-installer-network.ndjson") })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();

        // Compiling the whole rule corpus takes several seconds, so the signal comes while rules compile.
        Thread.Sleep(TimeSpan.FromSeconds(1.5));
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        Assert.That(process.WaitForExit(TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(130), stderr.Result);
        Assert.That(stderr.Result, Does.Contain("interrupted before the scan started"));
    }

    private static List<string> AlertLines(ProcessResult result) =>
        result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();

    private static long Count(ProcessResult result, string label)
    {
        var match = Regex.Match(result.StandardError, Regex.Escape(label) + @":\s+(\d+)");
        Assert.That(match.Success, Is.True, $"no '{label}' in the summary:\n{result.StandardError}");
        return long.Parse(match.Groups[1].Value);
    }
}
