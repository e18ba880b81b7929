using System.Diagnostics;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;

namespace Compiled.Cli;

/// <summary>
/// Shows a one-line progress report on standard error, rewritten in place twice a second, while a scan
/// reads its inputs. It is shown only when standard error is a terminal, so pipes, files and tests never
/// get it, and it is erased before the summary.
/// </summary>
internal sealed class ScanProgress : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    private readonly ScanSummary _summary;
    private readonly AlertWriter _alerts;
    private readonly int _inputCount;
    private readonly Stopwatch _elapsed = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private string _input = "";
    private int _inputIndex;
    private bool _lineVisible;
    private bool _disposed;

    private ScanProgress(ScanSummary summary, AlertWriter alerts, int inputCount)
    {
        _summary = summary;
        _alerts = alerts;
        _inputCount = inputCount;
        _timer = new Timer(_ => Show(), null, Period, Period);
    }

    /// <summary>Starts the report when standard error is a terminal; returns null otherwise.</summary>
    public static ScanProgress? StartIfTerminal(ScanSummary summary, AlertWriter alerts, int inputCount) =>
        Console.IsErrorRedirected ? null : new ScanProgress(summary, alerts, inputCount);

    public void StartInput(string input)
    {
        lock (_gate)
        {
            _input = input == InputFiles.StandardInput ? "standard input" : Path.GetFileName(input);
            _inputIndex++;
        }
    }

    private void Show()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            // The counters are written by the scanning thread; a value a moment old is fine for a progress line.
            string line = $"[{_inputIndex}/{_inputCount}] {SummaryPrinter.OneLine(_input)}: {_summary.LinesRead:N0} lines read, "
                + $"{_alerts.TotalAlerts:N0} alerts, {_elapsed.Elapsed.TotalSeconds:F0} s";
            int width = TerminalWidth();
            if (line.Length >= width)
            {
                line = line[..(width - 1)];
            }

            Console.Error.Write("\r\u001b[K" + line);
            _lineVisible = true;
        }
    }

    private static int TerminalWidth()
    {
        try
        {
            // A pseudo-terminal without a window size, such as script(1) gives, reports 0.
            int width = Console.WindowWidth;
            return width >= 20 ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer.Dispose();
            if (_lineVisible)
            {
                Console.Error.Write("\r\u001b[K");
            }
        }
    }
}
