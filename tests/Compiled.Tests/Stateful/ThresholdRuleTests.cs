using System.Text.Json;
using Compiled.Runtime.Stateful;
using static Compiled.Tests.Stateful.StatefulTestRules;

namespace Compiled.Tests.Stateful;

public class ThresholdRuleTests
{
    private static ThresholdRule ByUser(long value, string? cardinalityField = null, long cardinalityValue = 0, long? suppression = null) =>
        new Threshold(
            new ThresholdSettings(["user.name"], Slots("user.name"), value, cardinalityField, cardinalityField is null ? -1 : Slot(cardinalityField), cardinalityValue, Schedule, suppression),
            "logon-failed");

    [Test]
    public void BucketReachingTheCountRaisesOneAlertWithThresholdResult()
    {
        var events = new List<string>();
        for (int i = 0; i < 5; i++)
        {
            events.Add(Event(0.5 + i * 0.1, "logon-failed", user: "alice"));
        }

        events.Add(Event(0.6, "logon-failed", user: "bob"));
        events.Add(Event(0.7, "logon-succeeded", user: "bob"));

        var alerts = Alerts(ByUser(5), events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var alert = alerts[0];
        var result = alert.GetProperty("kibana.alert.threshold_result");
        Assert.That(result.GetProperty("count").GetInt64(), Is.EqualTo(5));
        Assert.That(result.GetProperty("terms")[0].GetProperty("field").GetString(), Is.EqualTo("user.name"));
        Assert.That(result.GetProperty("terms")[0].GetProperty("value").GetString(), Is.EqualTo("alice"));
        Assert.That(result.GetProperty("from").GetString(), Is.EqualTo("2026-01-01T00:00:30.000Z"));
        Assert.That(result.TryGetProperty("cardinality", out _), Is.False);
        Assert.That(alert.GetProperty("user").GetProperty("name").GetString(), Is.EqualTo("alice"));
        Assert.That(alert.GetProperty("@timestamp").GetString(), Is.EqualTo("2026-01-01T00:00:54.000Z"));
        Assert.That(alert.GetProperty("kibana.alert.rule.type").GetString(), Is.EqualTo("threshold"));
        Assert.That(alert.GetProperty("kibana.alert.rule.rule_type_id").GetString(), Is.EqualTo("siem.thresholdRule"));
        Assert.That(alert.GetProperty("event").GetProperty("kind").GetString(), Is.EqualTo("signal"));
    }

    [Test]
    public void AlertCarriesThresholdParametersAndSource()
    {
        var events = new List<string>
        {
            Event(0.5, "logon-failed", user: "alice", host: "h1"),
            Event(0.6, "logon-failed", user: "alice", host: "h2"),
            Event(0.7, "logon-failed", user: "alice", host: "h3"),
            Event(0.8, "logon-succeeded", user: "alice", host: "h4"),
        };

        var alerts = Alerts(ByUser(3, cardinalityField: "host.name", cardinalityValue: 2), events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var parameters = alerts[0].GetProperty("kibana.alert.rule.parameters");
        Assert.That(parameters.GetProperty("type").GetString(), Is.EqualTo("threshold"));
        var threshold = parameters.GetProperty("threshold");
        Assert.That(threshold.GetProperty("field").EnumerateArray().Select(field => field.GetString()), Is.EqualTo(new[] { "user.name" }));
        Assert.That(threshold.GetProperty("value").GetInt64(), Is.EqualTo(3));
        Assert.That(threshold.GetProperty("cardinality")[0].GetProperty("field").GetString(), Is.EqualTo("host.name"));
        Assert.That(threshold.GetProperty("cardinality")[0].GetProperty("value").GetInt64(), Is.EqualTo(2));

        // The third event is the last one counted, because the fourth does not match the query.
        Assert.That(alerts[0].GetProperty("compiled.source.file").GetString(), Is.EqualTo("events.ndjson"));
        Assert.That(alerts[0].GetProperty("compiled.source.line").GetInt64(), Is.EqualTo(3));
        Assert.That(alerts[0].TryGetProperty("compiled.source.element", out _), Is.False);
    }

    [Test]
    public void ParametersOmitAnAbsentCardinality()
    {
        var events = Enumerable.Range(0, 2).Select(i => Event(0.5 + i * 0.1, "logon-failed", user: "alice"));

        var alerts = Alerts(ByUser(2), events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var threshold = alerts[0].GetProperty("kibana.alert.rule.parameters").GetProperty("threshold");
        Assert.That(threshold.GetProperty("value").GetInt64(), Is.EqualTo(2));
        Assert.That(threshold.TryGetProperty("cardinality", out _), Is.False);
        Assert.That(alerts[0].GetProperty("compiled.source.line").GetInt64(), Is.EqualTo(2));
    }

    [Test]
    public void EventsAlreadyAlertedOnAreNotCountedAgain()
    {
        // The run at 5m alerts on the five events; the run at 10m still sees them in its 9-minute look-back.
        var events = Enumerable.Range(0, 5).Select(i => Event(1 + i * 0.1, "logon-failed", user: "alice")).ToList();
        events.Add(Event(7, "other", user: "alice"));
        events.Add(Event(11, "other", user: "alice"));
        var once = Alerts(ByUser(5), events);

        // Four more later events do not reach the threshold on their own.
        var more = new List<string>(events);
        more.AddRange(Enumerable.Range(0, 4).Select(i => Event(12 + i * 0.1, "logon-failed", user: "alice")));
        var stillOnce = Alerts(ByUser(5), more);

        // Five more do, and the second alert counts only them.
        more.Add(Event(12.5, "logon-failed", user: "alice"));
        var twice = Alerts(ByUser(5), more);

        Assert.That(once, Has.Count.EqualTo(1));
        Assert.That(stillOnce, Has.Count.EqualTo(1));
        Assert.That(twice, Has.Count.EqualTo(2));
        Assert.That(twice[1].GetProperty("kibana.alert.threshold_result").GetProperty("count").GetInt64(), Is.EqualTo(5));
        Assert.That(twice[1].GetProperty("kibana.alert.threshold_result").GetProperty("from").GetString(), Is.EqualTo("2026-01-01T00:12:00.000Z"));
        Assert.That(twice[1].GetProperty("kibana.alert.uuid").GetString(), Is.Not.EqualTo(twice[0].GetProperty("kibana.alert.uuid").GetString()));
    }

    [Test]
    public void EventsFurtherApartThanTheLookBackDoNotAddUp()
    {
        var events = Enumerable.Range(0, 3).Select(i => Event(1 + i * 0.1, "logon-failed", user: "alice"))
            .Concat(Enumerable.Range(0, 3).Select(i => Event(30 + i * 0.1, "logon-failed", user: "alice")));
        var near = Enumerable.Range(0, 3).Select(i => Event(1 + i * 0.1, "logon-failed", user: "alice"))
            .Concat(Enumerable.Range(0, 3).Select(i => Event(4 + i * 0.1, "logon-failed", user: "alice")));

        Assert.That(Alerts(ByUser(5), events), Is.Empty);
        Assert.That(Alerts(ByUser(5), near), Has.Count.EqualTo(1));
    }

    [Test]
    public void CardinalityConditionCountsDistinctValues()
    {
        var rule = () => new Threshold(
            new ThresholdSettings(["host.name"], Slots("host.name"), 3, "user.name", Slot("user.name"), 3, Schedule),
            "logon-failed");
        var sameUser = Enumerable.Range(0, 4).Select(i => Event(1 + i * 0.1, "logon-failed", user: "alice", host: "h1"));
        var threeUsers = new[] { "alice", "bob", "carol", "alice" }.Select((user, i) => Event(1 + i * 0.1, "logon-failed", user: user, host: "h1"));

        var none = Alerts(rule(), sameUser);
        var alerts = Alerts(rule(), threeUsers);

        Assert.That(none, Is.Empty);
        Assert.That(alerts, Has.Count.EqualTo(1));
        var cardinality = alerts[0].GetProperty("kibana.alert.threshold_result").GetProperty("cardinality")[0];
        Assert.That(cardinality.GetProperty("field").GetString(), Is.EqualTo("user.name"));
        Assert.That(cardinality.GetProperty("value").GetInt64(), Is.EqualTo(3));
        Assert.That(alerts[0].GetProperty("kibana.alert.threshold_result").GetProperty("count").GetInt64(), Is.EqualTo(4));
    }

    [Test]
    public void NoGroupByFieldsCountsEveryMatchingEvent()
    {
        var rule = new Threshold(new ThresholdSettings([], [], 3, null, -1, 0, Schedule), "logon-failed");
        var events = new[] { "a", "b", "c" }.Select((user, i) => Event(1 + i * 0.1, "logon-failed", user: user));

        var alerts = Alerts(rule, events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        Assert.That(alerts[0].GetProperty("kibana.alert.threshold_result").GetProperty("terms").GetArrayLength(), Is.EqualTo(0));
    }

    [Test]
    public void MultiValuedFieldCountsTheEventInEachValueBucket()
    {
        var events = new[] { Event(1, "logon-failed", user: "[\"a\",\"b\"]"), Event(1.1, "logon-failed", user: "a"), Event(1.2, "logon-failed", user: "b") };

        var alerts = Alerts(ByUser(2), events);

        Assert.That(alerts.Select(a => a.GetProperty("kibana.alert.threshold_result").GetProperty("terms")[0].GetProperty("value").GetString()), Is.EquivalentTo(new[] { "a", "b" }));
    }

    [Test]
    public void EventMissingTheGroupByFieldIsNotCounted()
    {
        var events = new[] { Event(1, "logon-failed"), Event(1.1, "logon-failed"), Event(1.2, "logon-failed", user: "a") };

        Assert.That(Alerts(ByUser(2), events), Is.Empty);
    }

    [Test]
    public void BucketCapEvictsTheOldestBucket()
    {
        var rule = ByUser(2);
        rule.MaxStateEntries = 2;
        var events = new[] { Event(1, "logon-failed", user: "a"), Event(1.1, "logon-failed", user: "b"), Event(1.2, "logon-failed", user: "c"), Event(1.3, "logon-failed", user: "a") };

        var alerts = Alerts(rule, events);

        // "a" was evicted when "c" arrived, so its second event starts over.
        Assert.That(rule.StateEvictions, Is.EqualTo(2));
        Assert.That(alerts, Is.Empty);
    }

    [Test]
    public void SuppressionDurationMergesLaterAlertsOfTheSameBucket()
    {
        var events = new List<string>();
        foreach (double start in new[] { 1.0, 11.0, 21.0 })
        {
            events.AddRange(Enumerable.Range(0, 2).Select(i => Event(start + i * 0.1, "logon-failed", user: "alice")));
        }

        var plain = Alerts(ByUser(2), events);
        var suppressed = Alerts(ByUser(2, suppression: 60 * Minute), events);

        Assert.That(plain, Has.Count.EqualTo(3));
        Assert.That(suppressed, Has.Count.EqualTo(1));
        var alert = suppressed[0];
        Assert.That(alert.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(2));
        Assert.That(alert.GetProperty("kibana.alert.suppression.terms")[0].GetProperty("field").GetString(), Is.EqualTo("user.name"));
        Assert.That(alert.GetProperty("kibana.alert.suppression.terms")[0].GetProperty("value")[0].GetString(), Is.EqualTo("alice"));
        Assert.That(alert.GetProperty("kibana.alert.suppression.start").GetString(), Is.EqualTo("2026-01-01T00:01:06.000Z"));
        Assert.That(alert.GetProperty("kibana.alert.suppression.end").GetString(), Is.EqualTo("2026-01-01T00:21:06.000Z"));
    }
}
