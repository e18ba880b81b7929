using Compiled.Runtime.Stateful;
using static Compiled.Tests.Stateful.StatefulTestRules;

namespace Compiled.Tests.Stateful;

public class NewTermsRuleTests
{
    private const long Day = 24 * 60 * Minute;

    private static NewTermsRule Rule(string[] fields, long window = 7 * Day, SuppressionSettings? suppression = null) =>
        new NewTerms(new NewTermsSettings(fields, Slots(fields), window, Schedule, suppression), "exec");

    [Test]
    public void FirstSightingAlertsAndRepeatsWithinTheWindowDoNot()
    {
        var events = new[]
        {
            Event(0, "exec", user: "alice", host: "h1"),
            Event(60, "exec", user: "alice", host: "h2"),
            Event(120, "exec", user: "bob", host: "h1"),
            Event(180, "login", user: "carol", host: "h1"),
        };

        var alerts = Alerts(Rule(["user.name"]), events);

        Assert.That(alerts, Has.Count.EqualTo(2));
        Assert.That(alerts[0].GetProperty("kibana.alert.new_terms")[0].GetString(), Is.EqualTo("alice"));
        Assert.That(alerts[1].GetProperty("kibana.alert.new_terms")[0].GetString(), Is.EqualTo("bob"));
        Assert.That(alerts[1].GetProperty("host").GetProperty("name").GetString(), Is.EqualTo("h1"));
        Assert.That(alerts[1].GetProperty("kibana.alert.rule.rule_type_id").GetString(), Is.EqualTo("siem.newTermsRule"));
        Assert.That(alerts[1].GetProperty("kibana.alert.original_time").GetString(), Is.EqualTo("2026-01-01T02:00:00.000Z"));
    }

    [Test]
    public void TermUnseenForTheWholeHistoryWindowIsNewAgain()
    {
        var rule = Rule(["user.name"], window: 1 * Day);
        var events = new[]
        {
            Event(0, "exec", user: "alice"),
            Event(23 * 60, "exec", user: "alice"),
            Event(46 * 60, "exec", user: "alice"),
            Event(71 * 60, "exec", user: "alice"),
        };

        var alerts = Alerts(rule, events);

        Assert.That(alerts.Select(a => a.GetProperty("@timestamp").GetString()), Is.EqualTo(new[] { "2026-01-01T00:00:00.000Z", "2026-01-03T23:00:00.000Z" }));
        Assert.That(rule.TermCount, Is.EqualTo(1));
    }

    [Test]
    public void SeveralFieldsAlertOnANewCombination()
    {
        var events = new[]
        {
            Event(0, "exec", user: "alice", host: "h1"),
            Event(1, "exec", user: "bob", host: "h2"),
            Event(2, "exec", user: "alice", host: "h2"),
            Event(3, "exec", user: "alice", host: "h2"),
        };

        var alerts = Alerts(Rule(["user.name", "host.name"]), events);

        Assert.That(alerts, Has.Count.EqualTo(3));
        var terms = alerts[2].GetProperty("kibana.alert.new_terms");
        Assert.That(terms.EnumerateArray().Select(term => term.GetString()), Is.EqualTo(new[] { "alice", "h2" }));
    }

    [Test]
    public void ArraysGiveEveryCombination()
    {
        var events = new[] { Event(0, "exec", user: "[\"alice\",\"bob\"]", host: "h1"), Event(1, "exec", user: "bob", host: "h1") };

        var alerts = Alerts(Rule(["user.name", "host.name"]), events);

        Assert.That(alerts.Select(a => a.GetProperty("kibana.alert.new_terms")[0].GetString()), Is.EquivalentTo(new[] { "alice", "bob" }));
        Assert.That(alerts[0].GetProperty("kibana.alert.uuid").GetString(), Is.Not.EqualTo(alerts[1].GetProperty("kibana.alert.uuid").GetString()));
    }

    [Test]
    public void EventMissingAFieldHasNoTerms()
    {
        var alerts = Alerts(Rule(["user.name", "host.name"]), [Event(0, "exec", user: "alice")]);

        Assert.That(alerts, Is.Empty);
    }

    [Test]
    public void TermCapEvictsTheLeastRecentlySeenTerm()
    {
        var rule = Rule(["user.name"]);
        rule.MaxStateEntries = 2;
        var events = new[] { "a", "b", "a", "c", "a", "b" }.Select((user, i) => Event(i, "exec", user: user));

        var alerts = Alerts(rule, events);

        // "b" was the least recently seen when "c" came, so it is new again.
        Assert.That(alerts.Select(a => a.GetProperty("kibana.alert.new_terms")[0].GetString()), Is.EqualTo(new[] { "a", "b", "c", "b" }));
        Assert.That(rule.StateEvictions, Is.EqualTo(2));
    }

    [Test]
    public void SuppressionMergesNewTermsOfOneHost()
    {
        var suppression = new SuppressionSettings(["host.name"], Slots("host.name"), 60 * Minute, MissingFieldsStrategy.Suppress);
        var events = new[]
        {
            Event(0, "exec", user: "alice", host: "h1"),
            Event(10, "exec", user: "bob", host: "h1"),
            Event(20, "exec", user: "carol", host: "h2"),
            Event(70, "exec", user: "dave", host: "h1"),
        };

        var alerts = Alerts(Rule(["user.name"], suppression: suppression), events);

        Assert.That(alerts, Has.Count.EqualTo(3));
        var first = alerts.Single(a => a.GetProperty("kibana.alert.new_terms")[0].GetString() == "alice");
        Assert.That(first.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(1));
        Assert.That(first.GetProperty("kibana.alert.suppression.end").GetString(), Is.EqualTo("2026-01-01T00:10:00.000Z"));
        var later = alerts.Single(a => a.GetProperty("kibana.alert.new_terms")[0].GetString() == "dave");
        Assert.That(later.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(0));
    }

    [Test]
    public void SuppressedDocsCountCountsEventsNotTerms()
    {
        var suppression = new SuppressionSettings(["host.name"], Slots("host.name"), 60 * Minute, MissingFieldsStrategy.Suppress);
        var events = new[]
        {
            Event(0, "exec", user: "alice", host: "h1"),
            Event(10, "exec", user: "[\"bob\",\"carol\",\"dave\"]", host: "h1"),
            Event(20, "exec", user: "[\"erin\",\"frank\"]", host: "h2"),
        };

        var alerts = Alerts(Rule(["user.name"], suppression: suppression), events);

        Assert.That(alerts, Has.Count.EqualTo(2));
        var h1 = alerts.Single(a => a.GetProperty("host").GetProperty("name").GetString() == "h1");
        Assert.That(h1.GetProperty("kibana.alert.new_terms")[0].GetString(), Is.EqualTo("alice"));
        Assert.That(h1.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(1));
        var h2 = alerts.Single(a => a.GetProperty("host").GetProperty("name").GetString() == "h2");
        Assert.That(h2.GetProperty("kibana.alert.suppression.docs_count").GetInt64(), Is.EqualTo(0));
    }
}
