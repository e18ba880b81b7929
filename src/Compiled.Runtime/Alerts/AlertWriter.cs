using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Alerts;

/// <summary>
/// Writes alerts as NDJSON documents shaped like Kibana security alerts: the source event's fields,
/// <c>event.kind: "signal"</c>, and <c>kibana.alert.*</c> fields with the rule's metadata. A sequence gives
/// one building-block alert per event and one alert for the whole sequence, all sharing
/// <c>kibana.alert.group.id</c>. With <see cref="AlertFormat.Table"/> each alert is a readable line instead.
/// </summary>
/// <remarks>
/// <para>
/// Ids are deterministic: an event's id is the <c>_id</c> of the search hit or <c>_bulk</c> action that
/// carried it, else its own top-level <c>_id</c>, else the SHA-256 of its JSON text. An alert's id hashes
/// the rule id with its events' ids, and with their hits' <c>_index</c> when they have one, because Kibana's
/// alert id hashes the source document's index and id with the rule. So the same input, or the same
/// export replayed, gives the same alerts. <c>kibana.alert.ancestors</c> name each event by that id and
/// by its hit's <c>_index</c>, or by its input file when it came without one. <c>@timestamp</c> is the event time by the rule's timestamp field (the last
/// event's, for a sequence), where Kibana writes the time the rule ran, so that a replay gives
/// byte-identical output. <c>kibana.alert.original_time</c> is the event's <c>@timestamp</c>, as in Kibana.
/// </para>
/// <para>
/// Each alert, and each sequence with its building-block alerts, is passed to the output stream in one
/// <see cref="Stream.Write(ReadOnlySpan{byte})"/> call. On an unbuffered stream, such as a
/// <see cref="FileStream"/> opened with a buffer size of 0, that is one system call, so a process that is
/// stopped between writes leaves only whole lines in the file. A buffering stream in between may split a line.
/// NOTE: Linux checks for a fatal signal between the pages of a write to a regular file, so SIGKILL during a
/// write of more than one page can leave that last write cut short. Every earlier write stays whole.
/// </para>
/// </remarks>
public sealed class AlertWriter : IAlertSink
{
    private readonly Stream _output;
    private readonly AlertFormat _format;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);

    // The bytes of the alert, or of the sequence's alerts, that the next write passes to the output at once.
    private readonly ArrayBufferWriter<byte> _unit = new(16384);
    private bool _sequenceOpen;
    private readonly Dictionary<DetectionRule, int> _counts = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<DetectionRule, RuleAlertCounts> _ruleCounts = new(ReferenceEqualityComparer.Instance);

    // Alert ids already written: Kibana indexes alerts by id, so a second alert with the same id (the same
    // event in two inputs, or a sequence found once per value of a multi-valued key) is not a new alert.
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    public AlertWriter(Stream output, AlertFormat format = AlertFormat.Ndjson)
    {
        _output = output;
        _format = format;
    }

    /// <summary>
    /// True (the default) to write at most each rule's <c>max_signals</c> alerts per <c>interval</c> of event
    /// time, as Kibana writes at most <c>max_signals</c> alerts per rule execution. A sequence counts once,
    /// with its building-block alerts. Alerts over the limit are counted in <see cref="RuleCounts"/>.
    /// </summary>
    public bool ApplyMaxSignals { get; init; } = true;

    /// <summary>The number of alert documents written per rule, building blocks included.</summary>
    public IReadOnlyDictionary<DetectionRule, int> AlertsPerRule => _counts;

    /// <summary>Alerts written, building-block alerts written and alerts dropped by max_signals, per rule.</summary>
    public IReadOnlyDictionary<DetectionRule, RuleAlertCounts> RuleCounts => _ruleCounts;

    public long TotalAlerts { get; private set; }

    /// <summary>Alerts not written because an alert with the same id already was.</summary>
    public long DuplicatesSkipped { get; private set; }

    /// <summary>Alerts, or whole sequences, not written because their rule had reached max_signals in that window.</summary>
    public long MaxSignalsDropped { get; private set; }

    /// <summary>How many alert ids are remembered for the duplicate check; past it, the memory starts over.</summary>
    public const int RememberedIds = 1_000_000;

    public void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp)
    {
        var ancestor = new Ancestor(ev.GetHitId() ?? EventId(ev.Json.Span), ev.GetHitIndex(), ev.Source, ev.LineNumber, ev.ElementIndex);
        string alertId = Hash(rule.Descriptor.RuleIdText, ancestor.Key);
        if (!FirstTime(alertId))
        {
            return;
        }

        var ancestors = new[] { ancestor };
        WriteAlert(rule, ev.Json.Span, timestamp, CapturedEvent.OriginalTimeOf(ev, timestamp), alertId, ancestors, group: null);
    }

    public void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events)
    {
        var ancestors = new Ancestor[events.Length];
        for (int i = 0; i < events.Length; i++)
        {
            var captured = events[i];
            ancestors[i] = new Ancestor(captured.HitId ?? EventId(captured.Json.Span), captured.HitIndex, captured.Source, captured.LineNumber, captured.ElementIndex);
        }

        string ruleId = rule.Descriptor.RuleIdText;
        var idParts = new string[ancestors.Length + 1];
        idParts[0] = ruleId;
        for (int i = 0; i < ancestors.Length; i++)
        {
            idParts[i + 1] = ancestors[i].Key;
        }

        string sequenceAlertId = Hash(idParts);
        if (!FirstTime(sequenceAlertId))
        {
            return;
        }

        if (!WithinMaxSignals(rule, events[^1].Timestamp))
        {
            return;
        }

        string groupId = Hash("group", sequenceAlertId);
        _unit.ResetWrittenCount();
        _sequenceOpen = true;
        try
        {
            for (int i = 0; i < events.Length; i++)
            {
                string alertId = Hash(ruleId, ancestors[i].Key, groupId);
                WriteAlert(rule, events[i].Json.Span, events[i].Timestamp, events[i].OriginalTime, alertId, [ancestors[i]], new Group(groupId, i, BuildingBlock: true));
            }

            byte[] common = SequenceFields.Intersect(events);
            WriteAlert(rule, common, events[^1].Timestamp, events[0].OriginalTime, sequenceAlertId, ancestors, new Group(groupId, -1, BuildingBlock: false));
        }
        finally
        {
            _sequenceOpen = false;
        }

        WriteUnit();
    }

    public void OnStatefulMatch(DetectionRule rule, Compiled.Runtime.Stateful.StatefulAlert alert)
    {
        var source = alert.Source;
        var ancestor = alert.IdKey is { } idKey
            ? new Ancestor(idKey, source.HitIndex, source.Source, source.LineNumber, source.ElementIndex)
            : new Ancestor(source.HitId ?? EventId(source.Json.Span), source.HitIndex, source.Source, source.LineNumber, source.ElementIndex);
        string alertId = alert.IdDiscriminator is { } discriminator
            ? Hash(rule.Descriptor.RuleIdText, ancestor.Key, discriminator)
            : Hash(rule.Descriptor.RuleIdText, ancestor.Key);
        if (!FirstTime(alertId))
        {
            return;
        }

        var ancestors = new[] { ancestor };
        WriteAlert(rule, source.Json.Span, alert.Timestamp, source.OriginalTime, alertId, ancestors, group: null, alert);
    }

    public void Flush() => _output.Flush();

    private bool FirstTime(string alertId)
    {
        if (_written.Count >= RememberedIds)
        {
            // NOTE: after a million alerts the duplicate check drops the ids it stored, so a late duplicate is written.
            _written.Clear();
        }

        if (_written.Add(alertId))
        {
            return true;
        }

        DuplicatesSkipped++;
        return false;
    }

    private void WriteAlert(DetectionRule rule, ReadOnlySpan<byte> source, long timestamp, long originalTime, string alertId, Ancestor[] ancestors, Group? group, Compiled.Runtime.Stateful.StatefulAlert? stateful = null)
    {
        _buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = false }))
        {
            var rule_ = rule.Descriptor;
            writer.WriteStartObject();
            writer.WriteString("@timestamp", Timestamps.Format(timestamp));
            byte[]? originalEvent = source.IsEmpty ? null : CopySourceFields(source, writer);
            writer.WriteString("kibana.alert.uuid", alertId);
            writer.WriteString("kibana.alert.original_time", Timestamps.Format(originalTime));
            if (originalEvent is not null)
            {
                writer.WritePropertyName("kibana.alert.original_event");
                writer.WriteRawValue(originalEvent, skipInputValidation: true);
            }

            writer.WriteString("kibana.alert.status", "active");
            writer.WriteString("kibana.alert.workflow_status", "open");
            writer.WriteNumber("kibana.alert.depth", 1);
            writer.WriteString("kibana.alert.severity", SeverityText(rule_.Severity));
            writer.WriteNumber("kibana.alert.risk_score", rule_.RiskScore);
            writer.WriteString("kibana.alert.reason", Reason(rule_, group));
            if (group is { } g)
            {
                writer.WriteString("kibana.alert.group.id", g.Id);
                if (g.BuildingBlock)
                {
                    writer.WriteNumber("kibana.alert.group.index", g.Index);
                    writer.WriteString("kibana.alert.building_block_type", "default");
                }
            }

            // A sequence's events are building blocks of their own; the rest carry the rule's type, as in Kibana.
            if (group is not { BuildingBlock: true } && rule_.BuildingBlockType is { } buildingBlockType)
            {
                writer.WriteString("kibana.alert.building_block_type", buildingBlockType);
            }

            stateful?.WriteFields(writer);
            writer.WriteStartArray("kibana.alert.ancestors");
            foreach (var ancestor in ancestors)
            {
                writer.WriteStartObject();
                writer.WriteString("id", ancestor.Id);
                writer.WriteString("type", "event");
                writer.WriteString("index", ancestor.Index);
                writer.WriteNumber("depth", 0);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            WriteRule(writer, rule);
            writer.WriteStartArray("kibana.space_ids");
            writer.WriteStringValue("default");
            writer.WriteEndArray();
            if (ancestors.Length == 1)
            {
                writer.WriteString("compiled.source.file", ancestors[0].Source);
                writer.WriteNumber("compiled.source.line", ancestors[0].Line);
                if (ancestors[0].Element >= 0)
                {
                    writer.WriteNumber("compiled.source.element", ancestors[0].Element);
                }
            }

            writer.WriteEndObject();
        }

        Emit(rule, timestamp, buildingBlock: group is { BuildingBlock: true } || rule.Descriptor.BuildingBlockType is not null);
    }

    /// <summary>
    /// Formats the alert in <see cref="_buffer"/> into the unit of output. A sequence's alerts are written
    /// together when the sequence is complete; any other alert is written at once, within max_signals.
    /// </summary>
    private void Emit(DetectionRule rule, long timestamp, bool buildingBlock)
    {
        if (!_sequenceOpen)
        {
            if (!WithinMaxSignals(rule, timestamp))
            {
                return;
            }

            _unit.ResetWrittenCount();
        }

        if (_format == AlertFormat.Table)
        {
            AlertTable.WriteLine(_buffer.WrittenSpan, _unit);
        }
        else
        {
            _unit.Write(_buffer.WrittenSpan);
            _unit.Write("\n"u8);
        }

        _counts[rule] = _counts.GetValueOrDefault(rule) + 1;
        var counts = CountsOf(rule);
        counts.Alerts++;
        if (buildingBlock)
        {
            counts.BuildingBlockAlerts++;
        }

        TotalAlerts++;
        if (!_sequenceOpen)
        {
            WriteUnit();
        }
    }

    /// <summary>Passes the unit to the output in one call; a failed write becomes an <see cref="AlertOutputException"/>.</summary>
    private void WriteUnit()
    {
        try
        {
            _output.Write(_unit.WrittenSpan);
        }
        catch (IOException error)
        {
            throw new AlertOutputException(error);
        }
    }

    /// <summary>Counts one alert (or sequence) against the rule's max_signals in the interval window of <paramref name="timestamp"/>.</summary>
    private bool WithinMaxSignals(DetectionRule rule, long timestamp)
    {
        if (!ApplyMaxSignals)
        {
            return true;
        }

        var counts = CountsOf(rule);
        if (counts.Window.Admit(timestamp))
        {
            return true;
        }

        counts.MaxSignalsDropped++;
        MaxSignalsDropped++;
        return false;
    }

    private RuleAlertCounts CountsOf(DetectionRule rule)
    {
        if (!_ruleCounts.TryGetValue(rule, out var counts))
        {
            counts = new RuleAlertCounts(rule.Descriptor);
            _ruleCounts.Add(rule, counts);
        }

        return counts;
    }

    private static void WriteRule(Utf8JsonWriter writer, DetectionRule detectionRule)
    {
        var rule = detectionRule.Descriptor;
        string ruleId = rule.RuleIdText;
        writer.WriteString("kibana.alert.rule.uuid", ruleId);
        writer.WriteString("kibana.alert.rule.rule_id", ruleId);
        writer.WriteString("kibana.alert.rule.name", rule.Name);
        writer.WriteString("kibana.alert.rule.description", rule.Description);
        writer.WriteString("kibana.alert.rule.severity", SeverityText(rule.Severity));
        writer.WriteNumber("kibana.alert.rule.risk_score", rule.RiskScore);
        writer.WriteString("kibana.alert.rule.type", rule.Type);
        var (ruleTypeId, category) = rule.Type switch
        {
            "eql" => ("siem.eqlRule", "Event Correlation Rule"),
            "threshold" => ("siem.thresholdRule", "Threshold Rule"),
            "new_terms" => ("siem.newTermsRule", "New Terms Rule"),
            "threat_match" => ("siem.indicatorRule", "Indicator Match Rule"),
            _ => ("siem." + rule.Type + "Rule", "Custom Query Rule"),
        };
        writer.WriteString("kibana.alert.rule.rule_type_id", ruleTypeId);
        writer.WriteString("kibana.alert.rule.category", category);
        writer.WriteString("kibana.alert.rule.producer", "siem");
        writer.WriteNumber("kibana.alert.rule.version", rule.Version);
        writer.WriteString("kibana.alert.rule.from", rule.From);
        writer.WriteString("kibana.alert.rule.interval", rule.Interval);
        writer.WriteNumber("kibana.alert.rule.max_signals", rule.MaxSignals);
        WriteStrings(writer, "kibana.alert.rule.tags", rule.Tags);
        WriteStrings(writer, "kibana.alert.rule.references", rule.References);
        WriteStrings(writer, "kibana.alert.rule.false_positives", rule.FalsePositives);
        WriteStrings(writer, "kibana.alert.rule.author", rule.Author);
        if (rule.License is not null)
        {
            writer.WriteString("kibana.alert.rule.license", rule.License);
        }

        if (rule.TimestampOverride is not null)
        {
            writer.WriteString("kibana.alert.rule.timestamp_override", rule.TimestampOverride);
        }

        if (rule.BuildingBlockType is not null)
        {
            writer.WriteString("kibana.alert.rule.building_block_type", rule.BuildingBlockType);
        }

        writer.WriteStartObject("kibana.alert.rule.parameters");
        writer.WriteString("type", rule.Type);
        writer.WriteString("language", rule.Language);
        writer.WriteString("query", rule.Query);
        WriteStrings(writer, "index", rule.Index);
        switch (detectionRule)
        {
            case Compiled.Runtime.Stateful.ThresholdRule threshold:
                threshold.Settings.WriteParameters(writer);
                break;
            case Compiled.Runtime.Stateful.NewTermsRule newTerms:
                newTerms.Settings.WriteParameters(writer);
                break;
            case Compiled.Runtime.Stateful.ThreatMatchRule threatMatch:
                threatMatch.Settings.WriteParameters(writer);
                break;
        }

        writer.WriteEndObject();
        writer.WriteStartArray("kibana.alert.rule.threat");
        foreach (var threat in rule.Threat)
        {
            writer.WriteStartObject();
            writer.WriteString("framework", threat.Framework);
            if (threat.Tactic is { } tactic)
            {
                writer.WritePropertyName("tactic");
                WriteEntry(writer, tactic);
            }

            writer.WriteStartArray("technique");
            foreach (var technique in threat.Techniques)
            {
                writer.WriteStartObject();
                writer.WriteString("id", technique.Id);
                writer.WriteString("name", technique.Name);
                writer.WriteString("reference", technique.Reference);
                writer.WriteStartArray("subtechnique");
                foreach (var subtechnique in technique.Subtechniques)
                {
                    WriteEntry(writer, subtechnique);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteEntry(Utf8JsonWriter writer, MitreEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("id", entry.Id);
        writer.WriteString("name", entry.Name);
        writer.WriteString("reference", entry.Reference);
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Copies the event's top-level fields into the alert, except those the alert sets itself. The
    /// event's <c>event</c> object is copied with <c>kind</c> set to <c>signal</c>, and returned raw for
    /// <c>kibana.alert.original_event</c>.
    /// </summary>
    private static byte[]? CopySourceFields(ReadOnlySpan<byte> source, Utf8JsonWriter writer)
    {
        byte[]? originalEvent = null;
        var fields = new Dictionary<string, (int Start, int End)>(StringComparer.Ordinal);
        var order = new List<string>();
        var reader = new Utf8JsonReader(source);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            long start = reader.TokenStartIndex;
            reader.Skip();

            // The scan host rejects an event with a duplicate key, as Elasticsearch does. Should one reach
            // the writer through another caller, the last value is kept.
            if (!fields.ContainsKey(name))
            {
                order.Add(name);
            }

            fields[name] = ((int)start, (int)reader.BytesConsumed);
        }

        foreach (var name in order)
        {
            var (start, end) = fields[name];
            var raw = source[start..end];
            if (name == "event")
            {
                // An "event" that is not an object cannot take event.kind, so the alert writes its own.
                if (raw.Length > 0 && raw[0] == (byte)'{')
                {
                    originalEvent = Compact(raw);
                    WriteSignalEvent(raw, writer);
                }

                continue;
            }

            if (name is "@timestamp" or "kibana" || name.StartsWith("kibana.", StringComparison.Ordinal) || name == "event.kind")
            {
                continue;
            }

            writer.WritePropertyName(name);
            WriteRawCompact(writer, raw);
        }

        if (originalEvent is null)
        {
            writer.WriteStartObject("event");
            writer.WriteString("kind", "signal");
            writer.WriteEndObject();
        }

        return originalEvent;
    }

    private static void WriteRawCompact(Utf8JsonWriter writer, ReadOnlySpan<byte> json)
    {
        if (json.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            writer.WriteRawValue(json, skipInputValidation: true);
        }
        else
        {
            writer.WriteRawValue(Compact(json), skipInputValidation: true);
        }
    }

    /// <summary>
    /// Returns a JSON value without line breaks, so a pretty-printed source event still gives one alert
    /// per line. White space outside strings is dropped only when the value has a line break; string
    /// contents stay byte for byte. A JSON string cannot contain a raw line break, so any is outside one.
    /// </summary>
    private static byte[] Compact(ReadOnlySpan<byte> json)
    {
        if (json.IndexOfAny((byte)'\n', (byte)'\r') < 0)
        {
            return json.ToArray();
        }

        var compact = new byte[json.Length];
        int length = 0;
        bool inString = false;
        bool escaped = false;
        foreach (byte b in json)
        {
            if (inString)
            {
                inString = escaped || b != (byte)'"';
                escaped = !escaped && b == (byte)'\\';
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }
            else
            {
                inString = b == (byte)'"';
            }

            compact[length++] = b;
        }

        return compact[..length];
    }

    private static void WriteSignalEvent(ReadOnlySpan<byte> eventObject, Utf8JsonWriter writer)
    {
        writer.WriteStartObject("event");
        var reader = new Utf8JsonReader(eventObject);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            long start = reader.TokenStartIndex;
            reader.Skip();
            if (name == "kind")
            {
                continue;
            }

            writer.WritePropertyName(name);
            WriteRawCompact(writer, eventObject[(int)start..(int)reader.BytesConsumed]);
        }

        writer.WriteString("kind", "signal");
        writer.WriteEndObject();
    }

    private static string Reason(RuleDescriptor rule, Group? group) => group switch
    {
        { BuildingBlock: true } g => $"event {g.Index + 1} of a sequence created {SeverityText(rule.Severity)} alert {rule.Name}.",
        { BuildingBlock: false } => $"sequence created {SeverityText(rule.Severity)} alert {rule.Name}.",
        _ => $"event created {SeverityText(rule.Severity)} alert {rule.Name}.",
    };

    private static string SeverityText(Severity severity) => severity switch
    {
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        _ => "critical",
    };

    /// <summary>Returns the event's <c>_id</c> when it has one at the top level, otherwise the SHA-256 of its JSON.</summary>
    internal static string EventId(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isId = reader.ValueTextEquals("_id"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString()!;
            }

            reader.Skip();
        }

        return Convert.ToHexStringLower(SHA256.HashData(json));
    }

    private static string Hash(params string[] parts)
    {
        var text = string.Join('\u001f', parts);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>A source event of an alert. <see cref="HitIndex"/> is the <c>_index</c> of its hit, or null.</summary>
    private readonly record struct Ancestor(string Id, string? HitIndex, string Source, long Line, long Element)
    {
        /// <summary>The index that <c>kibana.alert.ancestors</c> names: the hit's, else the input file.</summary>
        public string Index => HitIndex ?? Source;

        /// <summary>What alert ids hash for this event: its id, after its hit's index when it has one.</summary>
        public string Key => HitIndex is null ? Id : HitIndex + "\u001f" + Id;
    }

    private readonly record struct Group(string Id, int Index, bool BuildingBlock);
}
