using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Hosting;
using Compiled.Runtime.Matching;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Stateful;

/// <summary>One entry of a <c>threat_mapping</c>: an event field that must equal an indicator field.</summary>
/// <param name="Field">The event field.</param>
/// <param name="FieldSlot">The schema slot of <paramref name="Field"/>.</param>
/// <param name="IndicatorField">The indicator field, such as <c>threat.indicator.file.hash.md5</c>.</param>
/// <param name="IndicatorSlot">The schema slot of <paramref name="IndicatorField"/>.</param>
/// <param name="Negate">True for an entry that must not match.</param>
/// <param name="Ip">
/// True when <paramref name="Field"/> has the <c>ip</c> type. Values then compare as addresses, as Elasticsearch's
/// terms query on that field does, and an indicator value that is not an address matches nothing.
/// </param>
public sealed record ThreatMappingEntry(string Field, int FieldSlot, string IndicatorField, int IndicatorSlot, bool Negate = false, bool Ip = false);

/// <summary>
/// A threat_match rule's mappings (entries of one mapping must all match; any mapping may), indicator path
/// and the indicator keys that alerts report in <c>kibana.alert.rule.parameters</c>.
/// </summary>
/// <param name="Mappings">The <c>threat_mapping</c>.</param>
/// <param name="IndicatorPath">The <c>threat_indicator_path</c>.</param>
/// <param name="Schedule">When Kibana would run the rule, in event time.</param>
/// <param name="Suppression">The rule's <c>alert_suppression</c>, or null.</param>
/// <param name="ThreatIndex">The <c>threat_index</c> patterns, or null for none.</param>
/// <param name="ThreatQuery">The <c>threat_query</c> text, or null when the rule has none.</param>
/// <param name="ThreatLanguage">The <c>threat_language</c>, or null when the rule has none.</param>
/// <param name="ThreatFilters">The <c>threat_filters</c> array as JSON text, or null when the rule has none.</param>
public sealed record ThreatMatchSettings(
    ThreatMappingEntry[][] Mappings,
    string IndicatorPath,
    RuleSchedule Schedule,
    SuppressionSettings? Suppression = null,
    string[]? ThreatIndex = null,
    string? ThreatQuery = null,
    string? ThreatLanguage = null,
    string? ThreatFilters = null)
{
    /// <summary>
    /// Writes the threat_match members of <c>kibana.alert.rule.parameters</c> as Kibana stores them:
    /// <c>threat_mapping</c>, <c>threat_index</c> and <c>threat_indicator_path</c> always, and
    /// <c>threat_query</c>, <c>threat_language</c> and <c>threat_filters</c> when the rule sets them.
    /// An entry's <c>negate</c> is written only when true.
    /// </summary>
    public void WriteParameters(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("threat_mapping");
        foreach (var mapping in Mappings)
        {
            writer.WriteStartObject();
            writer.WriteStartArray("entries");
            foreach (var entry in mapping)
            {
                writer.WriteStartObject();
                writer.WriteString("field", entry.Field);
                writer.WriteString("type", "mapping");
                writer.WriteString("value", entry.IndicatorField);
                if (entry.Negate)
                {
                    writer.WriteBoolean("negate", true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("threat_index");
        foreach (var index in ThreatIndex ?? [])
        {
            writer.WriteStringValue(index);
        }

        writer.WriteEndArray();
        if (ThreatQuery is not null)
        {
            writer.WriteString("threat_query", ThreatQuery);
        }

        if (ThreatLanguage is not null)
        {
            writer.WriteString("threat_language", ThreatLanguage);
        }

        writer.WriteString("threat_indicator_path", IndicatorPath);
        if (ThreatFilters is not null)
        {
            writer.WritePropertyName("threat_filters");
            writer.WriteRawValue(ThreatFilters);
        }
    }
}

/// <summary>What <see cref="ThreatMatchRule.LoadIndicators"/> read.</summary>
public sealed class IndicatorLoadResult
{
    /// <summary>Indicator documents kept.</summary>
    public int Loaded { get; internal set; }

    /// <summary>Documents the rule's threat_query or threat_filters left out.</summary>
    public int Filtered { get; internal set; }

    /// <summary>Lines that are not indicator documents, with their line number and reason.</summary>
    public List<(long Line, string Reason)> Rejected { get; } = [];
}

/// <summary>
/// The base of generated threat_match (indicator match) rules. Indicator documents are loaded from NDJSON,
/// kept when they match the rule's threat query, and indexed by the value of each mapping's first field.
/// An event that matches the rule's query raises one alert when any mapping matches an indicator: every
/// entry of the mapping finds the event field's value among the indicator field's values (an exact,
/// case-sensitive comparison, as a term query on a keyword field). The alert's <c>threat.enrichments</c>
/// holds one entry per matched indicator and field, as Kibana writes it.
/// </summary>
public abstract class ThreatMatchRule : DetectionRule
{
    private readonly ThreatMatchSettings _settings;
    private readonly FieldSchema _schema;
    private readonly Dictionary<string, List<Indicator>>.AlternateLookup<ReadOnlySpan<char>>[] _indexes;
    private readonly int[] _indexedEntry;
    private readonly AlertSuppressor? _suppressor;
    private int _indicatorCount;

    protected ThreatMatchRule(RuleDescriptor descriptor, FieldSchema schema, ThreatMatchSettings settings)
        : base(descriptor)
    {
        _settings = settings;
        _schema = schema;
        _indexes = new Dictionary<string, List<Indicator>>.AlternateLookup<ReadOnlySpan<char>>[settings.Mappings.Length];
        _indexedEntry = new int[settings.Mappings.Length];
        for (int i = 0; i < settings.Mappings.Length; i++)
        {
            _indexes[i] = new Dictionary<string, List<Indicator>>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
            _indexedEntry[i] = Array.FindIndex(settings.Mappings[i], entry => !entry.Negate);
        }

        if (settings.Suppression is { } suppression)
        {
            _suppressor = new AlertSuppressor(this, suppression, settings.Schedule);
        }
    }

    public ThreatMatchSettings Settings => _settings;

    /// <summary>The number of indicators loaded.</summary>
    public int IndicatorCount => _indicatorCount;

    public override long StateEvictions => _suppressor?.Evictions ?? 0;

    public override bool MayNeedEveryEvent => _suppressor is not null;

    /// <summary>The time the first open suppression group closes.</summary>
    public override long NextDueTime => _suppressor?.NextClose ?? long.MaxValue;

    protected abstract bool MatchQuery(EventRecord ev);

    /// <summary>The rule's threat_query and threat_filters, applied to each indicator document.</summary>
    protected virtual bool MatchIndicator(EventRecord indicator) => true;

    protected abstract bool TryGetTime(EventRecord ev, out long timestamp);

    /// <summary>
    /// Loads indicator documents, one JSON object per line: a document itself, or a search hit with
    /// <c>_id</c>, <c>_index</c> and <c>_source</c>. A document without <c>_id</c> is identified by the SHA-256
    /// of its text, and without <c>_index</c> by <paramref name="sourceName"/>.
    /// </summary>
    public IndicatorLoadResult LoadIndicators(Stream input, string sourceName)
    {
        var result = new IndicatorLoadResult();
        var decoder = new EventDecoder(_schema);
        var record = new EventRecord(_schema);
        var lines = new LineReader(input, ScanEngine.DefaultMaxLineBytes);
        while (lines.TryReadLine(out var line, out bool tooLong))
        {
            if (tooLong)
            {
                result.Rejected.Add((lines.LineNumber, "line too long"));
                continue;
            }

            if (line.Span.Trim(" \t\r"u8).IsEmpty)
            {
                continue;
            }

            byte[] source;
            string? id = null;
            string? index = null;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    result.Rejected.Add((lines.LineNumber, "the line is not a JSON object"));
                    continue;
                }

                if (root.TryGetProperty("_source", out var hitSource) && hitSource.ValueKind == JsonValueKind.Object)
                {
                    source = Encoding.UTF8.GetBytes(hitSource.GetRawText());
                    id = root.TryGetProperty("_id", out var hitId) && hitId.ValueKind == JsonValueKind.String ? hitId.GetString() : null;
                    index = root.TryGetProperty("_index", out var hitIndex) && hitIndex.ValueKind == JsonValueKind.String ? hitIndex.GetString() : null;
                }
                else
                {
                    source = line.ToArray();
                }
            }
            catch (JsonException error)
            {
                result.Rejected.Add((lines.LineNumber, "invalid JSON: " + error.Message));
                continue;
            }

            if (decoder.Decode(source, record) is { } problem)
            {
                result.Rejected.Add((lines.LineNumber, problem));
                continue;
            }

            if (!MatchIndicator(record))
            {
                result.Filtered++;
                continue;
            }

            var indicator = new Indicator(
                id ?? AlertWriter.EventId(source),
                index ?? sourceName,
                IndicatorObject(source, _settings.IndicatorPath));
            foreach (var mapping in _settings.Mappings)
            {
                foreach (var entry in mapping)
                {
                    if (!indicator.Values.ContainsKey(entry.IndicatorSlot))
                    {
                        var values = new List<string>();
                        foreach (ref readonly var value in record.Values(entry.IndicatorSlot))
                        {
                            values.Add(record.Text(value).ToString());
                        }

                        indicator.Values[entry.IndicatorSlot] = [.. values];
                    }

                    if (entry.Ip && !indicator.Addresses.ContainsKey(entry.IndicatorSlot))
                    {
                        indicator.Addresses[entry.IndicatorSlot] = Array.ConvertAll(indicator.Values[entry.IndicatorSlot], ParseAddress);
                    }
                }
            }

            for (int m = 0; m < _settings.Mappings.Length; m++)
            {
                if (_indexedEntry[m] < 0)
                {
                    continue;
                }

                var dictionary = _indexes[m].Dictionary;
                var indexed = _settings.Mappings[m][_indexedEntry[m]];
                var keys = indexed.Ip
                    ? Array.ConvertAll(indicator.Addresses[indexed.IndicatorSlot], address => address is { } bits ? AddressKey(bits) : null)
                    : indicator.Values[indexed.IndicatorSlot];
                foreach (var value in keys)
                {
                    if (value is null)
                    {
                        continue;
                    }

                    if (!dictionary.TryGetValue(value, out var list))
                    {
                        dictionary[value] = list = [];
                    }

                    if (list.Count == 0 || !ReferenceEquals(list[^1], indicator))
                    {
                        list.Add(indicator);
                    }
                }
            }

            _indicatorCount++;
            result.Loaded++;
        }

        return result;
    }

    public override void Evaluate(EventRecord ev, IAlertSink sink)
    {
        if (!TryGetTime(ev, out long timestamp))
        {
            return;
        }

        _suppressor?.Advance(timestamp, sink);
        if (_indicatorCount == 0 || !MatchQuery(ev))
        {
            return;
        }

        List<Enrichment>? found = null;
        Span<char> addressKey = stackalloc char[AddressKeyLength];
        for (int m = 0; m < _settings.Mappings.Length; m++)
        {
            int indexed = _indexedEntry[m];
            if (indexed < 0)
            {
                continue;
            }

            var mapping = _settings.Mappings[m];
            bool ip = mapping[indexed].Ip;
            foreach (ref readonly var value in ev.Values(mapping[indexed].FieldSlot))
            {
                scoped ReadOnlySpan<char> text = ev.Text(value);
                if (ip)
                {
                    if (!IPAddressBits.TryParse(text, out var address, out _) || !address.TryFormat(addressKey, out _, "x32", CultureInfo.InvariantCulture))
                    {
                        continue;
                    }

                    text = addressKey;
                }

                if (!_indexes[m].TryGetValue(text, out var candidates))
                {
                    continue;
                }

                foreach (var indicator in candidates)
                {
                    if (Matches(ev, mapping, indicator))
                    {
                        found ??= [];
                        AddEnrichments(ev, mapping, indicator, found);
                    }
                }
            }
        }

        if (found is null)
        {
            return;
        }

        if (_suppressor is not null && _suppressor.TryMerge(ev, timestamp, sink))
        {
            return;
        }

        // Enrich returns a copy with threat.enrichments added, so the alert id comes from the event as read.
        string? hitId = ev.GetHitId();
        var alert = new StatefulAlert(Enrich(ev, timestamp, found), timestamp, hitId ?? AlertWriter.EventId(ev.Json.Span));
        if (_suppressor is null)
        {
            sink.OnStatefulMatch(this, alert);
        }
        else
        {
            _suppressor.Open(alert, sink);
        }
    }

    public override void Flush(IAlertSink sink) => _suppressor?.Flush(sink);

    private static bool Matches(EventRecord ev, ThreatMappingEntry[] mapping, Indicator indicator)
    {
        foreach (var entry in mapping)
        {
            if (FirstShared(ev, entry, indicator) is null != entry.Negate)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Returns the first value of the indicator field, as the indicator has it, that equals a value of the entry's
    /// event field, or null. An <c>ip</c> entry compares addresses, so <c>2001:DB8::1</c> equals <c>2001:db8::1</c>.
    /// </summary>
    private static string? FirstShared(EventRecord ev, ThreatMappingEntry entry, Indicator indicator)
    {
        var values = indicator.Values[entry.IndicatorSlot];
        foreach (ref readonly var value in ev.Values(entry.FieldSlot))
        {
            var text = ev.Text(value);
            if (entry.Ip)
            {
                if (!IPAddressBits.TryParse(text, out var address, out _))
                {
                    continue;
                }

                var addresses = indicator.Addresses[entry.IndicatorSlot];
                for (int i = 0; i < addresses.Length; i++)
                {
                    if (addresses[i] == address)
                    {
                        return values[i];
                    }
                }

                continue;
            }

            foreach (var candidate in values)
            {
                if (text.SequenceEqual(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static void AddEnrichments(EventRecord ev, ThreatMappingEntry[] mapping, Indicator indicator, List<Enrichment> found)
    {
        foreach (var entry in mapping)
        {
            if (entry.Negate || FirstShared(ev, entry, indicator) is not { } atomic)
            {
                continue;
            }

            var enrichment = new Enrichment(indicator, entry.Field, atomic);
            if (!found.Contains(enrichment))
            {
                found.Add(enrichment);
            }
        }
    }

    /// <summary>Copies the event with <c>threat.enrichments</c> added after any it already has.</summary>
    private static CapturedEvent Enrich(EventRecord ev, long timestamp, List<Enrichment> found)
    {
        var root = JsonNode.Parse(ev.Json.Span)!.AsObject();
        if (root["threat"] is not JsonObject threat)
        {
            threat = new JsonObject();
            root["threat"] = threat;
        }

        if (threat["enrichments"] is not JsonArray enrichments)
        {
            enrichments = new JsonArray();
            threat["enrichments"] = enrichments;
        }

        foreach (var enrichment in found)
        {
            enrichments.Add(new JsonObject
            {
                ["indicator"] = JsonNode.Parse(enrichment.Indicator.IndicatorJson),
                ["matched"] = new JsonObject
                {
                    ["atomic"] = enrichment.Atomic,
                    ["field"] = enrichment.Field,
                    ["id"] = enrichment.Indicator.Id,
                    ["index"] = enrichment.Indicator.Index,
                    ["type"] = "indicator_match_rule",
                },
            });
        }

        byte[] json = Encoding.UTF8.GetBytes(root.ToJsonString());
        return new CapturedEvent(json, timestamp, CapturedEvent.OriginalTimeOf(ev, timestamp), ev.Source, ev.LineNumber, ev.ElementIndex)
        {
            HitId = ev.GetHitId(),
            HitIndex = ev.GetHitIndex(),
        };
    }

    /// <summary>Returns the object at <paramref name="path"/> (nested objects or dotted keys), or an empty object.</summary>
    private static string IndicatorObject(byte[] source, string path)
    {
        using var document = JsonDocument.Parse(source);
        return Find(document.RootElement, path) is { } found ? found.GetRawText() : "{}";
    }

    private static JsonElement? Find(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (element.TryGetProperty(path, out var whole))
        {
            return whole;
        }

        for (int dot = path.IndexOf('.'); dot > 0; dot = path.IndexOf('.', dot + 1))
        {
            if (element.TryGetProperty(path[..dot], out var child) && Find(child, path[(dot + 1)..]) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The length of <see cref="AddressKey"/>: 32 hexadecimal digits.</summary>
    private const int AddressKeyLength = 32;

    /// <summary>Returns the index key of an address: its 128 bits as 32 hexadecimal digits, one text for every spelling.</summary>
    private static string AddressKey(UInt128 address) => address.ToString("x32", CultureInfo.InvariantCulture);

    private static UInt128? ParseAddress(string text) => IPAddressBits.TryParse(text, out var address, out _) ? address : null;

    private sealed class Indicator(string id, string index, string indicatorJson)
    {
        public string Id { get; } = id;

        public string Index { get; } = index;

        public string IndicatorJson { get; } = indicatorJson;

        public Dictionary<int, string[]> Values { get; } = [];

        /// <summary>For the indicator slots of <c>ip</c> entries, each value of <see cref="Values"/> as an address, or null when it is not one.</summary>
        public Dictionary<int, UInt128?[]> Addresses { get; } = [];
    }

    private readonly record struct Enrichment(Indicator Indicator, string Field, string Atomic);
}
