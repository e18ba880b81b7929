using System.Text;
using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Tests.Support;
using static Compiled.Tests.Runtime.InputFormatTests;

namespace Compiled.Tests.Runtime;

/// <summary>
/// Events replayed from Elasticsearch exports keep the <c>_id</c> and <c>_index</c> of their hit or bulk
/// action: alert ids derive from them, and <c>kibana.alert.ancestors</c> names them.
/// </summary>
public class HitIdTests
{
    private static readonly RuleSet Rules = Scan.CompileRules(
        ("match.toml", RuleFiles.Eql("process where process.name == \"evil\"")),
        ("sequence.toml", RuleFiles.Eql("sequence by host.id [process where process.name == \"first\"] [process where process.name == \"second\"]", name: "Sequence Rule", ruleId: "1c2d3e4f-0000-4000-8000-000000000002")));

    [Test]
    public void SameEventTwoHitIdsTwoAlerts()
    {
        string evil = Event(1, "evil");
        string response = Response(("logs-a", "id-1", evil), ("logs-a", "id-2", evil));

        var alerts = Alerts(response);

        Assert.That(alerts, Has.Count.EqualTo(2), "two hits are two source documents, not one duplicate");
        Assert.That(alerts[0].Uuid, Is.Not.EqualTo(alerts[1].Uuid));
        Assert.That(alerts.Select(a => a.Ancestors), Is.EqualTo(new[] { new[] { ("id-1", "logs-a") }, new[] { ("id-2", "logs-a") } }));
    }

    [Test]
    public void ReplayedExportGivesSameIds()
    {
        string evil = Event(1, "evil");
        string response = Response(("logs-a", "id-1", evil), ("logs-b", "id-1", evil));

        var first = Alerts(response);
        var second = Alerts(Pretty(response));

        Assert.That(first.Select(a => a.Uuid), Is.EqualTo(second.Select(a => a.Uuid)));
        Assert.That(first[0].Uuid, Is.Not.EqualTo(first[1].Uuid), "the same _id in two indices is two documents");
        Assert.That(first.Select(a => a.Ancestors[0]), Is.EqualTo(new[] { ("id-1", "logs-a"), ("id-1", "logs-b") }));
    }

    [Test]
    public void HitIdChangesAlertId()
    {
        string evil = Event(1, "evil");

        var plain = Alerts(Lines(evil));
        var hit = Alerts(Lines(Hit("logs-a", "id-1", evil)));
        var otherHit = Alerts(Lines(Hit("logs-a", "id-9", evil)));

        Assert.That(plain[0].Ancestors[0].Index, Is.EqualTo("input.json"), "an event without a hit is named by its file");
        Assert.That(hit[0].Ancestors, Is.EqualTo(new[] { ("id-1", "logs-a") }));
        Assert.That(hit[0].Uuid, Is.Not.EqualTo(plain[0].Uuid));
        Assert.That(otherHit[0].Uuid, Is.Not.EqualTo(hit[0].Uuid));
    }

    [Test]
    public void BulkActionIdsReachAlerts()
    {
        string bulk = Lines(
            "{\"index\":{\"_index\":\"logs-b\",\"_id\":\"bulk-\\u0031\"}}",
            Event(1, "evil"),
            "{\"create\":{\"_index\":\"logs-b\"}}",
            Event(2, "evil"),
            "{\"index\":{\"_id\":\"bulk-3\"}}",
            Event(3, "evil"));

        var alerts = Alerts(bulk);

        Assert.That(alerts.Select(a => a.Ancestors[0].Id).Take(1), Is.EqualTo(new[] { "bulk-1" }), "the id is decoded from its JSON escapes");
        Assert.That(alerts[0].Ancestors[0].Index, Is.EqualTo("logs-b"));
        Assert.That(alerts[1].Ancestors[0].Id, Has.Length.EqualTo(64), "an action without _id leaves the event's hash");
        Assert.That(alerts[2].Ancestors, Is.EqualTo(new[] { ("bulk-3", "input.json") }));
    }

    [Test]
    public void EmptyHitIdCountsAsMissing()
    {
        string bulk = Lines(
            "{\"index\":{\"_index\":\"\",\"_id\":\"\"}}",
            Event(1, "evil"),
            "{\"index\":{}}",
            Event(1, "evil"));

        var alerts = Alerts(bulk);

        Assert.That(alerts[0].Ancestors[0].Id, Has.Length.EqualTo(64), "an empty _id leaves the event's hash");
        Assert.That(alerts[0].Ancestors[0].Index, Is.EqualTo("input.json"));
        Assert.That(alerts, Has.Count.EqualTo(1), "the same event under an action without _id has the same alert id, written once");
    }

    [Test]
    public void SequenceAncestorsUseHitIds()
    {
        string response = Response(
            ("logs-a", "first-id", Event(1, "first")),
            ("logs-a", "second-id", Event(2, "second")));

        var alerts = Alerts(response);
        var again = Alerts(Response(
            ("logs-a", "first-id", Event(1, "first")),
            ("logs-a", "other-id", Event(2, "second"))));

        var sequence = alerts.Single(a => a.Ancestors.Length == 2);
        Assert.That(sequence.Ancestors, Is.EqualTo(new[] { ("first-id", "logs-a"), ("second-id", "logs-a") }));
        Assert.That(alerts.Where(a => a.Ancestors.Length == 1).Select(a => a.Ancestors[0].Id), Is.EqualTo(new[] { "first-id", "second-id" }));
        Assert.That(again.Single(a => a.Ancestors.Length == 2).Uuid, Is.Not.EqualTo(sequence.Uuid));
    }

    [Test]
    public void PrettySourceAlertIsOneLine()
    {
        string source = "{\n  \"@timestamp\": \"2026-01-01T00:00:01Z\",\n  \"event\": {\n    \"category\": \"process\"\n  },\n"
            + "  \"process\": {\n    \"name\": \"evil\",\n    \"args\": [\"a  b\", \"\\\"x\\\" \\n\"]\n  }\n}";
        var output = new MemoryStream();
        var engine = new ScanEngine(Rules, new AlertWriter(output));
        engine.Scan(Stream(source), "pretty.json");
        engine.Finish();

        var lines = Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1));
        var alert = JsonDocument.Parse(lines[0]).RootElement;
        Assert.That(alert.GetProperty("process").GetProperty("args").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "a  b", "\"x\" \n" }));
        Assert.That(alert.GetProperty("kibana.alert.original_event").GetProperty("category").GetString(), Is.EqualTo("process"));
    }

    private sealed record Alert(string Uuid, (string Id, string Index)[] Ancestors);

    private static List<Alert> Alerts(string input)
    {
        var output = new MemoryStream();
        var engine = new ScanEngine(Rules, new AlertWriter(output));
        engine.Scan(Stream(input), "input.json");
        engine.Finish();
        Assert.That(engine.Summary.LinesRejected, Is.EqualTo(0), string.Join("\n", engine.Summary.Examples.Select(e => e.Detail)));
        return Encoding.UTF8.GetString(output.ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line =>
            {
                var alert = JsonDocument.Parse(line).RootElement;
                var ancestors = alert.GetProperty("kibana.alert.ancestors").EnumerateArray()
                    .Select(a => (a.GetProperty("id").GetString()!, a.GetProperty("index").GetString()!))
                    .ToArray();
                return new Alert(alert.GetProperty("kibana.alert.uuid").GetString()!, ancestors);
            })
            .ToList();
    }

    private static string Hit(string index, string id, string source) =>
        $"{{\"_index\":\"{index}\",\"_id\":\"{id}\",\"_score\":1.0,\"_source\":{source}}}";

    private static string Response(params (string Index, string Id, string Source)[] hits) =>
        $"{{\"took\":3,\"timed_out\":false,\"hits\":{{\"hits\":[{string.Join(",", hits.Select(h => Hit(h.Index, h.Id, h.Source)))}]}}}}\n";

    private static string Pretty(string json) =>
        JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement, new JsonSerializerOptions { WriteIndented = true });
}
