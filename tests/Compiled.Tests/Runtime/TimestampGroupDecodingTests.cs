using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Rules that order events by <c>event.ingested</c> and rules that order them by <c>@timestamp</c> see
/// one event at different moments. The host decodes the event once and stores the decoded values for the
/// group that releases it later, which restores them. Each group's rules must raise the same alerts as when they run alone,
/// where every event is decoded from its JSON.
/// </summary>
public class TimestampGroupDecodingTests
{
    private static readonly Lazy<byte[]> CorpusInput = new(CorpusEventsWithIngestLag);

    [Test]
    public void CorpusRulesAlertAsEachGroupAlone()
    {
        var compilation = CorpusRules.Compilation;
        var all = compilation.CreateRuleSet();
        var byIngest = Subset(compilation.CreateRuleSet(), rule => rule.Descriptor.TimestampOverride == "event.ingested");
        var byTimestamp = Subset(compilation.CreateRuleSet(), rule => rule.Descriptor.TimestampOverride is null);
        Assert.That(byIngest.Rules, Has.Count.GreaterThan(100));
        Assert.That(byTimestamp.Rules, Has.Count.GreaterThan(10));
        Assert.That(byIngest.Rules.Count + byTimestamp.Rules.Count, Is.EqualTo(all.Rules.Count));

        var options = new ScanOptions { SortSeekableInputsFully = true };
        var together = Run(all, CorpusInput.Value, options);
        var alone = Run(byIngest, CorpusInput.Value, options).Concat(Run(byTimestamp, CorpusInput.Value, options)).ToList();

        Assert.That(together.Count(match => match.StartsWith("seq ", StringComparison.Ordinal)), Is.GreaterThan(0));
        Assert.That(together.Count(match => match.StartsWith("event ", StringComparison.Ordinal)), Is.GreaterThan(0));
        Assert.That(Sorted(together), Is.EqualTo(Sorted(alone)));
    }

    /// <summary>
    /// Rules evaluate the values in the record, not the alerts they raise, so this compares every value of
    /// every corpus event, as a rule of each group reads it, with the values of the line decoded on its own.
    /// </summary>
    [Test]
    public void RestoredValuesEqualDecodedValues()
    {
        // The EQL rules' schema has hundreds of fields, and the KQL one adds field patterns and nested scopes.
        foreach (var schema in new[] { CorpusRules.Compilation.CreateRuleSet().Schema, CorpusRules.KqlQueryCompilation.CreateRuleSet().Schema })
        {
            var options = new ScanOptions { SortSeekableInputsFully = true };
            var byIngest = new ValueProbe("event.ingested");
            var byTimestamp = new ValueProbe(null);
            Run(new RuleSet(schema, [byIngest, byTimestamp]), CorpusInput.Value, options);
            var fresh = DecodeEachLine(schema, CorpusInput.Value);

            Assert.That(byIngest.Values, Has.Count.GreaterThan(1800));
            Assert.That(byTimestamp.Values, Has.Count.GreaterThan(1800));
            AssertSameValues(byIngest, fresh);
            AssertSameValues(byTimestamp, fresh);
        }
    }

    [Test]
    public void RestoredNestedElementsEqualDecodedOnes()
    {
        var schema = FieldSchema.Create(["user.first", "user.last", "user.roles", "process.name"]);
        schema.NestedScope("user");
        var lines = new StringBuilder();
        for (int i = 0; i < 60; i++)
        {
            var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i);
            var ingested = time.AddSeconds(i * 37 % 50);
            lines.Append(FormattableString.Invariant($$"""{"@timestamp":"{{time:O}}","event.ingested":"{{ingested:O}}","process":{"name":"p{{i}}"},"user":["""))
                .Append(string.Join(',', Enumerable.Range(0, i % 4).Select(k => FormattableString.Invariant(
                    $$"""{"first":"f{{i}}-{{k}}","roles":[{{string.Join(',', Enumerable.Range(0, k).Select(r => $"\"r{r}\""))}}]}"""))))
                .Append("]}\n");
        }

        byte[] input = Encoding.UTF8.GetBytes(lines.ToString());
        var options = new ScanOptions { SortSeekableInputsFully = true };
        var byIngest = new ValueProbe("event.ingested");
        var byTimestamp = new ValueProbe(null);
        Run(new RuleSet(schema, [byIngest, byTimestamp]), input, options);
        var fresh = DecodeEachLine(schema, input);

        Assert.That(fresh, Has.Count.EqualTo(60));
        Assert.That(fresh.Values.Count(text => text.Contains("element ", StringComparison.Ordinal)), Is.EqualTo(45));
        Assert.That(byIngest.Values, Has.Count.EqualTo(60));
        Assert.That(byTimestamp.Values, Has.Count.EqualTo(60));
        AssertSameValues(byIngest, fresh);
        AssertSameValues(byTimestamp, fresh);
    }

    [Test]
    public void BoundedLatenessAlertsAsEachGroupAlone()
    {
        // Even events are ingested 3 minutes after their @timestamp and odd ones 6 minutes after, so with 5 minutes
        // of lateness the event.ingested group releases each event a few events after the @timestamp group does.
        var rules = Scan.CompileRules(
            ("ingest.toml", RuleFiles.Eql(
                "sequence by host.id [process where process.args : \"-enc\"] [network where destination.port in (443, 8443)]",
                "By ingest",
                extra: "timestamp_override = \"event.ingested\"")),
            ("plain.toml", RuleFiles.Eql(
                "process where process.name : \"powershell.exe\" and process.args_count >= 2",
                "By time",
                "1c2d3e4f-0000-4000-8000-000000000002")));
        var lines = new StringBuilder();
        for (int i = 0; i < 400; i++)
        {
            var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i);
            var ingested = time.AddMinutes(3 * (i % 2 == 0 ? 1 : 2));
            string category = i % 3 == 0 ? "network" : "process";
            string name = i % 5 == 0 ? "PowerShell.exe" : "cmd.exe";
            int port = i % 6 == 0 ? 443 : 80;
            lines.Append(FormattableString.Invariant($$"""{"@timestamp":"{{time:O}}","event":{"category":"{{category}}","ingested":"{{ingested:O}}"},"host":{"id":"h{{i % 4}}"},"""))
                .Append(FormattableString.Invariant($$"""
                    "process":{"name":"{{name}}","args":["x","-enc","{{new string('a', i % 7)}}"],"args_count":{{i % 4}}},"destination":{"port":{{port}}
                    """))
                .Append("}}\n");
        }

        byte[] input = Encoding.UTF8.GetBytes(lines.ToString());
        var together = Run(rules, input, new ScanOptions());
        var alone = Run(Subset(rules, rule => rule.Descriptor.Name == "By ingest"), input, new ScanOptions())
            .Concat(Run(Subset(rules, rule => rule.Descriptor.Name == "By time"), input, new ScanOptions()))
            .ToList();

        Assert.That(together.Count(match => match.StartsWith("seq By ingest", StringComparison.Ordinal)), Is.GreaterThan(10));
        Assert.That(together.Count(match => match.StartsWith("event By time", StringComparison.Ordinal)), Is.GreaterThan(10));
        Assert.That(Sorted(together), Is.EqualTo(Sorted(alone)));
    }

    [Test]
    public void PackedBufferKeepsValuesAndJson()
    {
        // Every 50th event is dated in 2100 and stays buffered to the end, while the buffer of 500 events releases
        // the others early. The events left behind would each keep a chunk in use, so the buffer packs them, and
        // each group must still see every event's own values and JSON.
        var schema = FieldSchema.Create(["process.name", "host.id"], ["event.ingested"]);
        var lines = new StringBuilder();
        for (int i = 0; i < 6000; i++)
        {
            var time = i % 50 == 0
                ? new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i)
                : new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i);
            var ingested = time.AddSeconds(i * 7919 % 600);
            string pad = new((char)('a' + (i % 26)), 2000);
            lines.Append(FormattableString.Invariant(
                $$$"""{"@timestamp":"{{{time:O}}}","event":{"ingested":"{{{ingested:O}}}"},"host":{"id":"h{{{i % 7}}}"},"process":{"name":"p{{{i}}}.exe","pad":"{{{pad}}}"}}"""))
                .Append('\n');
        }

        byte[] input = Encoding.UTF8.GetBytes(lines.ToString());
        var byIngest = new ValueProbe("event.ingested");
        var byTimestamp = new ValueProbe(null);
        var engine = new ScanEngine(new RuleSet(schema, [byIngest, byTimestamp]), new LineSink(), new ScanOptions { SortSeekableInputsFully = true, MaxBufferedEvents = 500 });
        engine.Scan(new MemoryStream(input, writable: false), "events.ndjson");
        engine.Finish();
        var fresh = DecodeEachLine(schema, input);
        string[] inputLines = lines.ToString().Split('\n');

        Assert.That(engine.BufferPacks, Is.GreaterThan(0));
        Assert.That(byIngest.Values, Has.Count.EqualTo(6000));
        Assert.That(byTimestamp.Values, Has.Count.EqualTo(6000));
        AssertSameValues(byIngest, fresh);
        AssertSameValues(byTimestamp, fresh);
        foreach (var probe in new[] { byIngest, byTimestamp })
        {
            foreach (var (line, json) in probe.Json)
            {
                Assert.That(json, Is.EqualTo(inputLines[line - 1]), $"JSON of line {line}");
            }
        }
    }

    /// <summary>Compares what the probe saw of each event with the event's values decoded on their own.</summary>
    private static void AssertSameValues(ValueProbe probe, Dictionary<long, string> fresh)
    {
        foreach (var (line, values) in probe.Values)
        {
            Assert.That(fresh.ContainsKey(line), Is.True, $"line {line} was evaluated but does not decode on its own");
            Assert.That(values, Is.EqualTo(fresh[line]), $"values of line {line}");
        }
    }

    /// <summary>Decodes each line on its own, outside the host, and describes the values of those that decode.</summary>
    private static Dictionary<long, string> DecodeEachLine(FieldSchema schema, byte[] input)
    {
        var decoder = new EventDecoder(schema);
        var record = new EventRecord(schema);
        var values = new Dictionary<long, string>();
        long lineNumber = 0;
        for (int start = 0; start < input.Length;)
        {
            int end = Array.IndexOf(input, (byte)'\n', start);
            end = end < 0 ? input.Length : end;
            lineNumber++;
            if (decoder.Decode(input.AsMemory(start, end - start), record) is null)
            {
                values.Add(lineNumber, ValueProbe.Describe(record));
            }

            start = end + 1;
        }

        return values;
    }

    private static RuleSet Subset(RuleSet rules, Func<DetectionRule, bool> predicate) =>
        new(rules.Schema, rules.Rules.Where(predicate).ToList());

    /// <summary>Orders matches by rule and keeps each rule's own order, which must not change.</summary>
    private static List<string> Sorted(List<string> matches) =>
        matches.Select((match, index) => (match, index))
            .OrderBy(pair => pair.match[..pair.match.IndexOf('@')], StringComparer.Ordinal)
            .ThenBy(pair => pair.index)
            .Select(pair => pair.match)
            .ToList();

    private static List<string> Run(RuleSet rules, byte[] input, ScanOptions options)
    {
        var sink = new LineSink();
        var engine = new ScanEngine(rules, sink, options);
        engine.Scan(new MemoryStream(input, writable: false), "events.ndjson");
        engine.Finish();
        Assert.That(engine.Summary.EventsLate, Is.Zero);
        return sink.Matches;
    }

    /// <summary>
    /// The corpus events, each with <c>event.ingested</c> set to its <c>@timestamp</c> plus a delay of 0 to
    /// 599 seconds that varies from event to event, so the two orders differ.
    /// </summary>
    private static byte[] CorpusEventsWithIngestLag()
    {
        var output = new StringBuilder();
        int index = 0;
        foreach (string line in Directory.EnumerateFiles(Paths.CorpusEvents, "*.ndjson", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines))
        {
            index++;
            output.Append(WithIngestLag(line, TimeSpan.FromSeconds(index * 7919 % 600))).Append('\n');
        }

        return Encoding.UTF8.GetBytes(output.ToString());
    }

    private static string WithIngestLag(string line, TimeSpan lag)
    {
        try
        {
            if (JsonNode.Parse(line) is not JsonObject root
                || root["@timestamp"] is not JsonValue stamp
                || !stamp.TryGetValue(out string? text)
                || !DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var time))
            {
                return line;
            }

            string ingested = (time + lag).UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            root.Remove("event.ingested");
            if (root["event"] is JsonObject ev)
            {
                ev["ingested"] = ingested;
            }
            else
            {
                root["event.ingested"] = ingested;
            }

            return root.ToJsonString();
        }
        catch (Exception error) when (error is JsonException or InvalidOperationException)
        {
            // Lines that JsonNode cannot read stay as they are and are rejected alike in every run.
            return line;
        }
    }

    /// <summary>Records each match as its rule and the input lines of its events.</summary>
    private sealed class LineSink : IAlertSink
    {
        public List<string> Matches { get; } = [];

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) =>
            Matches.Add($"event {rule.Descriptor.Name} @{ev.LineNumber}");

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
        {
            var lines = new StringBuilder();
            foreach (var captured in events)
            {
                lines.Append(" @").Append(captured.LineNumber);
            }

            Matches.Add($"seq {rule.Descriptor.Name}{lines}");
        }
    }

    /// <summary>
    /// A rule that matches nothing and records, for each event it evaluates, every value of every field
    /// with its kind, and the fields that have values inside each nested element.
    /// </summary>
    private sealed class ValueProbe(string? timestampOverride) : DetectionRule(TestDescriptors.Create("probe", timestampOverride))
    {
        // Nested scope ids are small numbers given in order, and a scope that does not exist has no elements.
        private const int ScopesChecked = 64;

        public Dictionary<long, string> Values { get; } = [];

        public Dictionary<long, string> Json { get; } = [];

        public override void Evaluate(EventRecord ev, IAlertSink sink)
        {
            Values.Add(ev.LineNumber, Describe(ev));
            Json.Add(ev.LineNumber, Encoding.UTF8.GetString(ev.Json.Span));
        }

        public static string Describe(EventRecord ev)
        {
            var text = new StringBuilder();
            for (int slot = 0; slot < ev.Schema.SlotCount; slot++)
            {
                foreach (ref readonly var value in ev.Values(slot))
                {
                    text.Append(slot).Append(' ').Append(value.Kind).Append(' ').Append(value.Integer).Append(' ')
                        .Append(value.Number.ToString("R", System.Globalization.CultureInfo.InvariantCulture)).Append(' ')
                        .Append(ev.Text(value)).Append('\n');
                }
            }

            for (int scope = 0; scope < ScopesChecked; scope++)
            {
                for (int element = ev.NextElement(scope, -1); element >= 0; element = ev.NextElement(scope, element))
                {
                    int previous = ev.EnterElement(element);
                    text.Append("element ").Append(scope).Append(' ').Append(element).Append(':');
                    for (int slot = 0; slot < ev.Schema.SlotCount; slot++)
                    {
                        if (ev.HasValue(slot))
                        {
                            text.Append(' ').Append(slot);
                        }
                    }

                    text.Append('\n');
                    ev.ExitElement(previous);
                }
            }

            return text.ToString();
        }
    }
}
