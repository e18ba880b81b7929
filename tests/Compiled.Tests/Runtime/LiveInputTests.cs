using System.IO.Pipes;
using System.Text;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;
using static Compiled.Tests.Runtime.InputFormatTests;

namespace Compiled.Tests.Runtime;

/// <summary>
/// A live input read through a real pipe: its events are evaluated while the writer keeps the pipe open,
/// and cancellation ends a read that waits for data.
/// </summary>
public class LiveInputTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly RuleSet Rules = Scan.CompileRules(("match.toml", RuleFiles.Eql("process where process.name == \"evil\"")));

    [Test]
    public void IdlePipeReleasesHeldEvents()
    {
        using var pipe = new LivePipe();
        var sink = new CountingSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { IdleFlush = TimeSpan.FromMilliseconds(200) });
        var scan = Task.Run(() => engine.Scan(pipe.Reader, "-"));

        pipe.WriteLine(Event(1, "evil"));
        Assert.That(WaitUntil(() => sink.Count == 1), Is.True, "the first event's alert arrives while the pipe is open");
        pipe.WriteLine(Event(2, "evil"));
        Assert.That(WaitUntil(() => sink.Count == 2), Is.True, "the second event's alert arrives while the pipe is open");
        Assert.That(scan.IsCompleted, Is.False);

        pipe.Close();
        Assert.That(scan.Wait(Patience), Is.True);
        AssertCounts(engine.Summary, read: 2, evaluated: 2);
    }

    [Test]
    public void SteadyPipeReleasesAgedEvents()
    {
        using var pipe = new LivePipe();
        var sink = new CountingSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { IdleFlush = TimeSpan.FromSeconds(1) });
        var scan = Task.Run(() => engine.Scan(pipe.Reader, "-"));

        // One line every 200 ms for 3 s never leaves the pipe idle for the 1 s flush, and the events
        // are 1 s apart, so MaxLateness (5 minutes) of event time would hold them all to the end.
        var firstAlert = TimeSpan.MinValue;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 15; i++)
        {
            pipe.WriteLine(Event(i, "evil"));
            Thread.Sleep(200);
            if (firstAlert == TimeSpan.MinValue && sink.Count > 0)
            {
                firstAlert = clock.Elapsed;
            }
        }

        var writerStopped = clock.Elapsed;
        Assert.That(firstAlert, Is.Not.EqualTo(TimeSpan.MinValue), "an alert arrives while the writer keeps writing");
        Assert.That(firstAlert, Is.LessThan(writerStopped - TimeSpan.FromSeconds(1)), "the first alert arrives well before the writer stops");

        pipe.Close();
        Assert.That(scan.Wait(Patience), Is.True);
        Assert.That(sink.Count, Is.EqualTo(15));
    }

    [Test]
    public void PipeWithoutIdleFlushHoldsEvents()
    {
        using var pipe = new LivePipe();
        var sink = new CountingSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { IdleFlush = Timeout.InfiniteTimeSpan });
        var scan = Task.Run(() => engine.Scan(pipe.Reader, "-"));

        pipe.WriteLine(Event(1, "evil"));
        Thread.Sleep(1000);
        Assert.That(sink.Count, Is.EqualTo(0), "the reorder buffer holds the event for --max-lateness of event time");

        pipe.Close();
        Assert.That(scan.Wait(Patience), Is.True);
        Assert.That(sink.Count, Is.EqualTo(1));
    }

    [Test]
    public void ZeroLatenessEvaluatesAtOnce()
    {
        using var pipe = new LivePipe();
        var sink = new CountingSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { MaxLateness = TimeSpan.Zero, IdleFlush = Timeout.InfiniteTimeSpan });
        var scan = Task.Run(() => engine.Scan(pipe.Reader, "-"));

        pipe.WriteLine(Event(1, "evil"));
        Assert.That(WaitUntil(() => sink.Count == 1), Is.True, "with no lateness an event is released as soon as it is read");

        pipe.Close();
        Assert.That(scan.Wait(Patience), Is.True);
    }

    [Test]
    public void CancelEndsBlockedRead()
    {
        using var pipe = new LivePipe();
        using var stop = new CancellationTokenSource();
        var sink = new CountingSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { IdleFlush = Timeout.InfiniteTimeSpan });
        var scan = Task.Run(() => engine.Scan([new ScanInput("-", () => pipe.Reader)], stop.Token));

        pipe.WriteLine(Event(1, "evil"));
        Assert.That(WaitUntil(() => engine.Summary.LinesRead == 1), Is.True);
        Assert.That(scan.IsCompleted, Is.False, "the scan waits for more input");

        stop.Cancel();
        Assert.That(scan.Wait(Patience), Is.True, "cancellation ends the read that waits for data");
        Assert.That(sink.Count, Is.EqualTo(1), "the event read before the cancellation is evaluated");
        AssertCounts(engine.Summary, read: 1, evaluated: 1);
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

            Thread.Sleep(20);
        }

        return true;
    }

    /// <summary>An anonymous pipe: the test writes lines to one end and the scan reads the other.</summary>
    private sealed class LivePipe : IDisposable
    {
        private readonly AnonymousPipeServerStream _writer = new(PipeDirection.Out);

        public LivePipe() => Reader = new AnonymousPipeClientStream(PipeDirection.In, _writer.ClientSafePipeHandle);

        public Stream Reader { get; }

        public void WriteLine(string line)
        {
            _writer.Write(Encoding.UTF8.GetBytes(line + "\n"));
            _writer.Flush();
        }

        public void Close()
        {
            _writer.Dispose();
        }

        public void Dispose()
        {
            _writer.Dispose();
            Reader.Dispose();
        }
    }

    /// <summary>Counts matches; the scan reports them on its own thread.</summary>
    private sealed class CountingSink : IAlertSink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) => Interlocked.Increment(ref _count);

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events) => Interlocked.Increment(ref _count);
    }
}
