using System.Runtime;
using System.Text;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Decoding and matching an event that raises no alert allocate nothing once the buffers have grown.
/// SequenceReuseTests shows the same for events that sequences keep.
/// </summary>
public class AllocationTests
{
    [Test]
    public void DecodeAndEvaluateAllocateNothingPerEvent()
    {
        var rules = Scan.CompileSeedRule();
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();
        var lines = RealEventLines(200).Select(Encoding.UTF8.GetBytes).ToList();
        Assert.That(lines, Has.Count.EqualTo(200));

        for (int i = 0; i < 3; i++)
        {
            RunOnce(lines, decoder, record, rules, sink);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int evaluated = RunOnce(lines, decoder, record, rules, sink);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(evaluated, Is.GreaterThan(100));
        Assert.That(sink.Sequences, Is.Empty);
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for {evaluated} events");
    }

    [Test]
    public void ComputedConditionsAllocateNothingPerEvent()
    {
        string query = "process where concat(process.name, \":\", process.pid) : \"zz*\" or " +
            "(length(process.executable) > 4 and substring(string(process.pid), 0, 1) == \"x\") or between(process.command_line, \" \", \" \") == \"-zz\"";
        var rules = Scan.CompileRules(("computed.toml", RuleFiles.Eql(query)));
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();
        var lines = RealEventLines(200).Select(Encoding.UTF8.GetBytes).ToList();
        for (int i = 0; i < 3; i++)
        {
            RunOnce(lines, decoder, record, rules, sink);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int evaluated = RunOnce(lines, decoder, record, rules, sink);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(evaluated, Is.GreaterThan(100));
        Assert.That(sink.Events, Is.Empty);
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for {evaluated} events");
    }

    [Test]
    public void VersionAndAutomatonAllocateNothingPerEvent()
    {
        string query = "process where process.pid > \"999999999.0-beta\" or process.name regex~ \"~(.*[.]exe)&.*zz.*\"";
        string versionField = "\n[[rule.required_fields]]\nname = \"process.pid\"\ntype = \"version\"\n";
        var rules = Scan.CompileRules(("typed.toml", RuleFiles.Eql(query) + versionField));
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();
        var lines = RealEventLines(200).Select(Encoding.UTF8.GetBytes).ToList();
        for (int i = 0; i < 3; i++)
        {
            RunOnce(lines, decoder, record, rules, sink);
        }

        int matchedBefore = sink.Events.Count;
        long before = GC.GetAllocatedBytesForCurrentThread();
        int evaluated = RunOnce(lines, decoder, record, rules, sink);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(evaluated, Is.GreaterThan(100));
        Assert.That(sink.Events.Count - matchedBefore, Is.Zero, "the query matches none of the events, so the sink records nothing");
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for {evaluated} events");
    }

    [Test]
    public void ScanCostIsPerInputNotLine()
    {
        var rules = Scan.CompileSeedRule();
        string text = string.Join("\n", RealEventLines(200)) + "\n";
        byte[] small = Encoding.UTF8.GetBytes(text);
        byte[] large = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(text, 20)));

        long smallCost = Measure(rules, small);
        long largeCost = Measure(rules, large);

        // Twenty times the events must not cost more bytes than one pass: the cost is per scan, not per line.
        Assert.That(largeCost, Is.LessThanOrEqualTo(smallCost + 1024), $"1x: {smallCost} bytes, 20x: {largeCost} bytes");
    }

    [Test]
    public void SteadyReorderBufferAllocatesNothing()
    {
        var rules = Scan.CompileSeedRule();
        var sink = new RecordingSink();

        // Events 30 ms apart: with the default five-minute lateness the buffer keeps 10,000 of them, over 8 MiB, at once.
        var engine = new ScanEngine(rules, sink, new ScanOptions());
        var warmUp = SpacedEvents(first: 0, count: 20_000);
        var measured = Enumerable.Range(0, 3).Select(pass => SpacedEvents(first: 20_000 * (pass + 1), count: 20_000)).ToArray();
        engine.Scan(new MemoryStream(warmUp), "warm-up");
        Assert.That(engine.Summary.PeakBufferedEvents, Is.GreaterThan(9_000));

        long allocated = Allocations.Least(measured.Length, pass => engine.Scan(new MemoryStream(measured[pass]), $"measured {pass}"));

        Assert.That(engine.Summary.EventsEvaluated, Is.EqualTo(80_000));
        Assert.That(sink.Events, Is.Empty);
        Assert.That(sink.Sequences, Is.Empty);

        // One scan of an input costs a few fixed objects (the reader and its 64 KiB buffer), never bytes per event.
        Assert.That(allocated, Is.LessThan(100_000), $"{allocated} bytes for 20,000 events");
    }

    /// <summary>
    /// Real events with <c>@timestamp</c> and <c>event.ingested</c>, the seed rule's time field, rewritten to 30 ms
    /// apart, starting at event number <paramref name="first"/>.
    /// </summary>
    private static byte[] SpacedEvents(int first, int count)
    {
        var templates = RealEventLines(200);
        long start = new DateTimeOffset(2026, 3, 2, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds() * 1_000_000L;
        var text = new StringBuilder();
        for (int i = first; i < first + count; i++)
        {
            var ev = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(templates[i % templates.Count])!;
            string time = Timestamps.Format(start + i * 30_000_000L);
            ev["@timestamp"] = time;
            ev.Remove("event.ingested");
            if (ev["event"] is System.Text.Json.Nodes.JsonObject inner)
            {
                inner["ingested"] = time;
            }
            text.Append(ev.ToJsonString()).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static long Measure(Compiled.Runtime.Rules.RuleSet rules, byte[] input)
    {
        var sink = new RecordingSink();

        // The copies repeat the same times, so with a lateness the buffer would hold more of them at
        // once; with none it stays empty and this measures the reading path. EventOrderTests measures the buffer.
        var options = new ScanOptions { MaxLateness = TimeSpan.Zero };
        var warmUp = new ScanEngine(rules, sink, options);
        warmUp.Scan(new MemoryStream(input), "warm-up");

        // The engine decodes on thread-pool threads too, so the allocations of every thread count, and other
        // work of the process can add to one scan: 2,256 bytes once, on a machine busy with other builds.
        // The least of three scans is kept, since a cost per line would show in each of them.
        long least = long.MaxValue;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var engine = new ScanEngine(rules, sink, options);
            var stream = new MemoryStream(input);

            // The bytes counted for one scan depend on the GC's state. With large-object garbage left, such as
            // the warm-up's 1 MiB event-store chunk, and a background collection started, the same scan counted
            // up to 8 KB more in trials. A blocking, compacting full collection gives every scan the same state.
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            engine.Scan(stream, "measured");
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return least;
    }

    private static int RunOnce(List<byte[]> lines, EventDecoder decoder, EventRecord record, Compiled.Runtime.Rules.RuleSet rules, RecordingSink sink)
    {
        int evaluated = 0;
        foreach (var line in lines)
        {
            if (decoder.Decode(line, record) is not null)
            {
                continue;
            }

            evaluated++;
            for (int i = 0; i < rules.Rules.Count; i++)
            {
                rules.Rules[i].Evaluate(record, sink);
            }
        }

        return evaluated;
    }

    /// <summary>
    /// Real macOS Elastic Endpoint events, which the seed rule reads. The two installer events, which
    /// would start a pending sequence, are left out.
    /// </summary>
    private static List<string> RealEventLines(int count)
    {
        string path = Path.Combine(Paths.CorpusEvents, "sbousseaden-macos-attack-dataset", "all-events.ndjson");
        var lines = File.ReadLines(path)
            .Where(line => line.Length > 0 && !line.Contains("/usr/sbin/installer") && !line.Contains("Installer.app"))
            .ToList();
        return Enumerable.Range(0, count).Select(i => lines[i % lines.Count]).ToList();
    }
}
