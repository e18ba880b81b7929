using System.IO.Compression;
using System.Text;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Every input format reaches the rules with its position, and every document read is either evaluated
/// or rejected: NDJSON, gzip, JSON arrays, Elasticsearch search responses and hits, and bulk bodies.
/// </summary>
public class InputFormatTests
{
    private static readonly RuleSet Rules = Scan.CompileRules(("match.toml", RuleFiles.Eql("process where process.name == \"evil\"")));

    [Test]
    public void NdjsonEventsKeepTheirLines()
    {
        var (summary, matches) = Run(Lines(Event(1, "evil"), Event(2, "good"), "", Event(3, "evil")));

        Assert.That(matches.Select(m => (m.Line, m.Element)), Is.EqualTo(new[] { (1L, -1L), (4L, -1L) }));
        Assert.That(summary.RejectedByReason, Is.Empty);
        AssertCounts(summary, read: 4, evaluated: 3, skipped: 1);
    }

    [Test]
    public void StrictSkipsBlankAndCrlfLines()
    {
        var sink = new PositionSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { Strict = true });
        string text = "\r\n" + Event(1, "evil") + "\r\n \t\r\n\r\n" + Event(2, "evil") + "\r\n\n  \n";
        engine.Scan(Stream(text), "crlf.ndjson");

        Assert.That(engine.Summary.StoppedAt, Is.Null);
        Assert.That(sink.Matches.Select(m => m.Line), Is.EqualTo(new[] { 2L, 5L }));
        AssertCounts(engine.Summary, read: 7, evaluated: 2, skipped: 5);
    }

    [Test]
    public void BlankBulkSourceLineIsRejected()
    {
        string bulk = Lines("{\"index\":{}}", "", "{\"index\":{}}", Event(1, "evil"), "", "{\"delete\":{\"_id\":\"1\"}}");

        var (summary, matches) = Run(bulk);

        Assert.That(matches.Select(m => m.Line), Is.EqualTo(new[] { 4L }));
        Assert.That(summary.RejectedByReason, Is.EqualTo(new Dictionary<string, long> { ["empty line"] = 1 }));
        AssertCounts(summary, read: 3, evaluated: 1, skipped: 1);
    }

    [Test]
    public void GzipIsFoundByItsBytesNotItsName()
    {
        byte[] plain = Encoding.UTF8.GetBytes(Lines(Event(1, "evil"), Event(2, "evil"), Event(3, "good")));
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(plain);
        }

        var (summary, matches) = Run(compressed.ToArray(), "events.txt");

        Assert.That(compressed.ToArray()[..2], Is.EqualTo(new byte[] { 0x1f, 0x8b }));
        Assert.That(matches.Select(m => m.Line), Is.EqualTo(new[] { 1L, 2L }));
        AssertCounts(summary, read: 3, evaluated: 3);
    }

    [Test]
    public void TruncatedGzipKeepsCompleteLines()
    {
        var events = Enumerable.Range(0, 3000).Select(i => Event(i, i % 7 == 0 ? "evil" : "good")).ToArray();
        byte[] compressed = Gzip(Lines(events));
        byte[] cut = compressed[..(compressed.Length / 2)];
        int complete = CompleteLinesBeforeFailure(cut);

        var (summary, matches) = Run(cut, "cut.ndjson.gz");

        Assert.That(complete, Is.InRange(1, events.Length - 1));
        Assert.That(matches.Select(m => m.Line), Is.EqualTo(Enumerable.Range(1, complete).Where(line => (line - 1) % 7 == 0).Select(line => (long)line)));
        Assert.That(summary.Examples.Select(e => (e.Location, e.Reason)), Is.EqualTo(new[] { ($"cut.ndjson.gz:{complete + 1}", "truncated gzip stream") }));
        Assert.That(summary.Examples[0].Detail, Does.Contain("cut short"));
        Assert.That(summary.InputErrors, Has.Count.EqualTo(1));
        Assert.That(summary.InputErrors[0], Does.StartWith("cut.ndjson.gz: truncated gzip stream"));
        AssertCounts(summary, read: complete + 1, evaluated: complete);
    }

    [Test]
    public void GzipCutInsideTrailerIsTruncated()
    {
        // The whole file decompresses in one read, so the failure comes on the read after the last complete line.
        byte[] compressed = Gzip(Lines(Event(1, "evil"), Event(2, "evil"), Event(3, "good")));

        var (summary, matches) = Run(compressed[..^3], "small.ndjson.gz");

        Assert.That(matches.Select(m => m.Line), Is.EqualTo(new[] { 1L, 2L }));
        Assert.That(summary.Examples.Select(e => (e.Location, e.Reason)), Is.EqualTo(new[] { ("small.ndjson.gz:4", "truncated gzip stream") }));
        AssertCounts(summary, read: 4, evaluated: 3);
    }

    // Bad header flags fail the first read, which finds the format, so that error waits in the peek buffer.
    [TestCase("crc")]
    [TestCase("header flags")]
    public void CorruptGzipHasItsOwnReason(string damage)
    {
        var events = Enumerable.Range(0, 3000).Select(i => Event(i, "good")).ToArray();
        byte[] compressed = Gzip(Lines(events));
        if (damage == "crc")
        {
            compressed[^6] ^= 0xff;
        }
        else
        {
            compressed[3] = 0xe0;
        }

        int complete = CompleteLinesBeforeFailure(compressed);

        var (summary, _) = Run(compressed, "bad.ndjson.gz");

        // GZipStream drops the output of the read that fails, so fewer lines than a small-buffer read gets may come first.
        Assert.That(summary.EventsEvaluated, Is.InRange(0, complete));
        Assert.That(summary.RejectedByReason, Is.EqualTo(new Dictionary<string, long> { ["invalid gzip data"] = 1 }));
        Assert.That(summary.Examples[0].Location, Is.EqualTo($"bad.ndjson.gz:{summary.EventsEvaluated + 1}"));
        Assert.That(summary.Examples[0].Detail, Does.StartWith("invalid gzip data: the decompressor reported"));
        Assert.That(summary.InputErrors, Has.Count.EqualTo(1));
        AssertCounts(summary, read: summary.EventsEvaluated + 1, evaluated: summary.EventsEvaluated);
    }

    [Test]
    public void JsonArrayElementsKeepLineAndIndex()
    {
        string array = "[\n  " + Event(1, "evil") + ",\n  " + Event(2, "good") + ",\n\n  " + Event(3, "evil") + "\n]\n";

        var (summary, matches) = Run(array);

        Assert.That(matches.Select(m => (m.Line, m.Element)), Is.EqualTo(new[] { (2L, 0L), (5L, 2L) }));
        AssertCounts(summary, read: 3, evaluated: 3);
    }

    [Test]
    public void LargeJsonArrayIsReadElementByElement()
    {
        // About 2 MB, far more than the 64 KB the reader starts with, with one match at the very end.
        var elements = Enumerable.Range(0, 20_000).Select(i => Event(i % 50, i == 19_999 ? "evil" : "good")).ToList();

        var (summary, matches) = Run("[" + string.Join(",", elements) + "]");

        Assert.That(matches.Select(m => (m.Line, m.Element)), Is.EqualTo(new[] { (1L, 19_999L) }));
        AssertCounts(summary, read: 20_000, evaluated: 20_000);
    }

    [Test]
    public void MalformedArrayElementIsReportedWithItsPosition()
    {
        string array = "[\n" + Event(1, "evil") + ",\n\"not an object\",\n" + Event(2, "evil") + ",\n{\"@timestamp\": oops}\n]";

        var (summary, matches) = Run(array, "export.json");

        Assert.That(matches.Select(m => m.Element), Is.EqualTo(new[] { 0L, 2L }));
        Assert.That(summary.Examples.Select(e => e.Location), Is.EqualTo(new[] { "export.json:3[element 1]", "export.json:5[element 3]" }));
        Assert.That(summary.Examples[1].Detail, Does.StartWith("invalid JSON"));
        Assert.That(summary.Examples[1].Detail, Does.Contain("(line 5, byte "), "the message gives the one-based file line");
        Assert.That(summary.Examples[1].Detail, Does.Not.Contain("LineNumber"));
        Assert.That(summary.InputErrors, Has.Count.EqualTo(1), "an input whose reading stopped early is an input error");
        AssertCounts(summary, read: 4, evaluated: 2);
    }

    [Test]
    public void ByteOrderMarkBeforeArrayIsSkipped()
    {
        string[] inputs =
        [
            "\uFEFF[" + Event(1, "evil") + "," + Event(2, "evil") + "]",
            "\uFEFF{\"hits\":{\"hits\":[{\"_source\":" + Event(1, "evil") + "},{\"_source\":" + Event(2, "evil") + "}]}}",
        ];

        foreach (string input in inputs)
        {
            var (summary, matches) = Run(input);

            Assert.That(matches, Has.Count.EqualTo(2), input);
            AssertCounts(summary, read: 2, evaluated: 2);
        }
    }

    [Test]
    public void ArrayNonObjectElementsAreSkipped()
    {
        string array = "[" + Event(1, "evil") + ", 5, \"x\", [1, [2]], null,\n" + Event(2, "evil") + "]";

        var (summary, matches) = Run(array, "mixed.json");

        Assert.That(matches.Select(m => (m.Line, m.Element)), Is.EqualTo(new[] { (1L, 0L), (2L, 5L) }));
        Assert.That(summary.Examples.Select(e => e.Location), Is.EqualTo(new[]
        {
            "mixed.json:1[element 1]", "mixed.json:1[element 2]", "mixed.json:1[element 3]", "mixed.json:1[element 4]",
        }));
        Assert.That(summary.Examples.Select(e => e.Detail), Is.EqualTo(new[]
        {
            "the array element is a number (5), not a JSON object",
            "the array element is a string (\"x\"), not a JSON object",
            "the array element is an array ([1, [2]]), not a JSON object",
            "the array element is null, not a JSON object",
        }));
        Assert.That(summary.RejectedByReason, Is.EqualTo(new Dictionary<string, long> { ["not a JSON object"] = 4 }));
        AssertCounts(summary, read: 6, evaluated: 2);
    }

    [Test]
    public void PrettyPrintedSearchResponsesAreReadHitByHit()
    {
        string first = Response(Event(1, "evil"), Event(2, "good"));
        string second = Response(Event(3, "evil"));
        string pretty = Pretty(first) + "\n" + Pretty(second) + "\n";

        var (summary, matches) = Run(pretty);

        Assert.That(matches.Select(m => m.Element), Is.EqualTo(new[] { 0L, 0L }));
        Assert.That(matches[1].Line, Is.GreaterThan(matches[0].Line));
        AssertCounts(summary, read: 3, evaluated: 3);
    }

    [Test]
    public void ConcatenatedResponsesOnOneLine()
    {
        string text = Response(Event(1, "evil")) + Response(Event(2, "evil"), Event(3, "evil")) + "\n";

        var (summary, matches) = Run(text);

        Assert.That(matches.Select(m => m.Element), Is.EqualTo(new[] { 0L, 0L, 1L }));
        AssertCounts(summary, read: 3, evaluated: 3);
    }

    [Test]
    public void SearchResponsesOnePerLineAndHitLines()
    {
        string responses = Lines(Response(Event(1, "evil"), Event(2, "evil")), Response(), Response(Event(3, "good"), Event(4, "evil")));
        string hits = Lines(Hit(Event(1, "evil")), Hit(Event(2, "good")), "{\"_index\":\"logs\",\"_id\":\"3\"}");

        var (responseSummary, responseMatches) = Run(responses);
        var (hitSummary, hitMatches) = Run(hits);

        Assert.That(responseMatches.Select(m => (m.Line, m.Element)), Is.EqualTo(new[] { (1L, 0L), (1L, 1L), (3L, 1L) }));
        AssertCounts(responseSummary, read: 4, evaluated: 4);
        Assert.That(hitMatches.Select(m => (m.Line, m.Element)), Is.EqualTo(new[] { (1L, -1L) }));
        Assert.That(hitSummary.RejectedByReason.Keys, Is.EqualTo(new[] { "hit without _source" }));
        AssertCounts(hitSummary, read: 3, evaluated: 2);
    }

    [Test]
    public void BulkBodiesReplayIndexAndCreateSources()
    {
        string bulk = Lines(
            "{\"index\":{\"_index\":\"logs\",\"_id\":\"1\"}}",
            Event(1, "evil"),
            "{\"delete\":{\"_index\":\"logs\",\"_id\":\"9\"}}",
            "{\"create\":{\"_index\":\"logs\"}}",
            Event(2, "evil"),
            "{\"update\":{\"_index\":\"logs\",\"_id\":\"1\"}}",
            "{\"doc\":{\"process\":{\"name\":\"evil\"}}}",
            "{\"index\":{}}",
            Event(3, "good"));

        var (summary, matches) = Run(bulk);

        Assert.That(matches.Select(m => m.Line), Is.EqualTo(new[] { 2L, 5L }));
        Assert.That(summary.RejectedByReason, Is.EqualTo(new Dictionary<string, long> { ["bulk update"] = 1 }));
        AssertCounts(summary, read: 4, evaluated: 3);
    }

    [Test]
    public void TimestampProblemsNameTheValue()
    {
        var (summary, _) = Run(Lines(
            "{\"@timestamp\":\"yesterday\",\"process\":{\"name\":\"evil\"}}",
            "{\"process\":{\"name\":\"evil\"}}",
            "{\"@timestamp\":\"2026-02-30T00:00:00Z\"}"));

        Assert.That(summary.Examples.Select(e => e.Detail), Is.EqualTo(new[]
        {
            "invalid @timestamp \"yesterday\": not an ISO 8601 date or epoch milliseconds",
            "missing @timestamp",
            "invalid @timestamp \"2026-02-30T00:00:00Z\": not an ISO 8601 date or epoch milliseconds",
        }));
        AssertCounts(summary, read: 3, evaluated: 0);
    }

    [Test]
    public void StrictStopsAtTheFirstRejection()
    {
        var sink = new PositionSink();
        var engine = new ScanEngine(Rules, sink, new ScanOptions { Strict = true });
        engine.Scan(Stream(Lines(Event(1, "evil"), "{broken", Event(2, "evil"))), "in.ndjson");

        Assert.That(engine.Summary.StoppedAt?.Location, Is.EqualTo("in.ndjson:2"));
        Assert.That(engine.Summary.StoppedAt?.Reason, Is.EqualTo("invalid JSON"));
        Assert.That(sink.Matches.Select(m => m.Line), Is.EqualTo(new[] { 1L }), "events read before the rejection are still evaluated");
        AssertCounts(engine.Summary, read: 2, evaluated: 1);
    }

    [Test]
    public void AlertsCarryTheElementIndex()
    {
        var output = new MemoryStream();
        var engine = new ScanEngine(Rules, new AlertWriter(output));
        engine.Scan(Stream("[" + Event(1, "good") + "," + Event(2, "evil") + "]"), "export.json");
        engine.Finish();

        string alert = Encoding.UTF8.GetString(output.ToArray());
        Assert.That(alert, Does.Contain("\"compiled.source.file\":\"export.json\",\"compiled.source.line\":1,\"compiled.source.element\":1"));
    }

    internal static string Event(int seconds, string name, string category = "process", string host = "h1") =>
        System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = DateTime.UnixEpoch.AddSeconds(1_767_225_600 + seconds).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            ["event"] = new { category },
            ["host"] = new { id = host },
            ["process"] = new { name },
        });

    private static byte[] Gzip(string text)
    {
        var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return compressed.ToArray();
    }

    /// <summary>Decompresses until GZipStream fails and counts the newlines it returned before that.</summary>
    private static int CompleteLinesBeforeFailure(byte[] compressed)
    {
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        var buffer = new byte[4096];
        int newlines = 0;
        try
        {
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                newlines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }
        catch (InvalidDataException)
        {
            return newlines;
        }

        Assert.Fail("the damaged gzip data decompressed without an error");
        return -1;
    }

    internal static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    internal static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));

    private static string Hit(string source) => $"{{\"_index\":\"logs\",\"_id\":\"x\",\"_score\":1.0,\"_source\":{source}}}";

    private static string Response(params string[] sources) =>
        $"{{\"took\":3,\"timed_out\":false,\"_shards\":{{\"total\":1}},\"hits\":{{\"total\":{{\"value\":{sources.Length}}},\"max_score\":1.0,\"hits\":[{string.Join(",", sources.Select(Hit))}]}},\"aggregations\":{{\"a\":{{\"buckets\":[]}}}}}}";

    private static string Pretty(string json) =>
        System.Text.Json.JsonSerializer.Serialize(System.Text.Json.JsonDocument.Parse(json).RootElement, new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

    private static (ScanSummary Summary, List<PositionSink.Match> Matches) Run(string text, string name = "input") => Run(Encoding.UTF8.GetBytes(text), name);

    private static (ScanSummary Summary, List<PositionSink.Match> Matches) Run(byte[] bytes, string name)
    {
        var sink = new PositionSink();
        var engine = new ScanEngine(Rules, sink);
        engine.Scan(new MemoryStream(bytes), name);
        engine.Finish();
        return (engine.Summary, sink.Matches);
    }

    internal static void AssertCounts(ScanSummary summary, long read, long evaluated, long skipped = 0)
    {
        Assert.That((summary.LinesRead, summary.EventsEvaluated, summary.LinesRejected), Is.EqualTo((read, evaluated, read - evaluated - skipped)));
        Assert.That(summary.BlankLinesSkipped, Is.EqualTo(skipped));
        Assert.That(summary.LinesRead, Is.EqualTo(summary.EventsEvaluated + summary.LinesRejected + summary.BlankLinesSkipped));
    }
}

/// <summary>Records where each matched event came from and its time.</summary>
internal sealed class PositionSink : IAlertSink
{
    public sealed record Match(string Rule, string Source, long Line, long Element, long Timestamp);

    public List<Match> Matches { get; } = [];

    public List<(string Rule, long[] Timestamps)> Sequences { get; } = [];

    public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) =>
        Matches.Add(new Match(rule.Descriptor.Name, ev.Source, ev.LineNumber, ev.ElementIndex, timestamp));

    public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
    {
        var times = new long[events.Length];
        for (int i = 0; i < events.Length; i++)
        {
            times[i] = events[i].Timestamp;
        }

        Sequences.Add((rule.Descriptor.Name, times));
    }
}
