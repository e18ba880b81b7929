using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Stateful;

/// <summary>A threshold rule's <c>threshold</c> table and schedule.</summary>
/// <param name="Fields">The group-by fields (<c>threshold.field</c>), possibly none.</param>
/// <param name="Slots">The schema slots of <paramref name="Fields"/>.</param>
/// <param name="Value">The number of events a group needs (<c>threshold.value</c>).</param>
/// <param name="CardinalityField">The field whose distinct values are counted, or null.</param>
/// <param name="CardinalitySlot">The slot of <paramref name="CardinalityField"/>, or -1.</param>
/// <param name="CardinalityValue">The number of distinct values a group needs.</param>
/// <param name="Schedule">When Kibana would run the rule, in event time.</param>
/// <param name="SuppressionDuration">The <c>alert_suppression.duration</c> in nanoseconds, or null.</param>
public sealed record ThresholdSettings(
    string[] Fields,
    int[] Slots,
    long Value,
    string? CardinalityField,
    int CardinalitySlot,
    long CardinalityValue,
    RuleSchedule Schedule,
    long? SuppressionDuration = null)
{
    /// <summary>
    /// Writes the <c>threshold</c> member of <c>kibana.alert.rule.parameters</c> as Kibana stores it: <c>field</c>
    /// always as an array, and <c>cardinality</c> only when the rule has one.
    /// </summary>
    public void WriteParameters(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("threshold");
        writer.WriteStartArray("field");
        foreach (var field in Fields)
        {
            writer.WriteStringValue(field);
        }

        writer.WriteEndArray();
        writer.WriteNumber("value", Value);
        if (CardinalityField is { } cardinalityField)
        {
            writer.WriteStartArray("cardinality");
            writer.WriteStartObject();
            writer.WriteString("field", cardinalityField);
            writer.WriteNumber("value", CardinalityValue);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }
}

/// <summary>
/// The base of generated threshold rules. Events that match the query are counted per combination of
/// the group-by fields' values (a multi-valued field puts the event in one bucket per value, and an event
/// missing a field in none). At each rule run of <see cref="RuleSchedule"/> in event time, a bucket whose
/// events within the look-back reach the threshold, and the cardinality condition if any, raises one alert.
/// As with Kibana's threshold signal history, the events a bucket already alerted on are not counted again.
/// </summary>
public abstract class ThresholdRule : TermStateRule
{
    private readonly ThresholdSettings _settings;
    private readonly Dictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Bucket>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly LinkedList<Bucket> _byLastUse = new();
    private readonly List<Bucket> _expired = [];
    private long _nextRun = long.MinValue;
    private long _lastTime;

    protected ThresholdRule(RuleDescriptor descriptor, ThresholdSettings settings)
        : base(
            descriptor,
            settings.Slots,
            settings.SuppressionDuration is { } duration ? new SuppressionSettings(settings.Fields, settings.Slots, duration, MissingFieldsStrategy.Suppress) : null,
            settings.Schedule)
    {
        _settings = settings;
        _lookup = _buckets.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public ThresholdSettings Settings => _settings;

    /// <summary>The number of buckets held.</summary>
    public int BucketCount => _buckets.Count;

    /// <summary>
    /// False even with alert suppression: a threshold rule already runs for every event of its categories,
    /// and its run schedule follows the times of the events it evaluates, which events of other categories would move.
    /// </summary>
    public override bool MayNeedEveryEvent => false;

    public override void Evaluate(EventRecord ev, IAlertSink sink)
    {
        if (!TryGetTime(ev, out long timestamp))
        {
            return;
        }

        RunUntil(timestamp, sink);
        Suppressor?.Advance(timestamp, sink);
        _lastTime = timestamp;
        if (!MatchQuery(ev))
        {
            return;
        }

        long combinations = Keys.CombinationCount(ev);
        for (long i = 0; i < combinations; i++)
        {
            var key = Keys.Combination(ev, i);
            if (!_lookup.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count >= MaxStateEntries && _byLastUse.First is { } oldest)
                {
                    Remove(oldest.Value);
                    Evictions++;
                }

                bucket = new Bucket(key.ToString());
                _buckets.Add(bucket.Key, bucket);
                bucket.Node = _byLastUse.AddLast(bucket);
            }
            else
            {
                _byLastUse.Remove(bucket.Node!);
                _byLastUse.AddLast(bucket.Node!);
            }

            bucket.Times.Add(timestamp);
            bucket.LastSource = ev.Source;
            bucket.LastLine = ev.LineNumber;
            bucket.LastElement = ev.ElementIndex;
            if (_settings.CardinalitySlot >= 0)
            {
                foreach (ref readonly var value in ev.Values(_settings.CardinalitySlot))
                {
                    var text = ev.Text(value);
                    var seen = bucket.Distinct ??= new Dictionary<string, long>(StringComparer.Ordinal);
                    var distinct = seen.GetAlternateLookup<ReadOnlySpan<char>>();
                    if (!distinct.ContainsKey(text))
                    {
                        seen[text.ToString()] = timestamp;
                    }
                    else
                    {
                        distinct[text] = timestamp;
                    }
                }
            }
        }
    }

    /// <summary>Runs the rule once more after the last event, so the last events are counted, and writes suppressed alerts.</summary>
    public override void Flush(IAlertSink sink)
    {
        if (_nextRun != long.MinValue)
        {
            RunUntil(_settings.Schedule.NextRunAfter(_lastTime), sink);
        }

        Suppressor?.Flush(sink);
    }

    private void RunUntil(long time, IAlertSink sink)
    {
        if (_nextRun == long.MinValue)
        {
            _nextRun = _settings.Schedule.NextRunAfter(time);
            return;
        }

        while (_nextRun <= time)
        {
            Run(_nextRun, sink);
            _nextRun = _buckets.Count == 0 ? _settings.Schedule.NextRunAfter(time) : _nextRun + _settings.Schedule.Interval;
        }
    }

    /// <summary>One rule run at <paramref name="runTime"/>, over the events from the look-back before it.</summary>
    private void Run(long runTime, IAlertSink sink)
    {
        long windowStart = runTime - _settings.Schedule.Lookback;
        foreach (var bucket in _byLastUse)
        {
            bucket.Prune(windowStart);
            long from = Math.Max(windowStart, bucket.LastSignal == long.MinValue ? long.MinValue : bucket.LastSignal + 1);
            int first = bucket.FirstAtOrAfter(from);
            int count = bucket.Times.Count - first;
            if (count > 0 && count >= _settings.Value)
            {
                long distinct = 0;
                if (_settings.CardinalitySlot >= 0 && bucket.Distinct is { } values)
                {
                    foreach (var seen in values.Values)
                    {
                        if (seen >= from)
                        {
                            distinct++;
                        }
                    }
                }

                if (_settings.CardinalitySlot < 0 || distinct >= _settings.CardinalityValue)
                {
                    long firstTime = bucket.Times[first];
                    long lastTime = bucket.Times[^1];
                    bucket.LastSignal = lastTime;
                    Raise(bucket, count, distinct, firstTime, lastTime, sink);
                }
            }

            if (bucket.Times.Count == bucket.Start && (bucket.LastSignal == long.MinValue || bucket.LastSignal < windowStart))
            {
                _expired.Add(bucket);
            }
        }

        foreach (var bucket in _expired)
        {
            Remove(bucket);
        }

        _expired.Clear();
    }

    /// <summary>
    /// Writes the alert of a bucket that reached the threshold. Its <c>compiled.source.*</c> fields name the
    /// last event the alert counts, whose time is the alert's <c>@timestamp</c>.
    /// </summary>
    private void Raise(Bucket bucket, long count, long distinct, long firstTime, long lastTime, IAlertSink sink)
    {
        string key = bucket.Key;
        var values = TermKey.Split(key, _settings.Fields.Length);
        var terms = new string[_settings.Fields.Length];
        for (int i = 0; i < terms.Length; i++)
        {
            terms[i] = values[i]![0];
        }

        string idKey = TermKey.FromValues(terms) + "\u001f" + Timestamps.Format(firstTime);
        string bucketId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Descriptor.RuleIdText + "\u001f" + idKey)));
        var source = new CapturedEvent(SourceDocument(terms, lastTime), lastTime, lastTime, bucket.LastSource, bucket.LastLine, bucket.LastElement);
        var alert = new StatefulAlert(source, lastTime, bucketId)
        {
            Fields = new ThresholdResult(_settings, terms, count, distinct, firstTime),
        };

        if (Suppressor is null)
        {
            sink.OnStatefulMatch(this, alert);
        }
        else if (!Suppressor.TryMerge(key, lastTime, sink))
        {
            Suppressor.Open(alert, sink);
        }
    }

    /// <summary>The document of a threshold alert: the group-by fields as nested objects, as Kibana writes them.</summary>
    private byte[] SourceDocument(string[] terms, long timestamp)
    {
        var root = new SortedDictionary<string, object>(StringComparer.Ordinal);
        for (int i = 0; i < terms.Length; i++)
        {
            var node = root;
            var parts = _settings.Fields[i].Split('.');
            for (int p = 0; p < parts.Length - 1; p++)
            {
                if (!node.TryGetValue(parts[p], out var child) || child is not SortedDictionary<string, object> table)
                {
                    table = new SortedDictionary<string, object>(StringComparer.Ordinal);
                    node[parts[p]] = table;
                }

                node = table;
            }

            node[parts[^1]] = terms[i];
        }

        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("@timestamp", Timestamps.Format(timestamp));
            WriteTable(writer, root);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void WriteTable(Utf8JsonWriter writer, SortedDictionary<string, object> table)
    {
        foreach (var (name, value) in table)
        {
            if (value is SortedDictionary<string, object> child)
            {
                writer.WriteStartObject(name);
                WriteTable(writer, child);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteString(name, (string)value);
            }
        }
    }

    private void Remove(Bucket bucket)
    {
        _buckets.Remove(bucket.Key);
        _byLastUse.Remove(bucket.Node!);
    }

    private sealed class Bucket(string key)
    {
        public string Key { get; } = key;

        /// <summary>The times of the bucket's events, ascending; those before <see cref="Start"/> have left the look-back.</summary>
        public List<long> Times { get; } = [];

        public int Start { get; private set; }

        /// <summary>The latest time of each distinct value of the cardinality field.</summary>
        public Dictionary<string, long>? Distinct { get; set; }

        /// <summary>The time of the last event an alert of this bucket counted, as Kibana's threshold signal history keeps it.</summary>
        public long LastSignal { get; set; } = long.MinValue;

        public LinkedListNode<Bucket>? Node { get; set; }

        /// <summary>The input of the last event added, for the alert's <c>compiled.source.file</c>.</summary>
        public string LastSource { get; set; } = string.Empty;

        /// <summary>The line of the last event added in <see cref="LastSource"/>.</summary>
        public long LastLine { get; set; }

        /// <summary>The array index of the last event added, or -1 when it is a line of its own.</summary>
        public long LastElement { get; set; } = -1;

        public int FirstAtOrAfter(long time)
        {
            int low = Start, high = Times.Count;
            while (low < high)
            {
                int middle = (low + high) >>> 1;
                if (Times[middle] < time)
                {
                    low = middle + 1;
                }
                else
                {
                    high = middle;
                }
            }

            return low;
        }

        public void Prune(long windowStart)
        {
            Start = FirstAtOrAfter(windowStart);
            if (Start > 1024 && Start * 2 > Times.Count)
            {
                Times.RemoveRange(0, Start);
                Start = 0;
            }

            if (Distinct is { } values)
            {
                List<string>? old = null;
                foreach (var (value, time) in values)
                {
                    if (time < windowStart)
                    {
                        (old ??= []).Add(value);
                    }
                }

                foreach (var value in old ?? [])
                {
                    values.Remove(value);
                }
            }
        }
    }
}

/// <summary>The <c>kibana.alert.threshold_result</c> of a threshold alert.</summary>
public sealed class ThresholdResult(ThresholdSettings settings, string[] terms, long count, long distinct, long from) : IAlertFields
{
    public long Count => count;

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("kibana.alert.threshold_result");
        writer.WriteStartArray("terms");
        for (int i = 0; i < terms.Length; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("field", settings.Fields[i]);
            writer.WriteString("value", terms[i]);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (settings.CardinalityField is { } field)
        {
            writer.WriteStartArray("cardinality");
            writer.WriteStartObject();
            writer.WriteString("field", field);
            writer.WriteNumber("value", distinct);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteNumber("count", count);
        writer.WriteString("from", Timestamps.Format(from));
        writer.WriteEndObject();
    }
}
