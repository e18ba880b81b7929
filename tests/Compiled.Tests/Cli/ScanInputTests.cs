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
        string folder = Directory.CreateTempSubdirectory("compiled-gz-").FullName;
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
        string folder = Directory.CreateTempSubdirectory("compiled-badgz-").FullName;
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
        string folder = Directory.CreateTempSubdirectory("compiled-cutgz-").FullName;
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
        Assert.That(none.StandardError, Does.Match(@"late for sequences: \d+"));
        Assert.That(invalid.ExitCode, Is.EqualTo(2));
        Assert.That(invalid.StandardError, Does.Contain("--max-lateness 5 minutes is not a duration"));
    }

    [Test]
    public void FolderSkipsFifoAndReportsIt()
    {
        string folder = Directory.CreateTempSubdirectory("compiled-fifo-").FullName;
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
