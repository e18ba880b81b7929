using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Compiled.Compiler;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;

namespace Compiled.Tests.Reliability;

/// <summary>
/// Scans a copy of the real corpus events with known corruptions through the real <c>compiled</c> executable
/// and checks that every line is accounted for: evaluated or rejected with the reason of its corruption.
/// </summary>
public class CorruptedEventsTests
{
    private const string PortRule = "network where destination.port == 53";
    private const string NameRule = "process where process.name : \"*.exe\"";
    private const string Evaluated = "evaluated";
    private const string Skipped = "skipped";

    [Test]
    public void EveryCorruptedLineIsCountedWithItsReason()
    {
        string folder = TempFolders.Create("compiled-corrupted-").FullName;
        string rulesFolder = Directory.CreateDirectory(Path.Combine(folder, "rules")).FullName;
        File.WriteAllText(Path.Combine(rulesFolder, "port.toml"), RuleFiles.Eql(PortRule, name: "Port Rule", ruleId: "1c2d3e4f-0000-4000-8000-0000000000a1"));
        File.WriteAllText(Path.Combine(rulesFolder, "name.toml"), RuleFiles.Eql(NameRule, name: "Name Rule", ruleId: "1c2d3e4f-0000-4000-8000-0000000000a2"));
        var good = GoodLines(rulesFolder);
        Assert.That(good.Count(line => line.Alerts.Contains("Port Rule")), Is.GreaterThanOrEqualTo(5), "corpus events that the port rule matches");
        Assert.That(good.Count(line => line.Alerts.Contains("Name Rule")), Is.GreaterThanOrEqualTo(3), "corpus events that the name rule matches");

        var plan = BuildCorruptedFile(good);
        string input = Path.Combine(folder, "corrupted.ndjson");
        using (var file = File.Create(input))
        {
            for (int i = 0; i < plan.Count; i++)
            {
                file.Write(plan[i].Bytes);
                if (i < plan.Count - 1)
                {
                    file.Write(plan[i].CrLf ? "\r\n"u8 : "\n"u8);
                }
            }
        }

        var result = ProcessRunner.RunCompiled(null, "scan", "--rules", rulesFolder, input);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.StandardError);
        long read = Count(result, "lines read");
        long evaluated = Count(result, "events evaluated");
        long rejected = Count(result, "lines rejected");
        long skipped = Count(result, "blank lines skipped");
        Assert.That(read, Is.EqualTo(plan.Count));
        Assert.That(evaluated + rejected + skipped, Is.EqualTo(read));
        Assert.That(evaluated, Is.EqualTo(plan.Count(line => line.Outcome == Evaluated)), result.StandardError);
        Assert.That(skipped, Is.EqualTo(plan.Count(line => line.Outcome == Skipped)), result.StandardError);

        var expectedByReason = plan.Where(line => line.Outcome is not (Evaluated or Skipped)).GroupBy(line => line.Outcome).ToDictionary(group => group.Key, group => (long)group.Count());
        Assert.That(RejectedByReason(result), Is.EquivalentTo(expectedByReason), result.StandardError);

        // Fewer than 20 lines are rejected, so the summary lists every one of them with its file and line.
        var listed = ListedRejections(result);
        var expectedListed = plan.Select((line, index) => (Line: index + 1L, Planned: line)).Where(entry => entry.Planned.Outcome is not (Evaluated or Skipped)).ToList();
        Assert.That(expectedListed, Has.Count.LessThanOrEqualTo(ScanSummary.MaxExamples));
        Assert.That(listed.Select(entry => entry.File).Distinct(), Is.EqualTo(new[] { input }));
        Assert.That(listed.Select(entry => entry.Line), Is.EqualTo(expectedListed.Select(entry => entry.Line)));
        for (int i = 0; i < listed.Count; i++)
        {
            var planned = expectedListed[i].Planned;
            string prefix = planned.Outcome == "line too long" ? "the line is longer than 16777216 bytes" : planned.Outcome;
            Assert.That(listed[i].Detail, Does.StartWith(prefix), $"line {listed[i].Line}");
            if (planned.Detail is not null)
            {
                Assert.That(listed[i].Detail, Is.EqualTo(planned.Detail), $"line {listed[i].Line}");
            }
        }

        CheckAlerts(result, plan, input);
    }

    [TestCase("{\"agent\":{\"id\":\"a\",\"id\":\"b\"},", "duplicate key: \"agent.id\" occurs twice in one object")]
    [TestCase("{\"agent\":{\"bytes\":[1,-9223372036854775809]},", "number out of range: \"agent.bytes\" is -9223372036854775809, beyond the range of a long")]
    public void StrictScanStopsAtUnreadField(string prefix, string detail)
    {
        string folder = TempFolders.Create("compiled-strict-").FullName;
        File.WriteAllText(Path.Combine(folder, "port.toml"), RuleFiles.Eql(PortRule, name: "Port Rule", ruleId: "1c2d3e4f-0000-4000-8000-0000000000a1"));
        string Event(int second) => "{\"@timestamp\":\"2026-12-04T10:00:0" + second + "Z\",\"event\":{\"category\":\"network\"},\"destination\":{\"port\":53}}";
        string input = Event(1) + "\n" + prefix + Event(2)[1..] + "\n" + Event(3) + "\n";

        var strict = ProcessRunner.RunCompiled(input, "scan", "--strict", "--rules", folder, "-");
        var lenient = ProcessRunner.RunCompiled(input, "scan", "--rules", folder, "-");

        Assert.That(strict.ExitCode, Is.EqualTo(4), strict.ToString());
        Assert.That(strict.StandardError.Split('\n').Select(line => line.TrimEnd('\r')), Has.Member("compiled: -:2: " + detail));
        Assert.That(strict.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), "only the line before the rejected one alerts");
        Assert.That(lenient.ExitCode, Is.EqualTo(0), lenient.ToString());
        Assert.That(Count(lenient, "lines read"), Is.EqualTo(3));
        Assert.That(Count(lenient, "events evaluated"), Is.EqualTo(2));
        Assert.That(Count(lenient, "lines rejected"), Is.EqualTo(1));
        Assert.That(lenient.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(2));
    }

    [Test]
    public void ArrayElementWithDuplicateKeyIsRejected()
    {
        var rules = Scan.CompileRules(("port.toml", RuleFiles.Eql(PortRule)));
        string Event(int second, string extra) =>
            "{\"@timestamp\":\"2026-12-04T10:00:0" + second + "Z\",\"event\":{\"category\":\"network\"}," + extra + "\"destination\":{\"port\":53}}";
        string array = "[\n" + Event(1, "") + ",\n" + Event(2, "\"host\":{\"ip\":[\"10.0.0.1\"],\"ip\":\"10.0.0.2\"},") + ",\n" + Event(3, "\"n\":1e39,") + "\n]\n";
        var engine = new ScanEngine(rules, new RuleNameSink());

        engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(array)), "events.json");

        Assert.That(engine.Summary.LinesRead, Is.EqualTo(3));
        Assert.That(engine.Summary.EventsEvaluated, Is.EqualTo(1));
        Assert.That(engine.Summary.Examples.Select(rejected => rejected.Location), Is.EqualTo(new[] { "events.json:3[element 1]", "events.json:4[element 2]" }));
        Assert.That(engine.Summary.Examples[0].Detail, Is.EqualTo("duplicate key: \"host.ip\" occurs twice in one object"));
        Assert.That(engine.Summary.Examples[1].Detail, Is.EqualTo("number out of range: \"n\" is 1e39, beyond the range of a float"));
    }

    [TestCase(101)]
    [TestCase(150)]
    [TestCase(5000)]
    public void LineJustOverLimitIsTooLong(int length)
    {
        // The reader's buffer grows past the limit, so a line that ends inside the buffer must be checked too.
        var reader = new LineReader(new MemoryStream(Encoding.UTF8.GetBytes("short\n" + new string('x', length) + "\n" + new string('y', 100) + "\n")), 100);
        var results = new List<(string, bool)>();
        while (reader.TryReadLine(out var line, out bool tooLong))
        {
            results.Add((Encoding.UTF8.GetString(line.Span), tooLong));
        }

        Assert.That(results, Is.EqualTo(new[] { ("short", false), ("", true), (new string('y', 100), false) }));
    }

    /// <summary>Alerts come from intact lines that alert on their own, and never from a line whose types were corrupted.</summary>
    private static void CheckAlerts(ProcessResult result, List<PlannedLine> plan, string input)
    {
        var alerts = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonNode.Parse(line)!)
            .Select(alert => (Rule: (string)alert["kibana.alert.rule.name"]!, File: (string)alert["compiled.source.file"]!, Line: (long)alert["compiled.source.line"]!))
            .ToList();
        Assert.That(alerts.Select(alert => alert.File).Distinct(), Is.EqualTo(new[] { input }));
        Assert.That(alerts.Select(alert => alert.Rule).Distinct(), Is.EquivalentTo(new[] { "Port Rule", "Name Rule" }));
        foreach (string rule in new[] { "Port Rule", "Name Rule" })
        {
            var alerted = alerts.Where(alert => alert.Rule == rule).Select(alert => alert.Line).ToHashSet();
            for (int i = 0; i < plan.Count; i++)
            {
                var line = plan[i];
                bool expected = line.Intact && line.Alerts.Contains(rule);
                if (line.Intact || line.Outcome != Evaluated || line.NoAlertFrom == rule)
                {
                    Assert.That(alerted.Contains(i + 1), Is.EqualTo(expected), $"{rule}, line {i + 1} ({line.Description})");
                }
            }
        }
    }

    /// <summary>
    /// Returns the corpus lines that are evaluated on their own, each with the rules it alerts, scanned
    /// in process with the same rules so that the corrupted file can be predicted line by line.
    /// </summary>
    private static List<GoodLine> GoodLines(string rulesFolder)
    {
        var rules = RuleCompiler.CompileDirectory(rulesFolder).CreateRuleSet();
        var files = Directory.EnumerateFiles(Paths.CorpusEvents, "*.ndjson", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        var good = new List<GoodLine>();
        foreach (string path in files)
        {
            foreach (string line in File.ReadAllLines(path))
            {
                var sink = new RuleNameSink();
                var engine = new ScanEngine(rules, sink);
                engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(line)), path);
                if (engine.Summary.EventsEvaluated == 1)
                {
                    good.Add(new GoodLine(line, sink.Rules));
                }
            }
        }

        return good;
    }

    /// <summary>
    /// Lays out the corrupted file: intact lines with the corruptions spread between them, a fixed number of
    /// each kind. The first line starts with a byte order mark and the last one is cut short with no newline.
    /// </summary>
    private static List<PlannedLine> BuildCorruptedFile(List<GoodLine> good)
    {
        // Each corpus line is used once at most, because a repeated event gets the same alert id and its
        // second alert is skipped as a duplicate.
        var random = new Random(20261204);
        var unused = good.DistinctBy(line => line.Text).OrderBy(_ => random.Next()).ToList();
        GoodLine Take(Func<GoodLine, bool> filter)
        {
            int index = unused.FindIndex(line => filter(line));
            Assert.That(index, Is.GreaterThanOrEqualTo(0), "not enough distinct corpus lines");
            var line = unused[index];
            unused.RemoveAt(index);
            return line;
        }

        GoodLine Any() => Take(_ => true);
        GoodLine Port() => Take(line => line.Alerts.Contains("Port Rule"));
        GoodLine Name() => Take(line => line.Alerts.Contains("Name Rule"));

        var corruptions = new List<PlannedLine>();
        void Add(int count, Func<PlannedLine> make)
        {
            for (int i = 0; i < count; i++)
            {
                corruptions.Add(make());
            }
        }

        // At most 20 lines are rejected in all, so that the summary lists each of them.
        Add(1, () => Rejected(Truncate(Any().Text, random), "invalid JSON", "truncated"));
        Add(1, () => Rejected(InvalidUtf8(Any().Text, random), "invalid UTF-8", "invalid UTF-8 byte"));
        Add(1, () => Rejected(Encoding.UTF8.GetBytes(Any().Text.Replace("\":", "\";")), "invalid JSON", "colon replaced"));
        Add(1, () => Rejected(Encoding.UTF8.GetBytes(Any().Text[..^1] + ",}"), "invalid JSON", "trailing comma"));
        Add(1, () => Rejected(Encoding.UTF8.GetBytes(Any().Text + " {}"), "invalid JSON", "text after the object"));
        Add(1, () => Rejected("[1,2,3]"u8.ToArray(), "the line is not a JSON object", "array"));
        Add(1, () => new PlannedLine(""u8.ToArray(), Skipped, "empty", false, [], null, false));
        Add(1, () => new PlannedLine(" \t "u8.ToArray(), Skipped, "blank", false, [], null, false));
        Add(1, () => Rejected([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Any().Text)], "invalid JSON", "byte order mark after the first line"));
        Add(1, () => Rejected(Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', ScanEngine.DefaultMaxLineBytes) + "\"," + Any().Text[1..]), "line too long", "over 16 MiB"));
        Add(1, () => Rejected(Encoding.UTF8.GetBytes("{\"deep\":" + new string('[', 100) + new string(']', 100) + "," + Any().Text[1..]), "invalid JSON", "nesting 100 deep"));
        Add(1, () => Rejected(SetPort(Port().Text, JsonValue.Create(0), "1e999"), "number out of range", "port out of range")
            with { Detail = "number out of range: \"destination.port\" is 1e999, beyond the range of a float" });
        Add(1, () => Rejected(Encoding.UTF8.GetBytes(WithUnreadField(Port().Text, "custom", "{\"bytes\":18446744073709551616}")), "number out of range", "unread integer out of range")
            with { Detail = "number out of range: \"custom.bytes\" is 18446744073709551616, beyond the range of a long" });
        Add(1, () => Rejected(Encoding.UTF8.GetBytes(WithUnreadField(Name().Text, "custom", "[{\"ratio\":[0.5,1e39]}]")), "number out of range", "unread decimal out of range")
            with { Detail = "number out of range: \"custom.ratio\" is 1e39, beyond the range of a float" });
        Add(1, () => Rejected(WithTimestamp(Any().Text, null), "missing @timestamp", "no @timestamp"));
        Add(1, () => Rejected(WithTimestamp(Any().Text, "yesterday at noon"), "invalid @timestamp", "unparseable @timestamp"));
        Add(1, () => DuplicateFirstKey(Port().Text));
        Add(1, () => DuplicateNestedKey(Name().Text));

        // Lines that are still evaluated: their values have the wrong type, or one field is spelled both
        // dotted and nested, which Elasticsearch indexes as two values rather than as a duplicate key.
        Add(2, () => WrongType(SetPort(Port().Text, JsonValue.Create("fifty-three")), "Port Rule", "port as text"));
        Add(2, () => WrongType(SetName(Name().Text, new JsonObject { ["text"] = "cmd.exe" }), "Name Rule", "name as object"));
        Add(1, () => WrongType(SetName(Name().Text, new JsonArray(1, 2)), "Name Rule", "name as numbers"));
        Add(2, () =>
        {
            var line = Any();
            string text = WithUnreadField(WithUnreadField(line.Text, "custom.size", "1"), "custom", "{\"size\":2}");
            return new PlannedLine(Encoding.UTF8.GetBytes(text), Evaluated, "dotted and nested spellings", true, line.Alerts, null, false);
        });

        var plan = new List<PlannedLine>();
        var first = Any();
        plan.Add(new PlannedLine([0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(first.Text)], Evaluated, "byte order mark at the start", true, first.Alerts, null, false));
        for (int i = 0; i < corruptions.Count; i++)
        {
            for (int k = 0; k < 10; k++)
            {
                // The first blocks start with lines that each rule matches, so both rules must alert.
                var line = (i, k) switch
                {
                    (0, 0) => Port(),
                    (1, 0) => Name(),
                    _ => Any(),
                };
                plan.Add(new PlannedLine(Encoding.UTF8.GetBytes(line.Text), Evaluated, k % 3 == 0 ? "intact, CRLF" : "intact", true, line.Alerts, null, CrLf: k % 3 == 0));
            }

            plan.Add(corruptions[i]);
        }

        plan.Add(Rejected(Truncate(Any().Text, random), "invalid JSON", "last line cut short"));
        return plan;
    }

    private static PlannedLine Rejected(byte[] bytes, string reason, string description) => new(bytes, reason, description, false, [], null, false);

    private static PlannedLine WrongType(string text, string rule, string description) =>
        new(Encoding.UTF8.GetBytes(text), Evaluated, description, false, [], rule, false);

    /// <summary>Cuts the line at a character boundary before its last byte, so it stays valid UTF-8 but not JSON.</summary>
    private static byte[] Truncate(string text, Random random)
    {
        int cut = random.Next(1, text.Length - 1);
        if (char.IsLowSurrogate(text[cut]))
        {
            cut--;
        }

        return Encoding.UTF8.GetBytes(text[..cut]);
    }

    private static byte[] InvalidUtf8(string text, Random random)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        bytes[random.Next(1, bytes.Length - 1)] = 0xFF;
        return bytes;
    }

    private static JsonObject Parse(string text) => JsonNode.Parse(text)!.AsObject();

    private static byte[] SetPort(string text, JsonNode placeholder, string replacement)
    {
        var ev = Parse(text);
        SetField(ev, "destination", "port", placeholder);
        return Encoding.UTF8.GetBytes(ev.ToJsonString().Replace("\"port\":0", "\"port\":" + replacement));
    }

    private static string SetPort(string text, JsonNode value)
    {
        var ev = Parse(text);
        SetField(ev, "destination", "port", value);
        return ev.ToJsonString();
    }

    private static string SetName(string text, JsonNode value)
    {
        var ev = Parse(text);
        SetField(ev, "process", "name", value);
        return ev.ToJsonString();
    }

    /// <summary>Replaces <c>parent.child</c>, whether the event nests it or writes it with a dotted key.</summary>
    private static void SetField(JsonObject ev, string parent, string child, JsonNode value)
    {
        if (ev.ContainsKey(parent + "." + child))
        {
            ev[parent + "." + child] = value;
        }
        else
        {
            ev[parent]!.AsObject()[child] = value;
        }
    }

    private static byte[] WithTimestamp(string text, string? value)
    {
        var ev = Parse(text);
        ev.Remove("@timestamp");
        if (value is not null)
        {
            ev["@timestamp"] = value;
        }

        return Encoding.UTF8.GetBytes(ev.ToJsonString());
    }

    /// <summary>Writes the event's first key a second time, with the same value, at the start of the object.</summary>
    private static PlannedLine DuplicateFirstKey(string text)
    {
        var (name, value) = Parse(text).First();
        byte[] bytes = Encoding.UTF8.GetBytes("{" + JsonSerializer.Serialize(name) + ":" + value!.ToJsonString() + "," + text.TrimStart()[1..]);
        return Rejected(bytes, "duplicate key", "duplicate top-level key") with { Detail = $"duplicate key: \"{name}\" occurs twice in one object" };
    }

    /// <summary>
    /// Writes the first key of a nested object that no rule reads a second time, with the same value,
    /// so that only a check of the whole event finds it.
    /// </summary>
    private static PlannedLine DuplicateNestedKey(string text)
    {
        var ev = Parse(text);
        string[] read = ["@timestamp", "destination", "process", "event"];
        var (name, value) = ev.First(property => !read.Contains(property.Key) && property.Value is JsonObject { Count: > 0 });
        var (innerName, innerValue) = value!.AsObject().First();
        string inner = "{" + JsonSerializer.Serialize(innerName) + ":" + innerValue!.ToJsonString() + "," + value.ToJsonString()[1..];
        ev.Remove(name);
        byte[] bytes = Encoding.UTF8.GetBytes("{" + JsonSerializer.Serialize(name) + ":" + inner + "," + ev.ToJsonString()[1..]);
        return Rejected(bytes, "duplicate key", "duplicate key in a nested object no rule reads")
            with { Detail = $"duplicate key: \"{name}.{innerName}\" occurs twice in one object" };
    }

    /// <summary>Writes <paramref name="json"/> under the key <paramref name="name"/> at the start of the event, which must not have that key.</summary>
    private static string WithUnreadField(string text, string name, string json)
    {
        Assert.That(Parse(text).ContainsKey(name), Is.False, $"the corpus event already has \"{name}\"");
        return "{" + JsonSerializer.Serialize(name) + ":" + json + "," + text.TrimStart()[1..];
    }

    private static long Count(ProcessResult result, string label)
    {
        var match = Regex.Match(result.StandardError, $@"^\s*{Regex.Escape(label)}:\s+(\d+)", RegexOptions.Multiline);
        Assert.That(match.Success, Is.True, $"no '{label}' in the summary:\n{result.StandardError}");
        return long.Parse(match.Groups[1].Value);
    }

    /// <summary>Reads the per-reason lines that follow "lines rejected" in the summary.</summary>
    private static Dictionary<string, long> RejectedByReason(ProcessResult result)
    {
        var byReason = new Dictionary<string, long>();
        var lines = result.StandardError.Split('\n');
        int start = Array.FindIndex(lines, line => line.TrimStart().StartsWith("lines rejected:", StringComparison.Ordinal));
        for (int i = start + 1; i < lines.Length; i++)
        {
            var match = Regex.Match(lines[i], @"^\s{4}\s*(\d+)  (.+)$");
            if (!match.Success)
            {
                break;
            }

            byReason[match.Groups[2].Value.TrimEnd('\r')] = long.Parse(match.Groups[1].Value);
        }

        return byReason;
    }

    private static List<(string File, long Line, string Detail)> ListedRejections(ProcessResult result)
    {
        var lines = result.StandardError.Split('\n');
        int start = Array.FindIndex(lines, line => line.TrimStart().StartsWith("first rejected lines", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), result.StandardError);
        var listed = new List<(string, long, string)>();
        for (int i = start + 1; i < lines.Length; i++)
        {
            var match = Regex.Match(lines[i], @"^    (.+):(\d+): (.*)$");
            if (!match.Success)
            {
                break;
            }

            listed.Add((match.Groups[1].Value, long.Parse(match.Groups[2].Value), match.Groups[3].Value));
        }

        return listed;
    }

    private sealed record GoodLine(string Text, IReadOnlyList<string> Alerts);

    /// <summary>
    /// One line of the corrupted file. <see cref="Outcome"/> is <see cref="Evaluated"/>, <see cref="Skipped"/> or the reason the
    /// summary gives for rejecting it; <see cref="Intact"/> lines alert as on their own, and a line with
    /// <see cref="NoAlertFrom"/> has a value of the wrong type for that rule, which must not match.
    /// </summary>
    private sealed record PlannedLine(byte[] Bytes, string Outcome, string Description, bool Intact, IReadOnlyList<string> Alerts, string? NoAlertFrom, bool CrLf)
    {
        /// <summary>The whole message the summary must list for a rejected line, when the test states it.</summary>
        public string? Detail { get; init; }
    }

    private sealed class RuleNameSink : IAlertSink
    {
        public List<string> Rules { get; } = [];

        public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp) => Rules.Add(rule.Descriptor.Name);

        public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events) => Rules.Add(rule.Descriptor.Name);
    }
}
