using System.Text;
using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Rules;
using Compiled.Runtime.Stateful;

namespace Compiled.Tests.Stateful;

/// <summary>Hand-written rules on the stateful bases, whose query is "event.action is the given value".</summary>
internal static class StatefulTestRules
{
    public const long Minute = 60L * 1_000_000_000;

    public static readonly RuleSchedule Schedule = new(5 * Minute, 9 * Minute);

    public static readonly string[] Fields =
    [
        "event.action", "user.name", "host.name", "source.ip", "destination.port", "file.hash.md5", "process.name",
        "threat.indicator.file.hash.md5", "threat.indicator.ip", "threat.indicator.port", "event.kind",
    ];

    public static FieldSchema Schema { get; } = FieldSchema.Create(Fields);

    public static RuleDescriptor Descriptor(string type, string name = "Stateful Test Rule") => new()
    {
        RuleId = new Guid("5f0e8d8a-0000-4000-8000-00000000000" + (type.Length % 10).ToString()),
        Name = name,
        Description = "A rule written for a test.",
        Severity = Severity.Medium,
        RiskScore = 47,
        Type = type,
        Language = "kuery",
        Query = "event.action:*",
        SourceFile = "test.toml",
    };

    public static int Slot(string field) => Schema.Slot(field);

    public static int[] Slots(params string[] fields) => fields.Select(Slot).ToArray();

    /// <summary>Runs <paramref name="rule"/> over the events and returns the alerts AlertWriter writes.</summary>
    public static List<JsonElement> Alerts(DetectionRule rule, IEnumerable<string> events)
    {
        var output = new MemoryStream();
        var writer = new AlertWriter(output);
        var engine = new ScanEngine(new RuleSet(Schema, [rule]), writer);
        engine.Scan(new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", events) + "\n")), "events.ndjson");
        engine.Finish();
        return Encoding.UTF8.GetString(output.ToArray())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToList();
    }

    /// <summary>An event at <paramref name="minute"/> minutes (and <paramref name="second"/> seconds) past 2026-01-01T00:00Z.</summary>
    public static string Event(double minute, string action, string? user = null, string? host = null, string extra = "")
    {
        var time = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(minute);
        var builder = new StringBuilder();
        builder.Append("{\"@timestamp\":\"").Append(time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")).Append('"');
        builder.Append(",\"event\":{\"action\":\"").Append(action).Append("\"}");
        if (user is not null)
        {
            builder.Append(",\"user\":{\"name\":").Append(user.StartsWith('[') ? user : "\"" + user + "\"").Append('}');
        }

        if (host is not null)
        {
            builder.Append(",\"host\":{\"name\":\"").Append(host).Append("\"}");
        }

        if (extra.Length > 0)
        {
            builder.Append(',').Append(extra);
        }

        return builder.Append('}').ToString();
    }

    private static bool ActionIs(EventRecord ev, string action)
    {
        foreach (ref readonly var value in ev.Values(Slot("event.action")))
        {
            if (ev.Text(value).SequenceEqual(action))
            {
                return true;
            }
        }

        return false;
    }

    public sealed class Threshold(ThresholdSettings settings, string action) : ThresholdRule(Descriptor("threshold"), settings)
    {
        protected override bool MatchQuery(EventRecord ev) => ActionIs(ev, action);

        protected override bool TryGetTime(EventRecord ev, out long timestamp) => ev.TryGetTimestamp(Slot("@timestamp"), out timestamp);
    }

    public sealed class NewTerms(NewTermsSettings settings, string action) : NewTermsRule(Descriptor("new_terms"), settings)
    {
        protected override bool MatchQuery(EventRecord ev) => ActionIs(ev, action);

        protected override bool TryGetTime(EventRecord ev, out long timestamp) => ev.TryGetTimestamp(Slot("@timestamp"), out timestamp);
    }

    public sealed class ThreatMatch(ThreatMatchSettings settings, string? indicatorKind = null) : ThreatMatchRule(Descriptor("threat_match"), Schema, settings)
    {
        protected override bool MatchQuery(EventRecord ev) => true;

        protected override bool MatchIndicator(EventRecord indicator)
        {
            if (indicatorKind is null)
            {
                return true;
            }

            foreach (ref readonly var value in indicator.Values(Slot("event.kind")))
            {
                if (indicator.Text(value).SequenceEqual(indicatorKind))
                {
                    return true;
                }
            }

            return false;
        }

        protected override bool TryGetTime(EventRecord ev, out long timestamp) => ev.TryGetTimestamp(Slot("@timestamp"), out timestamp);
    }
}
