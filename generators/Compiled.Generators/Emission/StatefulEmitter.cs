using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Compiled.Generators.Eql;
using Compiled.Generators.RuleFiles;

namespace Compiled.Generators.Emission;

/// <summary>
/// Emits the parts of a rule class that keep state across events: the base class (threshold, new_terms or
/// threat_match from <c>Compiled.Runtime.Stateful</c>), a static <c>CreateSettings</c> with the rule's
/// fields, counts and schedule, and the overrides that hand the query to the base. Alert suppression of a
/// single-event rule is emitted here too.
/// </summary>
internal sealed class StatefulEmitter
{
    private const string Runtime = "global::Compiled.Runtime";
    private const string Stateful = "global::Compiled.Runtime.Stateful";

    private readonly RuleSpec _rule;
    private readonly StatefulSpec _spec;
    private readonly RuleScope _scope;

    public StatefulEmitter(RuleSpec rule, StatefulSpec spec, RuleScope scope)
    {
        _rule = rule;
        _spec = spec;
        _scope = scope;
    }

    /// <summary>True when the rule derives from a stateful base class rather than <c>DetectionRule</c>.</summary>
    public static bool HasStatefulBase(RuleSpec rule) =>
        rule.Stateful is { } spec && (spec.Threshold is not null || spec.NewTerms is not null || spec.ThreatMatch is not null);

    /// <summary>The base class of the rule.</summary>
    public string BaseClass =>
        _spec.Threshold is not null ? Stateful + ".ThresholdRule"
        : _spec.NewTerms is not null ? Stateful + ".NewTermsRule"
        : Stateful + ".ThreatMatchRule";

    /// <summary>The arguments of the base constructor call.</summary>
    public string BaseArguments => _spec.ThreatMatch is not null ? "Metadata, schema, CreateSettings(schema)" : "Metadata, CreateSettings(schema)";

    /// <summary>
    /// Writes <c>CreateSettings</c> and the overrides. <paramref name="writeFilter"/> writes a filter method
    /// with the given name, summary and filter.
    /// </summary>
    public void WriteBody(
        SourceWriter body,
        EventQuery query,
        EventFilter? indicatorFilter,
        string timestampSlot,
        string fallbackSlot,
        System.Action<SourceWriter, string, EventFilter, string> writeFilter)
    {
        string schedule = Schedule();
        string settingsType;
        var settings = new List<string>();
        if (_spec.Threshold is { } threshold)
        {
            settingsType = Stateful + ".ThresholdSettings";
            settings.Add(Strings(threshold.Fields));
            settings.Add(Slots(threshold.Fields));
            settings.Add(Long(threshold.Value));
            settings.Add(CSharpText.Literal(threshold.CardinalityField));
            settings.Add(threshold.CardinalityField is { } cardinality ? SlotOf(cardinality) : "-1");
            settings.Add(Long(threshold.CardinalityValue));
            settings.Add(schedule);
            settings.Add(_spec.Suppression?.Duration is { } duration ? Long(duration) : "null");
        }
        else if (_spec.NewTerms is { } newTerms)
        {
            settingsType = Stateful + ".NewTermsSettings";
            settings.Add(Strings(newTerms.Fields));
            settings.Add(Slots(newTerms.Fields));
            settings.Add(Long(newTerms.HistoryWindow));
            settings.Add(schedule);
            settings.Add(Suppression());
            settings.Add(CSharpText.Literal(newTerms.HistoryWindowStart));
        }
        else
        {
            var threat = _spec.ThreatMatch!;
            settingsType = Stateful + ".ThreatMatchSettings";
            var mappings = threat.Mappings.Select(mapping =>
                $"new {Stateful}.ThreatMappingEntry[] {{ {string.Join(", ", mapping.Entries.Select(Entry))} }}");
            settings.Add($"new {Stateful}.ThreatMappingEntry[][]\n    {{\n        {string.Join(",\n        ", mappings)},\n    }}");
            settings.Add(CSharpText.Literal(threat.IndicatorPath));
            settings.Add(schedule);
            settings.Add(Suppression());
            settings.Add(Strings(threat.ThreatIndex));
            settings.Add(CSharpText.Literal(threat.ThreatQuery));
            settings.Add(CSharpText.Literal(threat.ThreatLanguage));
            settings.Add(CSharpText.Literal(threat.ThreatFilters));
        }

        body.Line($"private static {settingsType} CreateSettings({Runtime}.Events.FieldSchema schema) => new(");
        for (int i = 0; i < settings.Count; i++)
        {
            string end = i == settings.Count - 1 ? ");" : ",";
            foreach (var line in (settings[i] + end).Split('\n'))
            {
                body.Line("    " + line);
            }
        }

        body.Line();
        body.Line("protected override bool TryGetTime(EventRecord ev, out long timestamp) =>");
        body.Line($"    ev.TryGetTimestamp({timestampSlot}, {fallbackSlot}, out timestamp);");
        body.Line();
        body.Line("protected override bool MatchQuery(EventRecord ev) => Match(ev);");
        if (indicatorFilter is not null)
        {
            body.Line();
            body.Line("protected override bool MatchIndicator(EventRecord indicator) => MatchThreatQuery(indicator);");
        }

        body.Line();
        writeFilter(body, "Match", query.Filter, "The query condition.");
        if (indicatorFilter is not null)
        {
            body.Line();
            writeFilter(body, "MatchThreatQuery", indicatorFilter, "The threat query and filters, applied to indicator documents.");
        }
    }

    /// <summary>
    /// Writes the members and <c>Evaluate</c> of a single-event rule with alert suppression: a match opens or
    /// joins a suppression group instead of raising an alert at once.
    /// </summary>
    public void WriteSuppressedEventQuery(
        SourceWriter body,
        EventQuery query,
        string timestampSlot,
        string fallbackSlot,
        List<string> matcherFields,
        List<string> constructorLines,
        System.Action<SourceWriter, string, EventFilter, string> writeFilter)
    {
        string suppressor = _scope.Unique("_suppressor");
        matcherFields.Add($"private readonly {Stateful}.AlertSuppressor {suppressor};");
        constructorLines.Add($"{suppressor} = new {Stateful}.AlertSuppressor(this, {Suppression()}, {Schedule()});");
        body.Line($"public override long StateEvictions => {suppressor}.Evictions;");
        body.Line();
        body.Line("public override bool MayNeedEveryEvent => true;");
        body.Line();
        body.Line("/// <summary>The time the first open suppression group closes.</summary>");
        body.Line($"public override long NextDueTime => {suppressor}.NextClose;");
        body.Line();
        body.Line("/// <summary>Writes the alerts of the suppression groups still open.</summary>");
        body.Line($"public override void Flush({Runtime}.Alerts.IAlertSink sink) => {suppressor}.Flush(sink);");
        body.Line();
        body.Line(RuleEmitter.HotPath);
        body.Line($"public override void Evaluate(EventRecord ev, {Runtime}.Alerts.IAlertSink sink)");
        body.Open();
        body.Line($"if (!ev.TryGetTimestamp({timestampSlot}, {fallbackSlot}, out long timestamp))");
        body.Open();
        body.Line("return;");
        body.Close();
        body.Line();
        body.Line($"{suppressor}.Advance(timestamp, sink);");
        body.Line($"if (Match(ev) && !{suppressor}.TryMerge(ev, timestamp, sink))");
        body.Open();
        body.Line($"{suppressor}.Open(new {Stateful}.StatefulAlert({Runtime}.Alerts.CapturedEvent.From(ev, timestamp), timestamp, null), sink);");
        body.Close();
        body.Close();
        body.Line();
        writeFilter(body, "Match", query.Filter, "The query condition.");
    }

    private string Schedule() =>
        $"new {Stateful}.RuleSchedule({Long(_spec.Interval)}, {Long(_spec.Lookback)})";

    private string Suppression()
    {
        if (_spec.Suppression is not { } suppression)
        {
            return "null";
        }

        string duration = suppression.Duration is { } value ? Long(value) : "null";
        string missing = suppression.DoNotSuppress ? "DoNotSuppress" : "Suppress";
        return $"new {Stateful}.SuppressionSettings({Strings(suppression.GroupBy)}, {Slots(suppression.GroupBy)}, {duration}, {Stateful}.MissingFieldsStrategy.{missing})";
    }

    private string Entry(ThreatEntrySpec entry) =>
        $"new({CSharpText.Literal(entry.Field)}, {SlotOf(entry.Field)}, {CSharpText.Literal(entry.Value)}, {SlotOf(entry.Value)}{(entry.Negate ? ", Negate: true" : string.Empty)}{(entry.Ip ? ", Ip: true" : string.Empty)})";

    /// <summary>Declares the field as one the rule reads and returns the expression for its slot.</summary>
    private string SlotOf(string field)
    {
        _scope.Slot(field);
        return $"schema.Slot({CSharpText.Literal(field)})";
    }

    private string Slots(IEnumerable<string> fields) => $"new int[] {{ {string.Join(", ", fields.Select(SlotOf))} }}";

    private static string Strings(IEnumerable<string> values) =>
        $"new string[] {{ {string.Join(", ", values.Select(value => CSharpText.Literal(value)))} }}";

    private static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";
}
