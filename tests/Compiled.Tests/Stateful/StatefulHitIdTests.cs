using System.Text;
using System.Text.Json;
using Compiled.Runtime.Stateful;
using static Compiled.Tests.Stateful.StatefulTestRules;

namespace Compiled.Tests.Stateful;

/// <summary>
/// Stateful alerts on events replayed from a <c>_search</c> response: threat_match and new_terms alerts
/// take their id and <c>kibana.alert.ancestors</c> from the hit, as query alerts do. A threshold alert is
/// built on its bucket, as in Kibana, so the hits of the events it counts do not change its id.
/// </summary>
public class StatefulHitIdTests
{
    private const string Indicator =
        """{"_id":"ind-1","_index":"logs-ti","_source":{"threat":{"indicator":{"file":{"hash":{"md5":"0123abcd"}}}}}}""";

    private static readonly string Md5Event = Event(0, "create", user: "alice", extra: "\"file\":{\"hash\":{\"md5\":\"0123abcd\"}}");

    [Test]
    public void ThreatMatchTwoHitIdsTwoAlerts()
    {
        string response = Response(("logs-a", "id-1", Md5Event), ("logs-a", "id-2", Md5Event));

        var alerts = Alerts(CreateThreatMatchRule(), [response]);

        Assert.That(alerts, Has.Count.EqualTo(2), "two hits are two source documents, not one duplicate");
        Assert.That(Uuid(alerts[0]), Is.Not.EqualTo(Uuid(alerts[1])));
        Assert.That(Ancestors(alerts[0]), Is.EqualTo(new[] { ("id-1", "logs-a") }));
        Assert.That(Ancestors(alerts[1]), Is.EqualTo(new[] { ("id-2", "logs-a") }));
        Assert.That(alerts[1].GetProperty("compiled.source.element").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public void ThreatMatchReplayGivesSameIds()
    {
        string response = Response(("logs-a", "id-1", Md5Event), ("logs-b", "id-1", Md5Event));

        var first = Alerts(CreateThreatMatchRule(), [response]);
        var second = Alerts(CreateThreatMatchRule(), [response]);

        Assert.That(first, Has.Count.EqualTo(2));
        Assert.That(first.Select(Uuid), Is.EqualTo(second.Select(Uuid)));
        Assert.That(Uuid(first[0]), Is.Not.EqualTo(Uuid(first[1])), "the same _id in two indices is two documents");
    }

    [Test]
    public void ThreatMatchWithoutHitKeepsEventId()
    {
        var plain = Alerts(CreateThreatMatchRule(), [Md5Event]);
        var hit = Alerts(CreateThreatMatchRule(), [Response(("logs-a", "id-1", Md5Event))]);

        string eventHash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Md5Event)));
        Assert.That(Ancestors(plain[0]), Is.EqualTo(new[] { (eventHash, "events.ndjson") }), "the hash is of the event as read, not of the enriched copy");
        Assert.That(Uuid(hit[0]), Is.Not.EqualTo(Uuid(plain[0])));
    }

    [Test]
    public void NewTermsAlertIdFollowsHitId()
    {
        var first = Alerts(CreateNewTermsRule(), [Response(("logs-a", "id-1", Md5Event))]);
        var replay = Alerts(CreateNewTermsRule(), [Response(("logs-a", "id-1", Md5Event))]);
        var other = Alerts(CreateNewTermsRule(), [Response(("logs-a", "id-2", Md5Event))]);

        Assert.That(first, Has.Count.EqualTo(1));
        Assert.That(Ancestors(first[0]), Is.EqualTo(new[] { ("id-1", "logs-a") }));
        Assert.That(Uuid(replay[0]), Is.EqualTo(Uuid(first[0])));
        Assert.That(Uuid(other[0]), Is.Not.EqualTo(Uuid(first[0])));
    }

    [Test]
    public void ThresholdAlertIdIgnoresHitIds()
    {
        string[] events = [Event(0.5, "logon-failed", user: "alice"), Event(0.6, "logon-failed", user: "alice")];
        var first = Alerts(CreateThresholdRule(), [Response(("logs-a", "id-1", events[0]), ("logs-a", "id-2", events[1]))]);
        var other = Alerts(CreateThresholdRule(), [Response(("logs-b", "id-8", events[0]), ("logs-b", "id-9", events[1]))]);

        Assert.That(first, Has.Count.EqualTo(1));
        Assert.That(other, Has.Count.EqualTo(1));
        Assert.That(Uuid(other[0]), Is.EqualTo(Uuid(first[0])), "the alert is on the bucket of user alice");
        Assert.That(Ancestors(first[0])[0].Id, Is.Not.EqualTo("id-2"));
    }

    private static ThreatMatch CreateThreatMatchRule()
    {
        var entry = new ThreatMappingEntry("file.hash.md5", Slot("file.hash.md5"), "threat.indicator.file.hash.md5", Slot("threat.indicator.file.hash.md5"));
        var rule = new ThreatMatch(new ThreatMatchSettings([[entry]], "threat.indicator", Schedule));
        var loaded = rule.LoadIndicators(new MemoryStream(Encoding.UTF8.GetBytes(Indicator)), "indicators.ndjson");
        Assert.That(loaded.Loaded, Is.EqualTo(1));
        return rule;
    }

    private static NewTerms CreateNewTermsRule() =>
        new(new NewTermsSettings(["user.name"], Slots("user.name"), 7 * 24 * 60 * Minute, Schedule), "create");

    private static Threshold CreateThresholdRule() =>
        new(new ThresholdSettings(["user.name"], Slots("user.name"), 2, null, -1, 0, Schedule), "logon-failed");

    private static string Uuid(JsonElement alert) => alert.GetProperty("kibana.alert.uuid").GetString()!;

    private static (string Id, string Index)[] Ancestors(JsonElement alert) =>
        alert.GetProperty("kibana.alert.ancestors").EnumerateArray()
            .Select(a => (a.GetProperty("id").GetString()!, a.GetProperty("index").GetString()!))
            .ToArray();

    private static string Hit(string index, string id, string source) =>
        $"{{\"_index\":\"{index}\",\"_id\":\"{id}\",\"_score\":1.0,\"_source\":{source}}}";

    private static string Response(params (string Index, string Id, string Source)[] hits) =>
        $"{{\"took\":3,\"timed_out\":false,\"hits\":{{\"hits\":[{string.Join(",", hits.Select(h => Hit(h.Index, h.Id, h.Source)))}]}}}}";
}
