using System.Text;
using System.Text.Json;
using Compiled.Runtime.Stateful;
using static Compiled.Tests.Stateful.StatefulTestRules;

namespace Compiled.Tests.Stateful;

public class ThreatMatchRuleTests
{
    private static ThreatMappingEntry Map(string field, string indicatorField, bool negate = false, bool ip = false) =>
        new(field, Slot(field), indicatorField, Slot(indicatorField), negate, ip);

    private static ThreatMatch Rule(ThreatMappingEntry[][] mappings, string indicators, string? indicatorKind = null)
    {
        var rule = new ThreatMatch(new ThreatMatchSettings(mappings, "threat.indicator", Schedule), indicatorKind);
        rule.LoadIndicators(new MemoryStream(Encoding.UTF8.GetBytes(indicators)), "indicators.ndjson");
        return rule;
    }

    private const string Md5Indicator =
        """{"_id":"ind-1","_index":"logs-ti_abusech.malware","_source":{"@timestamp":"2025-12-30T00:00:00Z","event":{"kind":"enrichment"},"threat":{"indicator":{"type":"file","file":{"hash":{"md5":"0123abcd"}},"provider":"abuse.ch"}}}}""";

    [Test]
    public void EventWithAnIndicatorValueGetsAnEnrichment()
    {
        var rule = Rule([[Map("file.hash.md5", "threat.indicator.file.hash.md5")]], Md5Indicator);
        var events = new[]
        {
            Event(0, "create", extra: "\"file\":{\"hash\":{\"md5\":\"0123abcd\"}}"),
            Event(1, "create", extra: "\"file\":{\"hash\":{\"md5\":\"ffff\"}}"),
        };

        var alerts = Alerts(rule, events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var enrichment = alerts[0].GetProperty("threat").GetProperty("enrichments")[0];
        Assert.That(enrichment.GetProperty("indicator").GetProperty("provider").GetString(), Is.EqualTo("abuse.ch"));
        Assert.That(enrichment.GetProperty("indicator").GetProperty("file").GetProperty("hash").GetProperty("md5").GetString(), Is.EqualTo("0123abcd"));
        var matched = enrichment.GetProperty("matched");
        Assert.That(matched.GetProperty("atomic").GetString(), Is.EqualTo("0123abcd"));
        Assert.That(matched.GetProperty("field").GetString(), Is.EqualTo("file.hash.md5"));
        Assert.That(matched.GetProperty("id").GetString(), Is.EqualTo("ind-1"));
        Assert.That(matched.GetProperty("index").GetString(), Is.EqualTo("logs-ti_abusech.malware"));
        Assert.That(matched.GetProperty("type").GetString(), Is.EqualTo("indicator_match_rule"));
        Assert.That(alerts[0].GetProperty("kibana.alert.rule.rule_type_id").GetString(), Is.EqualTo("siem.indicatorRule"));
        Assert.That(alerts[0].GetProperty("file").GetProperty("hash").GetProperty("md5").GetString(), Is.EqualTo("0123abcd"));
    }

    // Elasticsearch's terms query on an ip field compares addresses, so every spelling of an indicator's address
    // matches, and the enrichment keeps the indicator's own text.
    [Test]
    public void IpEntryComparesAddresses()
    {
        string indicators = """
            {"_id":"v6","threat":{"indicator":{"ip":"2001:db8::1"}}}
            {"_id":"v4","threat":{"indicator":{"ip":"10.0.0.1"}}}
            {"_id":"bad","threat":{"indicator":{"ip":"not-an-address"}}}
            """;
        string[] sources = ["2001:DB8::1", "2001:db8:0:0:0:0:0:1", "::ffff:10.0.0.1", "2001:db8::2", "not-an-address"];
        var events = sources.Select((ip, i) => Event(i, "connect", extra: "\"source\":{\"ip\":\"" + ip + "\"}")).ToList();

        var byAddress = Alerts(Rule([[Map("source.ip", "threat.indicator.ip", ip: true)]], indicators), events);
        var byText = Alerts(Rule([[Map("source.ip", "threat.indicator.ip")]], indicators), events);

        static string Atomic(JsonElement alert) => alert.GetProperty("threat").GetProperty("enrichments")[0].GetProperty("matched").GetProperty("atomic").GetString()!;
        Assert.That(byAddress.Select(Atomic), Is.EqualTo(new[] { "2001:db8::1", "2001:db8::1", "10.0.0.1" }));
        Assert.That(byAddress.Select(a => a.GetProperty("source").GetProperty("ip").GetString()), Is.EqualTo(sources[..3]));
        Assert.That(byText.Select(Atomic), Is.EqualTo(new[] { "not-an-address" }), "a keyword field compares text");
    }

    [Test]
    public void EntriesOfOneMappingMustAllMatch()
    {
        string indicator = """{"threat":{"indicator":{"ip":"203.0.113.7","port":4444}}}""";
        var rule = Rule([[Map("source.ip", "threat.indicator.ip"), Map("destination.port", "threat.indicator.port")]], indicator);
        var events = new[]
        {
            Event(0, "connect", extra: "\"source\":{\"ip\":\"203.0.113.7\"},\"destination\":{\"port\":4444}"),
            Event(1, "connect", extra: "\"source\":{\"ip\":\"203.0.113.7\"},\"destination\":{\"port\":443}"),
        };

        var alerts = Alerts(rule, events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var enrichments = alerts[0].GetProperty("threat").GetProperty("enrichments");
        Assert.That(enrichments.EnumerateArray().Select(e => e.GetProperty("matched").GetProperty("field").GetString()), Is.EqualTo(new[] { "source.ip", "destination.port" }));
        Assert.That(enrichments[1].GetProperty("matched").GetProperty("atomic").GetString(), Is.EqualTo("4444"));
        Assert.That(enrichments[0].GetProperty("matched").GetProperty("index").GetString(), Is.EqualTo("indicators.ndjson"));
    }

    [Test]
    public void AnyMappingMayMatch()
    {
        string indicators = """
            {"_id":"a","threat":{"indicator":{"ip":"198.51.100.1"}}}
            {"_id":"b","threat":{"indicator":{"file":{"hash":{"md5":"beef"}}}}}
            """;
        var rule = Rule([[Map("source.ip", "threat.indicator.ip")], [Map("file.hash.md5", "threat.indicator.file.hash.md5")]], indicators);
        var events = new[]
        {
            Event(0, "x", extra: "\"source\":{\"ip\":\"198.51.100.1\"}"),
            Event(1, "x", extra: "\"file\":{\"hash\":{\"md5\":\"beef\"}}"),
            Event(2, "x", extra: "\"source\":{\"ip\":\"198.51.100.2\"}"),
        };

        var alerts = Alerts(rule, events);

        Assert.That(alerts.Select(a => a.GetProperty("threat").GetProperty("enrichments")[0].GetProperty("matched").GetProperty("id").GetString()), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void NegatedEntryExcludesTheIndicator()
    {
        string indicator = """{"threat":{"indicator":{"ip":"203.0.113.7","port":4444}}}""";
        var rule = Rule([[Map("source.ip", "threat.indicator.ip"), Map("destination.port", "threat.indicator.port", negate: true)]], indicator);
        var events = new[]
        {
            Event(0, "connect", extra: "\"source\":{\"ip\":\"203.0.113.7\"},\"destination\":{\"port\":4444}"),
            Event(1, "connect", extra: "\"source\":{\"ip\":\"203.0.113.7\"},\"destination\":{\"port\":443}"),
        };

        var alerts = Alerts(rule, events);

        Assert.That(alerts, Has.Count.EqualTo(1));
        Assert.That(alerts[0].GetProperty("destination").GetProperty("port").GetInt32(), Is.EqualTo(443));
    }

    [Test]
    public void ParametersOmitUnsetThreatKeys()
    {
        string indicator = """{"threat":{"indicator":{"ip":"203.0.113.7","port":4444}}}""";
        var rule = Rule([[Map("source.ip", "threat.indicator.ip"), Map("destination.port", "threat.indicator.port", negate: true)]], indicator);

        var alerts = Alerts(rule, [Event(0, "connect", extra: "\"source\":{\"ip\":\"203.0.113.7\"},\"destination\":{\"port\":443}")]);

        Assert.That(alerts, Has.Count.EqualTo(1));
        var parameters = alerts[0].GetProperty("kibana.alert.rule.parameters");
        var entries = parameters.GetProperty("threat_mapping")[0].GetProperty("entries");
        Assert.That(entries[0].TryGetProperty("negate", out _), Is.False);
        Assert.That(entries[1].GetProperty("negate").GetBoolean(), Is.True);
        Assert.That(entries[1].GetProperty("value").GetString(), Is.EqualTo("threat.indicator.port"));
        Assert.That(parameters.GetProperty("threat_index").GetArrayLength(), Is.Zero);
        Assert.That(parameters.GetProperty("threat_indicator_path").GetString(), Is.EqualTo("threat.indicator"));
        Assert.That(parameters.TryGetProperty("threat_query", out _), Is.False);
        Assert.That(parameters.TryGetProperty("threat_language", out _), Is.False);
        Assert.That(parameters.TryGetProperty("threat_filters", out _), Is.False);
    }

    [Test]
    public void ThreatQueryFiltersIndicatorsAndBadLinesAreCounted()
    {
        string indicators = """
            {"event":{"kind":"enrichment"},"threat":{"indicator":{"ip":"198.51.100.1"}}}
            {"event":{"kind":"alert"},"threat":{"indicator":{"ip":"198.51.100.2"}}}
            not json
            [1,2]
            """;
        var rule = new ThreatMatch(new ThreatMatchSettings([[Map("source.ip", "threat.indicator.ip")]], "threat.indicator", Schedule), "enrichment");

        var result = rule.LoadIndicators(new MemoryStream(Encoding.UTF8.GetBytes(indicators)), "indicators.ndjson");
        var alerts = Alerts(rule, [Event(0, "x", extra: "\"source\":{\"ip\":\"198.51.100.1\"}"), Event(1, "x", extra: "\"source\":{\"ip\":\"198.51.100.2\"}")]);

        Assert.That(result.Loaded, Is.EqualTo(1));
        Assert.That(result.Filtered, Is.EqualTo(1));
        Assert.That(result.Rejected.Select(r => r.Line), Is.EqualTo(new long[] { 3, 4 }));
        Assert.That(alerts, Has.Count.EqualTo(1));
    }

    [Test]
    public void ExistingEnrichmentsAreKept()
    {
        var rule = Rule([[Map("file.hash.md5", "threat.indicator.file.hash.md5")]], Md5Indicator);
        string ev = Event(0, "create", extra: "\"file\":{\"hash\":{\"md5\":\"0123abcd\"}},\"threat\":{\"enrichments\":[{\"matched\":{\"id\":\"old\"}}],\"framework\":\"x\"}");

        var alerts = Alerts(rule, [ev]);

        var threat = alerts[0].GetProperty("threat");
        Assert.That(threat.GetProperty("framework").GetString(), Is.EqualTo("x"));
        Assert.That(threat.GetProperty("enrichments").GetArrayLength(), Is.EqualTo(2));
    }
}
