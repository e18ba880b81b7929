using System.Text;
using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;
using Compiled.Runtime.Sequences;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Sequence matchers reuse the copies of events, the pending and held sequences and the key states once they
/// are dropped. These tests check that state which stays within its peak allocates nothing per event, and
/// that reuse never mixes the events of one sequence with another's.
/// </summary>
public class SequenceReuseTests
{
    private const long Second = 1_000_000_000L;

    /// <summary>Five rules that exercise every way a pending or held sequence ends; each event carries one key.</summary>
    private static readonly string[] Queries =
    [
        "sequence by host.id with maxspan=10s [process where event.type == \"start\"] [process where event.type == \"info\"] [network where true] until [process where event.type == \"end\"]",
        "sequence by host.id with maxspan=10s [process where event.type == \"start\"] [network where true] ![file where true]",
        "sequence by host.id with maxspan=10s ![file where true] [process where event.type == \"start\"] [network where true]",
        "sequence by host.id with maxspan=10s [process where event.type == \"start\"] ![file where true] [network where true]",
        "sequence by host.id with maxspan=10s [process where event.type == \"start\"] with runs=2 [network where true]",
    ];

    [Test]
    public void SteadyStateAllocatesNothing()
    {
        var rules = CompileAll();
        var decoder = new EventDecoder(rules.Schema);
        var record = new EventRecord(rules.Schema);
        var sink = new RecordingSink();

        // Every pass brings 200 join keys never seen before, whose sequences start, grow, are replaced, ended by
        // until, completed and rejected by a trailing missing event, or expire, without raising an alert.
        for (int pass = 0; pass < 12; pass++)
        {
            Evaluate(QuietPass(pass), decoder, record, rules, sink);
        }

        var measured = Enumerable.Range(12, 3).Select(QuietPass).ToArray();
        long allocated = Allocations.Least(measured.Length, pass => Evaluate(measured[pass], decoder, record, rules, sink));

        Assert.That(sink.Sequences, Is.Empty);
        Assert.That(allocated, Is.Zero, $"{allocated} bytes for a pass of {measured[0].Count} events");
    }

    [Test]
    public void QuietPassesHoldSequences()
    {
        // The passes that SteadyStateAllocatesNothing measures leave work to the matchers: without their until and file events, which end
        // or reject the sequences, the same events raise alerts of four of the five rules.
        var rules = CompileAll();
        var lines = QuietPass(0).Select(Encoding.UTF8.GetString)
            .Where(line => !line.Contains("\"file\"", StringComparison.Ordinal) && !line.Contains("\"end\"", StringComparison.Ordinal));

        var sink = Scan.Run(rules, lines);

        Assert.That(sink.Sequences.Select(match => match.Rule).Distinct().Order(), Is.EqualTo(new[] { "Reuse 0", "Reuse 1", "Reuse 2", "Reuse 3" }));
    }

    [Test]
    public void ReusedCopiesNeverMixSequences([Values(1, 2, 3)] int seed)
    {
        var rules = CompileAll();
        var random = new Random(seed);
        var events = RandomEvents(random, count: 4000, keys: 12);

        var together = Alerts(Scan.Run(rules, events.Select(ev => ev.Json)));
        var byKey = new List<string>();
        foreach (var group in events.GroupBy(ev => ev.Key))
        {
            byKey.AddRange(Alerts(Scan.Run(CompileAll(), group.Select(ev => ev.Json))));
        }

        Assert.That(together, Has.Count.GreaterThan(50));
        foreach (string alert in together)
        {
            CheckIntact(alert);
        }

        // Join keys never share state, so each key's events alone raise the same alerts as all events together.
        Assert.That(together.Order(StringComparer.Ordinal), Is.EqualTo(byKey.Order(StringComparer.Ordinal)));
    }

    [Test]
    public void CopyOutlivesReuse()
    {
        var rules = CompileAll();
        var events = RandomEvents(new Random(7), count: 3000, keys: 8);
        var sink = new CopyingSink();
        var engine = new Compiled.Runtime.Hosting.ScanEngine(rules, sink);
        engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", events.Select(ev => ev.Json)) + "\n")), "events.ndjson");
        engine.Finish();

        // Every copy a sink kept still contains the event of its line, though the matchers reused their own copies since.
        Assert.That(sink.Kept, Has.Count.GreaterThan(100));
        foreach (var copy in sink.Kept)
        {
            Assert.That(Encoding.UTF8.GetString(copy.Json.Span), Is.EqualTo(events[(int)copy.LineNumber - 1].Json));
        }
    }

    [Test]
    public void DuplicateKeyValueKeepsOneCopy()
    {
        // host.id lists one key twice, so the event starts and then replaces its own pending sequence under that key.
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("sequence by host.id [process where true] [network where true]")));
        string twice = """{"@timestamp":"2026-01-01T00:00:00Z","event":{"category":"process"},"host":{"id":["a","a"]},"n":1}""";
        string other = """{"@timestamp":"2026-01-01T00:00:01Z","event":{"category":"process"},"host":{"id":"b"},"n":2}""";
        string network = """{"@timestamp":"2026-01-01T00:00:02Z","event":{"category":"network"},"host":{"id":"a"},"n":3}""";

        var sink = Scan.Run(rules, [twice, other, network]);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(sink.Sequences[0].Events.Select(ev => ev.GetProperty("n").GetInt32()), Is.EqualTo(new[] { 1, 3 }));
    }

    [Test]
    public void CopyCompletingTwoKeysFreedOnce()
    {
        // Event 3 completes the sequences of keys a and b. Its copy must go back to the pool once, or two later
        // events would share it, and the sequence of key c would report event 5 where event 4 started it.
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql("sequence by host.id [process where true] [network where true]")));
        string[] events =
        [
            Line(1, "process", "\"a\""), Line(2, "process", "\"b\""), Line(3, "network", "[\"a\",\"b\"]"),
            Line(4, "process", "\"c\""), Line(5, "process", "\"d\""), Line(6, "network", "\"c\""), Line(7, "network", "\"d\""),
        ];

        var sink = Scan.Run(rules, events);

        var numbers = sink.Sequences.Select(match => string.Join(",", match.Events.Select(ev => ev.GetProperty("n").GetInt32()))).ToList();
        Assert.That(numbers, Is.EqualTo(new[] { "1,3", "2,3", "4,6", "5,7" }));

        static string Line(int n, string category, string host) =>
            $$"""{"@timestamp":"2026-01-01T00:00:0{{n}}Z","event":{"category":"{{category}}"},"host":{"id":{{host}}},"n":{{n}}}""";
    }

    [Test]
    public void ReusedKeyStateForgetsLeadingEvents()
    {
        // One state at most: the file events of keys a and b leave leading chains, each evicted by the next key.
        // Key c reuses b's state, and its sequence has no file event before it, so it is reported.
        var schema = FieldSchema.Create(["host.id"]);
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);
        var keys = new JoinKeys([schema.Slot("host.id")], [false]);
        var rule = new EmptyRule { MaxStateEntries = 1 };
        var matcher = new SequenceMatcher([true, false, false], maxspanNanoseconds: long.MaxValue);
        var sink = new RecordingSink();
        (string Host, int Stage)[] events = [("a", 0), ("b", 0), ("c", 1), ("c", 2)];
        for (int i = 0; i < events.Length; i++)
        {
            Assert.That(decoder.Decode(Encoding.UTF8.GetBytes($$"""{"host":{"id":"{{events[i].Host}}"},"n":{{i}}}"""), record), Is.Null);
            matcher.Tick(i, rule, sink);
            if (events[i].Stage == 0)
            {
                matcher.Missing(0, record, i, keys);
            }
            else
            {
                matcher.Advance(events[i].Stage - 1, record, i, keys, rule, sink);
            }
        }

        Assert.That(matcher.Evictions, Is.EqualTo(2));
        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
    }

    [Test]
    public void SizeClassIsSmallestThatFits()
    {
        for (int size = 1; size <= (1 << 20) + 1; size++)
        {
            int sizeClass = CapturedEventPool.ClassOf(size);
            if (size > 1 << 20)
            {
                Assert.That(sizeClass, Is.EqualTo(-1));
                continue;
            }

            int bytes = CapturedEventPool.SizeOf(sizeClass);
            if (bytes < size || (sizeClass > 0 && CapturedEventPool.SizeOf(sizeClass - 1) >= size) || (size > 64 && bytes - size >= size / 4.0))
            {
                Assert.Fail($"{size} bytes fall in class {sizeClass} of {bytes} bytes");
            }
        }
    }

    [Test]
    public void PoolReusesReleasedCopiesOnly()
    {
        var pool = new CapturedEventPool();
        var first = pool.Rent(Decoded("""{"a":"first"}"""), 1);
        CapturedEventPool.Hold(first);
        CapturedEventPool.Hold(first);

        pool.Release(first);
        var second = pool.Rent(Decoded("""{"a":"second"}"""), 2);
        Assert.That(second, Is.Not.SameAs(first), "one reference is left");

        pool.Release(first);
        Assert.That(pool.FreeCount, Is.EqualTo(1));
        var third = pool.Rent(Decoded("""{"a":"third"}"""), 3);
        Assert.That(third, Is.SameAs(first));
        Assert.That(Encoding.UTF8.GetString(third.Json.Span), Is.EqualTo("""{"a":"third"}"""));
        Assert.That(third.Timestamp, Is.EqualTo(3));

        var huge = pool.Rent(Decoded("{\"a\":\"" + new string('x', 1 << 20) + "\"}"), 4);
        CapturedEventPool.Hold(huge);
        pool.Release(huge);
        Assert.That(pool.FreeCount, Is.Zero, "a copy over 1 MiB is not kept");
    }

    [Test]
    public void PoolLetsExcessCopiesGo()
    {
        var pool = new CapturedEventPool();
        var record = Decoded("{\"a\":\"" + new string('x', 600_000) + "\"}");
        var copies = new List<CapturedEvent>();
        for (int i = 0; i < 40; i++)
        {
            var copy = pool.Rent(record, i);
            CapturedEventPool.Hold(copy);
            copies.Add(copy);
        }

        // With 20 of the 40 copies still in use, the other 20 take no more bytes than those, so all are kept.
        for (int i = 0; i < 20; i++)
        {
            pool.Release(copies[i]);
        }

        Assert.That(pool.FreeCount, Is.EqualTo(20));
        Assert.That(pool.FreeBytes, Is.EqualTo(pool.BytesInUse));

        // With none in use, the pool keeps as many free copies as fit in the budget.
        for (int i = 20; i < 40; i++)
        {
            pool.Release(copies[i]);
        }

        Assert.That(pool.BytesInUse, Is.Zero);
        Assert.That(pool.FreeBytes, Is.LessThanOrEqualTo(CapturedEventPool.FreeBudget));
        Assert.That(pool.FreeCount, Is.EqualTo(CapturedEventPool.FreeBudget / copies[0].Capacity));
    }

    /// <summary>Decodes one event with an empty schema, failing the test when the decoder rejects it.</summary>
    private static EventRecord Decoded(string json)
    {
        var schema = FieldSchema.Create([]);
        var record = new EventRecord(schema);
        Assert.That(new EventDecoder(schema).Decode(Encoding.UTF8.GetBytes(json), record), Is.Null);
        return record;
    }

    private static RuleSet CompileAll() =>
        Scan.CompileRules(Queries.Select((query, i) => ($"reuse{i}.toml", RuleFiles.Eql(query, name: $"Reuse {i}", ruleId: $"1c2d3e4f-0000-4000-8000-00000000010{i}"))).ToArray());

    /// <summary>
    /// The events of one pass: 200 keys of its own, one after the other, each with the same script of events,
    /// whose JSON sizes cycle through seven lengths from about 250 bytes to 3 KB.
    /// </summary>
    private static List<byte[]> QuietPass(int pass)
    {
        // Seconds from the key's start. For the first rule, 1 and 2 start and grow a sequence that the until event
        // at 4 ends. For the second, 1 and 5 complete a sequence that the file event at 6 rejects. For the third,
        // the file event at 0 rejects the sequence of 1 and 5. For the fourth, the file event at 3 drops the
        // sequence started at 1. At 20 and 21 sequences start twice or grow, and at 60 they have all expired.
        (int Second, string Category, string Type)[] script =
        [
            (0, "file", "start"), (1, "process", "start"), (2, "process", "info"), (3, "file", "start"), (4, "process", "end"),
            (5, "network", "start"), (6, "file", "start"), (20, "process", "start"), (21, "process", "start"), (22, "process", "info"),
            (60, "network", "start"),
        ];
        var lines = new List<byte[]>();
        for (int key = 0; key < 200; key++)
        {
            long start = ((pass * 200L) + key) * 100 * Second;
            foreach (var (second, category, type) in script)
            {
                string pad = new('p', ((key + second) % 7) * 450);
                string json = $$"""{"@timestamp":"{{Timestamps.Format(start + (second * Second))}}","event":{"category":"{{category}}","type":"{{type}}"},"host":{"id":"h{{pass:D4}}-{{key:D3}}"},"pad":"{{pad}}"}""";
                lines.Add(Encoding.UTF8.GetBytes(json));
            }
        }

        return lines;
    }

    private static void Evaluate(List<byte[]> lines, EventDecoder decoder, EventRecord record, RuleSet rules, RecordingSink sink)
    {
        foreach (var line in lines)
        {
            // An assertion here would allocate for each event.
            if (decoder.Decode(line, record) is { } error)
            {
                throw new InvalidOperationException(error);
            }

            for (int i = 0; i < rules.Rules.Count; i++)
            {
                rules.Rules[i].Evaluate(record, sink);
            }
        }
    }

    /// <summary>Events 0 to 3 s apart over <paramref name="keys"/> join keys, each with a number that gives its order.</summary>
    private static List<(string Key, string Json)> RandomEvents(Random random, int count, int keys)
    {
        (string Category, string Type)[] kinds =
        [
            ("process", "start"), ("process", "start"), ("process", "info"), ("process", "end"), ("network", "start"), ("network", "start"), ("file", "start"),
        ];
        var events = new List<(string, string)>();
        long time = 1_767_225_600L * Second;
        for (int n = 0; n < count; n++)
        {
            time += random.Next(0, 4) * Second / 2;
            var (category, type) = kinds[random.Next(kinds.Length)];
            string key = $"k{random.Next(keys)}";
            string pad = new('p', random.Next(0, 5) * 300);
            events.Add((key, $$"""{"@timestamp":"{{Timestamps.Format(time)}}","event":{"category":"{{category}}","type":"{{type}}"},"host":{"id":"{{key}}"},"n":{{n}},"pad":"{{pad}}"}"""));
        }

        return events;
    }

    /// <summary>Each alert as its rule and the numbers of its events.</summary>
    private static List<string> Alerts(RecordingSink sink) =>
        sink.Sequences.Select(match => match.Rule + ":" + string.Join(",", match.Events.Select(ev => $"{ev.GetProperty("n").GetInt32()}/{ev.GetProperty("host").GetProperty("id").GetString()}/{ev.GetProperty("@timestamp").GetString()}"))).ToList();

    /// <summary>Checks that an alert's events share their key, come in input order and span at most the 10 s maxspan.</summary>
    private static void CheckIntact(string alert)
    {
        var events = alert[(alert.IndexOf(':', StringComparison.Ordinal) + 1)..].Split(',').Select(part => part.Split('/')).ToList();
        Assert.That(events.Select(ev => ev[1]).Distinct().Count(), Is.EqualTo(1), alert);
        var numbers = events.Select(ev => int.Parse(ev[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.That(numbers, Is.Ordered.Ascending.And.Unique, alert);
        Assert.That(Timestamps.TryParse(events[0][2], out long first) && Timestamps.TryParse(events[^1][2], out long last) && last - first <= 10 * Second, alert);
    }

    /// <summary>Keeps a <see cref="CapturedEvent.Copy"/> of every event of every sequence.</summary>
    private sealed class CopyingSink : IAlertSink
    {
        public List<CapturedEvent> Kept { get; } = [];

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp)
        {
        }

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
        {
            foreach (var captured in events)
            {
                Kept.Add(captured.Copy());
            }
        }
    }
}
