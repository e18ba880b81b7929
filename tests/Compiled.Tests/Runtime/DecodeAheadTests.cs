using System.IO.Compression;
using System.Text;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Decoding ahead on other threads must not change what a scan reports. Each test scans the same inputs on one
/// thread and then decoding ahead with batches of several sizes, the smallest far below one corpus event, so
/// that documents cross batch boundaries and the engine decodes parts of batches itself. The alerts, written
/// as the alert file would be, and every count and message of the summary must be the same.
/// </summary>
public class DecodeAheadTests
{
    private static readonly int[] BatchBytes = [512, 8 * 1024, 256 * 1024];

    private static readonly string ShadowCopyRule = RuleFiles.Eql("process where process.name == \"vssadmin.exe\"");

    /// <summary>Lines that are not valid events, each rejected with its own reason, or skipped.</summary>
    private static readonly string[] BadLines =
    [
        "",
        "   ",
        "not json",
        "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"event\":{\"category\":\"process\"}",
        "{\"event\":{\"category\":\"process\"}}",
        "{\"@timestamp\":\"yesterday\"}",
        "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"a\":1,\"a\":2}",
        "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"n\":1e999}",
        "[1,2,3]",
        "{\"@timestamp\":\"2024-05-01T10:00:00Z\"} trailing",
    ];

    [Test]
    [Category("Corpus")]
    public void CorpusWithBadLinesMatchesOneThread()
    {
        var rules = CorpusRules.Compilation.CreateRuleSet();
        byte[] input = Mixed(ScannedEventDecodingTests.CorpusLines());

        // A short lateness and a small buffer make events late and released early, which both paths must count alike.
        var options = new ScanOptions { MaxLateness = TimeSpan.FromSeconds(30), MaxBufferedEvents = 200 };
        var expected = Run(rules, options with { DecodeAhead = false }, [("events.ndjson", input)]);

        Assert.That(expected.Alerts, Is.Not.Empty);
        Assert.That(expected.Summary, Does.Contain("rejected ").And.Contain("late "));
        AssertEveryBatchSizeMatches(rules, options, [("events.ndjson", input)], expected);
    }

    [Test]
    [Category("Corpus")]
    public void MergedInputsMatchOneThread()
    {
        var rules = CorpusRules.Compilation.CreateRuleSet();
        var lines = ScannedEventDecodingTests.CorpusLines();
        var inputs = Enumerable.Range(0, 3)
            .Select(part => ($"part{part}.ndjson", Mixed(lines.Where((_, i) => i % 3 == part).ToList())))
            .ToArray();

        var expected = Run(rules, new ScanOptions { DecodeAhead = false }, inputs);

        Assert.That(expected.Alerts, Is.Not.Empty);
        AssertEveryBatchSizeMatches(rules, new ScanOptions(), inputs, expected);
    }

    [Test]
    public void ManyOpenInputsReadOnOneThread()
    {
        var rules = Scan.CompileRules(("shadow.toml", ShadowCopyRule));
        var inputs = Enumerable.Range(0, 40)
            .Select(part => ($"part{part}.ndjson", Encoding.UTF8.GetBytes(Event(part, "vssadmin.exe") + "\n")))
            .ToArray();
        var engine = new ScanEngine(rules, new RecordingSink(), new ScanOptions { DecodeAhead = true });

        engine.Scan(inputs.Select(input => new ScanInput(input.Item1, () => new MemoryStream(input.Item2, writable: false))).ToList());

        Assert.That(engine.InputsDecodedAhead, Is.Zero);
        Assert.That(engine.Summary.EventsEvaluated, Is.EqualTo(40));
    }

    [Test]
    public void StrictStopMatchesOneThread()
    {
        var rules = Scan.CompileRules(("shadow.toml", ShadowCopyRule));
        var lines = Enumerable.Range(0, 400).Select(i => Event(i, i % 3 == 0 ? "vssadmin.exe" : "cmd.exe")).ToList();
        lines.Insert(250, "{\"@timestamp\":\"yesterday\"}");
        byte[] input = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");

        var expected = Run(rules, new ScanOptions { Strict = true, DecodeAhead = false }, [("strict.ndjson", input)]);

        Assert.That(expected.Summary, Does.Contain("stopped at strict.ndjson:251"));
        Assert.That(expected.Alerts, Is.Not.Empty);
        AssertEveryBatchSizeMatches(rules, new ScanOptions { Strict = true }, [("strict.ndjson", input)], expected);
    }

    [Test]
    public void TruncatedGzipMatchesOneThread()
    {
        var rules = Scan.CompileRules(("shadow.toml", ShadowCopyRule));
        var text = string.Join("\n", Enumerable.Range(0, 3000).Select(i => Event(i, i % 7 == 0 ? "vssadmin.exe" : "cmd.exe"))) + "\n";
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        byte[] truncated = compressed.ToArray()[..(int)(compressed.Length * 2 / 3)];
        var expected = Run(rules, new ScanOptions { DecodeAhead = false }, [("cut.ndjson.gz", truncated)]);

        Assert.That(expected.Summary, Does.Contain("input error cut.ndjson.gz"));
        Assert.That(expected.Alerts, Is.Not.Empty);
        AssertEveryBatchSizeMatches(rules, new ScanOptions(), [("cut.ndjson.gz", truncated)], expected);
    }

    [Test]
    public void LargeEventsAndValuesMatchOneThread()
    {
        // The rule reads every argument, so an event with thousands of them has decoded values far larger than
        // a small batch keeps, and the engine decodes it again when it releases it.
        var rules = Scan.CompileRules(("args.toml", RuleFiles.Eql("process where process.args : \"needle*\"")));
        var lines = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            int count = i % 10 == 0 ? 5000 : 3;
            var args = Enumerable.Range(0, count).Select(n => n == count - 1 && i % 20 == 0 ? "needle" : $"arg{n}");
            string padding = i % 15 == 0 ? new string('x', 100_000) : "x";
            lines.Add($"{{\"@timestamp\":\"2024-05-01T10:{i / 60:00}:{i % 60:00}Z\",\"event\":{{\"category\":\"process\"}},"
                + $"\"process\":{{\"args\":[{string.Join(",", args.Select(arg => $"\"{arg}\""))}]}},\"padding\":\"{padding}\"}}");
        }

        byte[] input = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        var expected = Run(rules, new ScanOptions { DecodeAhead = false }, [("large.ndjson", input)]);

        Assert.That(expected.Alerts.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(15));
        AssertEveryBatchSizeMatches(rules, new ScanOptions(), [("large.ndjson", input)], expected);
    }

    [Test]
    public void InputReadsOneLargeDocumentAhead()
    {
        // Eight files whose events each take twice a batch. The sink makes the engine slow, so every work item
        // reads as far ahead as it may while the engine waits on the first events.
        var rules = Scan.CompileRules(("shadow.toml", ShadowCopyRule));
        const int BatchBytes = 8 * 1024;
        var inputs = Enumerable.Range(0, 8).Select(file =>
        {
            var lines = Enumerable.Range(0, 12).Select(i => Event((file * 100) + i, "vssadmin.exe").Replace("\"args\"", $"\"padding\":\"{new string('p', 2 * BatchBytes)}\",\"args\""));
            byte[] bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
            return new ScanInput($"large{file}.ndjson", () => new MemoryStream(bytes, writable: false));
        }).ToList();
        var sink = new SlowSink();
        var engine = new ScanEngine(rules, sink, Ahead(new ScanOptions(), BatchBytes));

        engine.Scan(inputs);
        engine.Finish();

        Assert.That(sink.Events, Is.EqualTo(96));
        Assert.That(engine.InputsDecodedAhead, Is.EqualTo(8));
        Assert.That(engine.PeakOversizedBatches, Is.GreaterThan(0), "the events must not fit in a batch");
        // Per input, the batch the engine reads and one batch ahead of it.
        Assert.That(engine.PeakOversizedBatches, Is.LessThanOrEqualTo(2 * 8));
    }

    /// <summary>Counts event alerts, taking a few milliseconds over each so that reading gets ahead of the engine.</summary>
    private sealed class SlowSink : IAlertSink
    {
        public int Events { get; private set; }

        public void OnEventMatch(DetectionRule rule, Compiled.Runtime.Events.EventRecord ev, long timestamp)
        {
            Thread.Sleep(5);
            Events++;
        }

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
        {
        }
    }

    [Test]
    public void ManyScansReuseDecoders()
    {
        var rules = Scan.CompileRules(("shadow.toml", ShadowCopyRule));
        var sink = new RecordingSink();
        var engine = new ScanEngine(rules, sink, Ahead(new ScanOptions(), 8 * 1024));
        byte[] input = Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 2000).Select(i => Event(i, "vssadmin.exe"))) + "\n");

        for (int scan = 0; scan < 50; scan++)
        {
            engine.Scan(new MemoryStream(input), $"scan{scan}.ndjson");
        }

        engine.Finish();
        Assert.That(engine.InputsDecodedAhead, Is.EqualTo(50));
        Assert.That(engine.Summary.EventsEvaluated, Is.EqualTo(100_000));
        Assert.That(sink.Events, Has.Count.EqualTo(100_000));
    }

    [Test]
    public void ScanFinishesWhileThreadPoolIsBusy()
    {
        var rules = Scan.CompileRules(("shadow.toml", ShadowCopyRule));
        byte[] input = Encoding.UTF8.GetBytes(string.Join("\n", Enumerable.Range(0, 5000).Select(i => Event(i, i % 4 == 0 ? "vssadmin.exe" : "cmd.exe"))) + "\n");
        var expected = Run(rules, new ScanOptions { DecodeAhead = false }, [("busy.ndjson", input)]);

        // The pool may not add threads, and every thread it has waits on a gate. Work items queued first that find
        // no thread stay ahead of the scan's in the queue, so no work item of the scan can run.
        ThreadPool.GetMaxThreads(out int maxWorkers, out int maxCompletion);
        ThreadPool.GetMinThreads(out int minWorkers, out int minCompletion);
        int threads = Environment.ProcessorCount;

        // Blockers still queued when the test ends wait on the gate after it is set, so it is not disposed.
        var gate = new ManualResetEventSlim();

        Assert.That(ThreadPool.SetMinThreads(threads, minCompletion), Is.True);
        Assert.That(ThreadPool.SetMaxThreads(threads, maxCompletion), Is.True);
        try
        {
            for (int i = 0; i < threads; i++)
            {
                ThreadPool.QueueUserWorkItem(_ => gate.Wait());
            }

            (string Alerts, string Summary) actual = default;
            Exception? failure = null;
            var scan = new Thread(() =>
            {
                try
                {
                    actual = Run(rules, Ahead(new ScanOptions(), 8 * 1024), [("busy.ndjson", input)]);
                }
                catch (Exception error)
                {
                    failure = error;
                }
            });
            scan.Start();

            Assert.That(scan.Join(TimeSpan.FromSeconds(60)), Is.True, "the scan finished while the pool was busy");
            Assert.That(failure, Is.Null);
            Assert.That(actual.Summary, Is.EqualTo(expected.Summary));
            Assert.That(actual.Alerts, Is.EqualTo(expected.Alerts));
        }
        finally
        {
            gate.Set();
            ThreadPool.SetMaxThreads(maxWorkers, maxCompletion);
            ThreadPool.SetMinThreads(minWorkers, minCompletion);
        }
    }

    private static void AssertEveryBatchSizeMatches(RuleSet rules, ScanOptions options, (string Name, byte[] Bytes)[] inputs, (string Alerts, string Summary) expected)
    {
        foreach (int batchBytes in BatchBytes)
        {
            var actual = Run(rules, Ahead(options, batchBytes), inputs);
            Assert.That(actual.Summary, Is.EqualTo(expected.Summary), $"summary with {batchBytes}-byte batches");
            Assert.That(actual.Alerts, Is.EqualTo(expected.Alerts), $"alerts with {batchBytes}-byte batches");
        }
    }

    private static ScanOptions Ahead(ScanOptions options, int batchBytes) =>
        options with { DecodeAhead = true, DecodeAheadBatchBytes = batchBytes };

    private static (string Alerts, string Summary) Run(RuleSet rules, ScanOptions options, (string Name, byte[] Bytes)[] inputs)
    {
        var output = new MemoryStream();
        var writer = new AlertWriter(output);
        var engine = new ScanEngine(rules, writer, options);
        engine.Scan(inputs.Select(input => new ScanInput(input.Name, () => new MemoryStream(input.Bytes, writable: false))).ToList());
        engine.Finish();
        writer.Flush();

        Assert.That(engine.InputsDecodedAhead, Is.EqualTo(options.DecodeAhead ? inputs.Length : 0), "inputs decoded ahead");
        return (Encoding.UTF8.GetString(output.ToArray()), Describe(engine.Summary));
    }

    private static string Describe(ScanSummary summary)
    {
        var text = new StringBuilder();
        text.AppendLine($"read {summary.LinesRead}, evaluated {summary.EventsEvaluated}, rejected {summary.LinesRejected}, blank {summary.BlankLinesSkipped}");
        text.AppendLine($"files {summary.FilesRead}, late {summary.EventsLate}, early releases {summary.EarlyReleases}, peak {summary.PeakBufferedEvents}");
        text.AppendLine($"stopped at {summary.StoppedAt?.Location} {summary.StoppedAt?.Detail}");
        foreach (var error in summary.InputErrors)
        {
            text.AppendLine($"input error {error}");
        }

        foreach (var (reason, count) in summary.RejectedByReason.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"reason {reason}: {count}");
        }

        foreach (var example in summary.Examples)
        {
            text.AppendLine($"example {example.Location} {example.Reason}: {example.Detail}");
        }

        return text.ToString();
    }

    /// <summary>Joins event lines into NDJSON with a bad line after every 37th event.</summary>
    private static byte[] Mixed(List<byte[]> events)
    {
        var output = new MemoryStream();
        for (int i = 0; i < events.Count; i++)
        {
            output.Write(events[i]);
            output.WriteByte((byte)'\n');
            if (i % 37 == 36)
            {
                output.Write(Encoding.UTF8.GetBytes(BadLines[i / 37 % BadLines.Length]));
                output.WriteByte((byte)'\n');
            }
        }

        return output.ToArray();
    }

    private static string Event(int second, string processName) =>
        $"{{\"@timestamp\":\"2024-05-01T{10 + (second / 3600):00}:{second / 60 % 60:00}:{second % 60:00}Z\",\"event\":{{\"category\":\"process\",\"type\":\"start\"}},"
        + $"\"process\":{{\"name\":\"{processName}\",\"command_line\":\"{processName} delete shadows /all\",\"args\":[\"delete\",\"shadows\",\"/all\"]}}}}";
}
