using System.Text;
using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Runtime.Sequences;
using Compiled.Tests.Support;

namespace Compiled.Tests.Reliability;

/// <summary>
/// <see cref="DetectionRule.MaxStateEntries"/> bounds the state of sequence and sample rules: the entries
/// never exceed it, the least recently used entry goes first, and every eviction is counted.
/// </summary>
public class StateCapTests
{
    private const int Limit = 50;
    private const int Keys = 400;

    [Test]
    public void SequenceMatcherNeverExceedsLimit()
    {
        var schema = FieldSchema.Create(["host.id"]);
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);
        var keys = new JoinKeys([schema.Slot("host.id")], [false]);
        var rule = new EmptyRule { MaxStateEntries = Limit };
        var matcher = new SequenceMatcher(3, maxspanNanoseconds: long.MaxValue);
        var sink = new RecordingSink();
        int maxSeen = 0;
        for (int i = 0; i < Keys; i++)
        {
            decoder.Decode(Encoding.UTF8.GetBytes("{\"host\":{\"id\":\"h" + i + "\"}}"), record);
            matcher.Tick(i, rule, sink);
            matcher.Advance(0, record, timestamp: i, keys, rule, sink);
            maxSeen = Math.Max(maxSeen, matcher.PendingKeyCount);
        }

        Assert.That(maxSeen, Is.EqualTo(Limit));
        Assert.That(matcher.PendingKeyCount, Is.EqualTo(Limit));
        Assert.That(matcher.Evictions, Is.EqualTo(Keys - Limit));
    }

    [Test]
    public void SequenceEvictsOldestKeyFirst()
    {
        var rules = SequenceRule("sequence by host.id [process where true] [network where true]");
        var events = new List<string>();
        for (int i = 0; i < Keys; i++)
        {
            events.Add(Event(i, "process", "h" + i));
        }

        // Key h1 is used again, so it becomes the newest entry and survives the keys after it.
        events.Add(Event(Keys, "process", "h1"));
        foreach (string host in new[] { "h0", "h1", "h2", "h" + (Keys - 1) })
        {
            events.Add(Event(Keys + 1, "network", host));
        }

        var sink = Scan.Run(rules, events);

        var completed = sink.Sequences.Select(sequence => Host(sequence.Events[1])).ToList();
        Assert.That(completed, Is.EquivalentTo(new[] { "h1", "h" + (Keys - 1) }));
        Assert.That(rules.Rules[0].StateEvictions, Is.EqualTo(Keys + 1 - Limit));
    }

    [Test]
    public void SequenceWithoutLimitKeepsEveryKey()
    {
        var rules = SequenceRule("sequence by host.id [process where true] [network where true]", limit: DetectionRule.DefaultMaxStateEntries);
        var events = Enumerable.Range(0, Keys).Select(i => Event(i, "process", "h" + i)).Append(Event(Keys, "network", "h0")).ToList();

        var sink = Scan.Run(rules, events);

        Assert.That(sink.Sequences, Has.Count.EqualTo(1));
        Assert.That(rules.Rules[0].StateEvictions, Is.Zero);
    }

    [Test]
    public void HeldSequencesCountTowardLimit()
    {
        // Every network event completes the positive stages and is held for its trailing missing stage.
        var rules = SequenceRule("sequence by host.id with maxspan=1h [process where true] [network where true] ![file where true]");
        var events = new List<string>();
        for (int i = 0; i < Keys; i++)
        {
            events.Add(Event(2 * i, "process", "h" + i));
            events.Add(Event(2 * i + 1, "network", "h" + i));
        }

        var sink = Scan.Run(rules, events);

        // The held sequences left at the end of the input are the newest ones, reported by Flush.
        var reported = sink.Sequences.Select(sequence => Host(sequence.Events[0])).ToList();
        Assert.That(reported, Has.Count.EqualTo(Limit));
        Assert.That(reported, Does.Contain("h" + (Keys - 1)));
        Assert.That(reported, Does.Not.Contain("h" + (Keys - Limit - 1)));
        Assert.That(rules.Rules[0].StateEvictions, Is.EqualTo(Keys - Limit));
    }

    [Test]
    public void SampleEvictsLeastRecentlyOfferedKey()
    {
        var rules = SequenceRule("sample by host.id [process where true] [network where true]");
        var events = new List<string>();
        for (int i = 0; i < Keys; i++)
        {
            events.Add(Event(i, "process", "h" + i));
        }

        events.Add(Event(Keys, "process", "h1"));
        foreach (string host in new[] { "h0", "h1", "h2", "h" + (Keys - 1) })
        {
            events.Add(Event(Keys + 1, "network", host));
        }

        var sink = Scan.Run(rules, events);

        var completed = sink.Sequences.Select(sample => Host(sample.Events[1])).ToList();
        Assert.That(completed, Is.EquivalentTo(new[] { "h1", "h" + (Keys - 1) }));

        // h1, h0 and h2 came back as new keys, and each evicted the oldest key.
        Assert.That(rules.Rules[0].StateEvictions, Is.EqualTo(Keys + 3 - Limit));
    }

    [Test]
    public void SampleKeyCountNeverExceedsLimit()
    {
        var schema = FieldSchema.Create(["host.id"]);
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);
        var keys = new JoinKeys([schema.Slot("host.id")], [false]);
        var rule = new EmptyRule { MaxStateEntries = Limit };
        var matcher = new SampleMatcher(2);
        var sink = new RecordingSink();
        int maxSeen = 0;
        for (int i = 0; i < Keys; i++)
        {
            decoder.Decode(Encoding.UTF8.GetBytes("{\"host\":{\"id\":\"h" + i + "\"}}"), record);
            matcher.Tick();
            matcher.Offer(0, record, i, keys);
            matcher.Complete(rule, sink);
            maxSeen = Math.Max(maxSeen, matcher.KeyCount);
        }

        Assert.That(maxSeen, Is.EqualTo(Limit));
        Assert.That(matcher.Evictions, Is.EqualTo(Keys - Limit));
    }

    [Test]
    public void ScanSummaryListsEvictionsPerRule()
    {
        string folder = TempFolders.Create("compiled-state-cap-").FullName;
        File.WriteAllText(Path.Combine(folder, "sequence.toml"), RuleFiles.Eql(
            "sequence by host.id [process where true] [network where true]", name: "Capped Sequence"));
        string events = Path.Combine(folder, "events.ndjson");
        File.WriteAllLines(events, Enumerable.Range(0, 10).Select(i => Event(i, "process", "h" + i)));

        var capped = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "--max-state-entries", "4", events);
        var invalid = ProcessRunner.RunCompiled(null, "scan", "--rules", folder, "--max-state-entries", "0", events);

        Assert.That(capped.ExitCode, Is.EqualTo(0), capped.ToString());
        Assert.That(capped.StandardError, Does.Contain("state entries evicted (limit per rule reached, matches may be lost): 6"));
        Assert.That(capped.StandardError, Does.Match(@"\s6\s+Capped Sequence \(limit 4\)"));
        Assert.That(invalid.ExitCode, Is.Not.EqualTo(0), invalid.ToString());
        Assert.That(invalid.StandardError, Does.Contain("compiled: --max-state-entries 0 must be at least 1"));
    }

    private static RuleSet SequenceRule(string query, int limit = Limit)
    {
        var rules = Scan.CompileRules(("rule.toml", RuleFiles.Eql(query)));
        foreach (var rule in rules.Rules)
        {
            rule.MaxStateEntries = limit;
        }

        return rules;
    }

    private static string Host(JsonElement ev) => ev.GetProperty("host").GetProperty("id").GetString()!;

    private static string Event(int seconds, string category, string host) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["@timestamp"] = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(seconds).ToString("O"),
            ["event"] = new { category },
            ["host"] = new { id = host },
        });
}
