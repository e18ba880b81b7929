using System.IO.Compression;
using System.Text;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;
using static Compiled.Tests.Runtime.InputFormatTests;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Events reach the rules in event-time order: inputs are merged by time, a reorder buffer sorts
/// events that arrive a little late, ties go by input then position, and a late event is evaluated by
/// single-event rules only and counted.
/// </summary>
public class EventOrderTests
{
    private const string NetworkThenProcess = "sequence by host.id [network where true] [process where true]";

    [Test]
    public void TwoOutOfPhaseFilesAreMergedByTime()
    {
        var rules = Rules(("any.toml", RuleFiles.Eql("any where true", "Any")), ("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq", "1c2d3e4f-0000-4000-8000-000000000002")));
        // Each file is in order, but their times interleave; the network event of b starts the sequence.
        string a = Lines(Event(0, "x"), Event(20, "p", "process"), Event(40, "x"));
        string b = Lines(Event(10, "n", "network"), Event(20, "y"), Event(30, "y"));

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { MaxLateness = TimeSpan.Zero });
        engine.Scan([Input("a.ndjson", a), Input("b.ndjson", b)]);
        engine.Finish();

        var order = sink.Matches.Where(m => m.Rule == "Any").Select(m => $"{m.Source}:{m.Line}").ToList();
        Assert.That(order, Is.EqualTo(new[] { "a.ndjson:1", "b.ndjson:1", "a.ndjson:2", "b.ndjson:2", "b.ndjson:3", "a.ndjson:3" }),
            "time order; the tie at 20 s goes to the input given first");
        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(engine.Summary.EventsLate, Is.Zero);

        // Read one after the other with no lateness, b's events are all late and the sequence is lost.
        var sequential = new PositionSink();
        var oneByOne = new ScanEngine(rules, sequential, new ScanOptions { MaxLateness = TimeSpan.Zero });
        oneByOne.Scan(Stream(a), "a.ndjson");
        oneByOne.Scan(Stream(b), "b.ndjson");
        oneByOne.Finish();
        Assert.That(sequential.Sequences, Is.Empty);
        Assert.That(oneByOne.Summary.EventsLate, Is.EqualTo(3));
        Assert.That(sequential.Matches.Count(m => m.Rule == "Any"), Is.EqualTo(6), "single-event rules still see late events");
    }

    [Test]
    public void ReorderBufferSortsEventsWithinTheLateness()
    {
        var rules = Rules(("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq")));
        string input = Lines(Event(20, "p", "process"), Event(10, "n", "network"), Event(25, "x"));

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { MaxLateness = TimeSpan.FromSeconds(30) });
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(engine.Summary.EventsLate, Is.Zero);
        AssertCounts(engine.Summary, read: 3, evaluated: 3);
    }

    // A lateness beyond the range of a long of nanoseconds keeps every event for reordering, as no bound does.
    [Test]
    public void HugeLatenessIsUnbounded([Values(106_752, 3_000_000)] int days)
    {
        var rules = Rules(("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq")));
        string input = Lines(Event(2_000, "p", "process"), Event(10, "n", "network"), Event(25, "x"));

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { MaxLateness = TimeSpan.FromDays(days) });
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(engine.Summary.EventsLate, Is.Zero);
    }

    [Test]
    public void LateEventAlertsForSingleEventRulesButNotSequences()
    {
        var rules = Rules(
            ("net.toml", RuleFiles.Eql("network where true", "Net")),
            ("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq", "1c2d3e4f-0000-4000-8000-000000000002")));
        // The process event at 100 s is released when the event at 200 s arrives (200 - 30 > 100); the
        // network event at 50 s comes after that, so it is late although it would start the sequence.
        string input = Lines(Event(100, "p", "process"), Event(200, "x"), Event(50, "n", "network"), Event(300, "p", "process"));

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { MaxLateness = TimeSpan.FromSeconds(30) });
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        Assert.That(sink.Matches.Select(m => (m.Rule, m.Line)), Is.EqualTo(new[] { ("Net", 3L) }));
        Assert.That(sink.Sequences, Is.Empty);
        Assert.That(engine.Summary.EventsLate, Is.EqualTo(1));
        AssertCounts(engine.Summary, read: 4, evaluated: 4);

        // With a lateness that covers it, the same input completes the sequence.
        var patient = new PositionSink();
        var wide = new ScanEngine(rules, patient, new ScanOptions { MaxLateness = TimeSpan.FromMinutes(5) });
        wide.Scan(Stream(input), "in.ndjson");
        wide.Finish();
        Assert.That(patient.Sequences, Has.Count.EqualTo(1));
        Assert.That(wide.Summary.EventsLate, Is.Zero);
    }

    [Test]
    public void SeekableInputsSortFullyWhenAsked()
    {
        var rules = Rules(("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq")));
        // The event at 7,200 s releases the process event at 3,600 s under a five-minute lateness, so the
        // network event at 0 s that starts the sequence is late unless the whole input is sorted first.
        string input = Lines(Event(3600, "p", "process"), Event(7200, "x"), Event(0, "n", "network"));
        var options = new ScanOptions { SortSeekableInputsFully = true, IdleFlush = Timeout.InfiniteTimeSpan };

        var seekableSink = new PositionSink();
        var seekable = new ScanEngine(rules, seekableSink, options);
        seekable.Scan(Stream(input), "in.ndjson");
        seekable.Finish();

        // A decompressing stream cannot seek, so the engine reads it as a stream and applies MaxLateness.
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionMode.Compress, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(input));
        }

        compressed.Position = 0;
        var streamSink = new PositionSink();
        var stream = new ScanEngine(rules, streamSink, options);
        stream.Scan(new GZipStream(compressed, CompressionMode.Decompress), "pipe");
        stream.Finish();

        Assert.That(seekableSink.Sequences, Has.Count.EqualTo(1));
        Assert.That(seekable.Summary.EventsLate, Is.Zero);
        Assert.That(streamSink.Sequences, Is.Empty);
        Assert.That(stream.Summary.EventsLate, Is.EqualTo(1));
    }

    [Test]
    public void FullBufferReleasesTheOldestEarly()
    {
        var rules = Rules(("any.toml", RuleFiles.Eql("any where true", "Any")));
        string input = Lines(Enumerable.Range(0, 10).Select(i => Event(i, "x")).ToArray());

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { MaxLateness = TimeSpan.FromDays(1), MaxBufferedEvents = 3 });
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        Assert.That(engine.Summary.PeakBufferedEvents, Is.EqualTo(4), "one over the cap before the oldest goes");
        Assert.That(engine.Summary.EarlyReleases, Is.EqualTo(7));
        Assert.That(sink.Matches.Select(m => m.Line), Is.EqualTo(Enumerable.Range(1, 10).Select(i => (long)i)));
    }

    // Rules ordered by @timestamp and rules ordered by event.ingested each queue every event, and both can
    // release it early, but the summary counts events.
    [Test]
    public void EarlyReleaseCountsEachEventOnce()
    {
        var rules = Rules(
            ("ingested.toml", RuleFiles.Eql("any where true", "By ingest", extra: "timestamp_override = \"event.ingested\"")),
            ("plain.toml", RuleFiles.Eql("any where true", "By time", "1c2d3e4f-0000-4000-8000-000000000002")));
        string input = Lines(Enumerable.Range(0, 10)
            .Select(i => $"{{\"@timestamp\":\"2026-01-01T00:00:{i:00}Z\",\"event\":{{\"category\":\"process\",\"ingested\":\"2026-01-01T00:01:{i:00}Z\"}}}}")
            .ToArray());

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { MaxLateness = TimeSpan.FromDays(1), MaxBufferedEvents = 3 });
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        // Every @timestamp is older than every event.ingested, so the @timestamp group releases all ten events
        // early, and the event.ingested group seven of them again.
        Assert.That(engine.Summary.EarlyReleases, Is.EqualTo(10));
        Assert.That(sink.Matches, Has.Count.EqualTo(20));
    }

    [Test]
    public void ReadAheadEventsLeaveTheBufferLimitAlone()
    {
        var rules = Rules(("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq")));

        // The network event is earlier than the process event but follows it in the file. With room for one
        // event, the network event is released early when it arrives, and the process event after it. The
        // other input's next event, read ahead to merge the inputs, must not take that room.
        string a = Lines(Event(10, "p", "process"), Event(0, "n", "network"));
        string b = Lines(Event(3600, "y"));

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink, new ScanOptions { SortSeekableInputsFully = true, MaxBufferedEvents = 1 });
        engine.Scan([Input("a.ndjson", a), Input("b.ndjson", b)]);
        engine.Finish();

        Assert.That(engine.Summary.EventsLate, Is.Zero);
        Assert.That(engine.Summary.PeakBufferedEvents, Is.EqualTo(2));
        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void DecodedValuesLeaveTheByteLimitAlone()
    {
        var rules = Rules(
            ("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq")),
            ("nums.toml", RuleFiles.Eql("any where custom.nums == 7", "Nums", "1c2d3e4f-0000-4000-8000-000000000002")));

        // Each array of 2,000 small numbers decodes to many times its JSON, so the decoded values of the 40
        // events exceed the limit that their JSON fits in. The network event comes last in the file but
        // first in time, so an early release would make it late for the sequence.
        string numbers = string.Join(',', Enumerable.Range(0, 2000));
        var lines = new List<string> { Event(10, "p", "process") };
        for (int i = 0; i < 40; i++)
        {
            lines.Add(Event(20 + i, "f", "file")[..^1] + ",\"custom\":{\"nums\":[" + numbers + "]}}");
        }

        lines.Add(Event(0, "n", "network"));
        string input = Lines(lines.ToArray());

        var sink = new PositionSink();
        var options = new ScanOptions { SortSeekableInputsFully = true, MaxBufferedBytes = Encoding.UTF8.GetByteCount(input) };
        var engine = new ScanEngine(rules, sink, options);
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        Assert.That(engine.Summary.LinesRejected, Is.Zero);
        Assert.That(engine.Summary.EarlyReleases, Is.Zero);
        Assert.That(engine.Summary.EventsLate, Is.Zero);
        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(sink.Matches.Count(match => match.Rule == "Nums"), Is.EqualTo(40), "events decoded again at release match too");
    }

    [Test]
    public void EachRuleOrdersByItsOwnTimestampField()
    {
        string Timed(int timestamp, int ingested, string category) =>
            $"{{\"@timestamp\":\"2026-01-01T00:00:{timestamp:00}Z\",\"event\":{{\"category\":\"{category}\",\"ingested\":\"2026-01-01T00:01:{ingested:00}Z\"}},\"host\":{{\"id\":\"h1\"}}}}";
        var rules = Rules(
            ("ingested.toml", RuleFiles.Eql(NetworkThenProcess, "By ingest", extra: "timestamp_override = \"event.ingested\"")),
            ("plain.toml", RuleFiles.Eql(NetworkThenProcess, "By time", "1c2d3e4f-0000-4000-8000-000000000002")));
        // By @timestamp the process event comes first; by event.ingested the network event does.
        string input = Lines(Timed(5, 20, "process"), Timed(30, 10, "network"));

        var sink = new PositionSink();
        var engine = new ScanEngine(rules, sink);
        engine.Scan(Stream(input), "in.ndjson");
        engine.Finish();

        Assert.That(sink.Sequences.Select(s => s.Rule), Is.EqualTo(new[] { "By ingest" }));
    }

    [Test]
    public void InOrderScanAllocatesNothingPerEventOnceWarm()
    {
        var rules = Scan.CompileSeedRule();
        var sink = new RecordingSink();
        var engine = new ScanEngine(rules, sink);

        // The warm-up fills several of the store's 1 MiB chunks, so the measured scan reuses them.
        engine.Scan(Stream(Lines(Enumerable.Range(0, 20_000).Select(i => Event(i, "warm")).ToArray())), "warm-up");
        var measured = Enumerable.Range(0, 3)
            .Select(pass => Encoding.UTF8.GetBytes(Lines(Enumerable.Range(20_000 + (pass * 50_000), 50_000).Select(i => Event(i, "steady")).ToArray())))
            .ToArray();

        long allocated = Allocations.Least(measured.Length, pass => engine.Scan(new MemoryStream(measured[pass]), $"measured {pass}"));

        TestContext.Out.WriteLine($"{allocated} bytes for 50,000 events held for the default 5 minutes of lateness");
        Assert.That(engine.Summary.EventsEvaluated, Is.EqualTo(170_000));
        Assert.That(engine.Summary.PeakBufferedEvents, Is.EqualTo(301));
        // The reader's buffers for the new input are allocated once per scan; nothing grows with the events.
        Assert.That(allocated, Is.LessThan(100_000), $"{allocated} bytes for 50,000 events");
    }

    [Test]
    public void SameMillisecondKeepsNanosecondOrder()
    {
        var rules = Rules(("seq.toml", RuleFiles.Eql(NetworkThenProcess, "Seq")));
        string Timed(string time, string category) =>
            $"{{\"@timestamp\":\"2026-03-02T10:00:01.123{time}Z\",\"event\":{{\"category\":\"{category}\"}},\"host\":{{\"id\":\"h1\"}}}}";

        // The process event is written first but happened 400 ns after the network event.
        string input = Lines(Timed("456789", "process"), Timed("456389", "network"));
        var (_, alerts) = Scan.RunToAlerts(rules, input);

        var lines = alerts.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(3), "two building blocks and the sequence alert");
        Assert.That(lines.Select(a => a.GetProperty("@timestamp").GetString()), Is.EqualTo(new[]
        {
            "2026-03-02T10:00:01.123456389Z", "2026-03-02T10:00:01.123456789Z", "2026-03-02T10:00:01.123456789Z",
        }));
        Assert.That(lines[0].GetProperty("kibana.alert.original_time").GetString(), Is.EqualTo("2026-03-02T10:00:01.123456389Z"));
    }

    [TestCase("2026-03-02T10:00:01Z", "2026-03-02T10:00:01.000Z")]
    [TestCase("2026-03-02T10:00:01.5Z", "2026-03-02T10:00:01.500Z")]
    [TestCase("2026-03-02T10:00:01.000000001Z", "2026-03-02T10:00:01.000000001Z")]
    [TestCase("2026-03-02T10:00:01.1234567891Z", "2026-03-02T10:00:01.123456789Z")]
    [TestCase("1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z")]
    [TestCase("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z")]
    public void FormatKeepsSubMillisecondDigits(string input, string expected)
    {
        Assert.That(Compiled.Runtime.Events.Timestamps.TryParse(input, out long nanoseconds), Is.True);
        Assert.That(Compiled.Runtime.Events.Timestamps.Format(nanoseconds), Is.EqualTo(expected));
    }

    private static RuleSet Rules(params (string FileName, string Toml)[] rules) => Scan.CompileRules(rules);

    private static ScanInput Input(string name, string text) => new(name, () => Stream(text));
}
