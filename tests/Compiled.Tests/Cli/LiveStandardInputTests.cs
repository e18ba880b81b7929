using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Compiled.Tests.Runtime;
using Compiled.Tests.Support;

namespace Compiled.Tests.Cli;

/// <summary>
/// <c>compiled scan -</c> as a process whose standard input stays open: alerts appear while the pipe is
/// open, and SIGTERM during a blocked read ends the scan with its alerts and summary.
/// </summary>
[Platform(Exclude = "Win")]
public class LiveStandardInputTests
{
    private const int SigTerm = 15;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Test]
    public void SigtermDuringReadPrintsSummary()
    {
        string rules = TempFolders.Create("compiled-live-").FullName;
        File.WriteAllText(Path.Combine(rules, "match.toml"), RuleFiles.Eql("process where process.name == \"evil\""));
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Paths.Repository,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { ProcessRunner.CompiledDll, "scan", "--rules", rules, "-" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var alerts = new List<string>();
        process.OutputDataReceived += (_, line) =>
        {
            if (line.Data is { Length: > 0 } data)
            {
                lock (alerts)
                {
                    alerts.Add(data);
                }
            }
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            process.StandardInput.WriteLine(InputFormatTests.Event(1, "evil"));
            process.StandardInput.Flush();

            Assert.That(WaitUntil(() => Count(alerts) == 1), Is.True, "the alert is written while standard input is open");
            Assert.That(process.HasExited, Is.False);

            Assert.That(kill(process.Id, SigTerm), Is.EqualTo(0));
            Assert.That(process.WaitForExit(Patience), Is.True, "SIGTERM ends a scan that waits for standard input");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }

        process.WaitForExit();
        string errors = stderr.Result;
        Assert.That(process.ExitCode, Is.EqualTo(130), errors);
        Assert.That(Count(alerts), Is.EqualTo(1));
        Assert.That(Regex.IsMatch(errors, @"lines read:\s+1\b"), Is.True, errors);
        Assert.That(errors, Does.Contain("the scan was interrupted"));
    }

    private static int Count(List<string> lines)
    {
        lock (lines)
        {
            return lines.Count;
        }
    }

    private static bool WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(50);
        }

        return true;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
