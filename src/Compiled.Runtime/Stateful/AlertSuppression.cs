using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Stateful;

/// <summary>What alert suppression does with an event that lacks a group-by field.</summary>
public enum MissingFieldsStrategy
{
    /// <summary>Events missing a field are grouped together, the missing field counting as one value.</summary>
    Suppress,

    /// <summary>Each event missing a field gets its own alert, without suppression.</summary>
    DoNotSuppress,
}

/// <summary>A rule's <c>alert_suppression</c> settings.</summary>
/// <param name="Fields">The group-by fields (for a threshold rule, its threshold fields).</param>
/// <param name="Slots">The schema slots of <paramref name="Fields"/>.</param>
/// <param name="MissingFields">What to do with an event that lacks a group-by field.</param>
/// <param name="Duration">How long a group stays open after its first alert, in nanoseconds; null to suppress per rule run.</param>
public sealed record SuppressionSettings(string[] Fields, int[] Slots, long? Duration, MissingFieldsStrategy MissingFields);

/// <summary>
/// Merges alerts that share the values of the group-by fields into the first one, as Kibana's alert
/// suppression does, and writes it with <c>kibana.alert.suppression.*</c> once its group closes: after the
/// suppression duration in event time, or without a duration at the end of the rule run (the next
/// <see cref="RuleSchedule"/> run time). The scan's end closes every group.
/// </summary>
public sealed class AlertSuppressor
{
    private readonly DetectionRule _rule;
    private readonly SuppressionSettings _settings;
    private readonly RuleSchedule _schedule;
    private readonly TermKey _keys;
    private readonly Dictionary<string, Group> _open = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Group>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly LinkedList<Group> _byClose = new();
    private string? _pendingKey;
    private long _pendingTime;

    public AlertSuppressor(DetectionRule rule, SuppressionSettings settings, RuleSchedule schedule)
    {
        _rule = rule;
        _settings = settings;
        _schedule = schedule;
        _keys = new TermKey(settings.Slots);
        _lookup = _open.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The number of open groups.</summary>
    public int OpenGroups => _open.Count;

    /// <summary>The time the first open group closes, or <see cref="long.MaxValue"/> when none is open.</summary>
    public long NextClose => _byClose.First is { } first ? first.Value.Closes : long.MaxValue;

    /// <summary>Groups closed early because of <see cref="DetectionRule.MaxStateEntries"/>.</summary>
    public long Evictions { get; private set; }

    /// <summary>Writes the groups whose window ended at or before <paramref name="time"/>.</summary>
    public void Advance(long time, IAlertSink sink)
    {
        while (_byClose.First is { } first && first.Value.Closes <= time)
        {
            Close(first.Value, sink);
        }
    }

    /// <summary>
    /// Merges a matching event into the open group of its group-by values and returns true, or returns false
    /// when the caller is to build the event's alert and pass it to <see cref="Open"/>: the first event of a
    /// group, or an event missing a field under <see cref="MissingFieldsStrategy.DoNotSuppress"/>, whose
    /// alert is written at once.
    /// </summary>
    /// <param name="ev">The matching event.</param>
    /// <param name="timestamp">The event's time, in nanoseconds since the epoch.</param>
    /// <param name="sink">Receives the groups that close at or before <paramref name="timestamp"/>.</param>
    /// <param name="countsDocument">
    /// False for the second and later alerts of one event, such as the further new terms of a new_terms
    /// event: <c>kibana.alert.suppression.docs_count</c> counts the suppressed documents, not alerts.
    /// </param>
    public bool TryMerge(EventRecord ev, long timestamp, IAlertSink sink, bool countsDocument = true)
    {
        bool complete = _keys.AllValues(ev);
        if (!complete && _settings.MissingFields == MissingFieldsStrategy.DoNotSuppress)
        {
            Advance(timestamp, sink);
            _pendingKey = null;
            return false;
        }

        return TryMerge(_keys.Current, timestamp, sink, countsDocument);
    }

    /// <summary>As <see cref="TryMerge(EventRecord, long, IAlertSink, bool)"/>, for a key built by <see cref="TermKey"/> over the settings' fields.</summary>
    public bool TryMerge(ReadOnlySpan<char> key, long timestamp, IAlertSink sink, bool countsDocument = true)
    {
        Advance(timestamp, sink);
        if (_lookup.TryGetValue(key, out var group))
        {
            if (countsDocument)
            {
                group.DocsCount++;
            }

            group.End = Math.Max(group.End, timestamp);
            return true;
        }

        _pendingKey = key.ToString();
        _pendingTime = timestamp;
        return false;
    }

    /// <summary>Opens a group with the alert of the event <see cref="TryMerge(EventRecord, long, IAlertSink, bool)"/> did not merge.</summary>
    public void Open(StatefulAlert alert, IAlertSink sink)
    {
        if (_pendingKey is not { } key)
        {
            sink.OnStatefulMatch(_rule, alert);
            return;
        }

        _pendingKey = null;
        if (_open.Count >= _rule.MaxStateEntries && _byClose.First is { } closesFirst)
        {
            Evictions++;
            Close(closesFirst.Value, sink);
        }

        long closes = _settings.Duration is { } duration ? _pendingTime + duration : _schedule.NextRunAfter(_pendingTime);
        var opened = new Group(key, alert, _pendingTime, closes);
        _open.Add(key, opened);

        // A group opened by a late event can close before groups opened earlier, and Advance closes groups from
        // the front, so the list stays in order of closing time. Most groups go at the end.
        var before = _byClose.Last;
        while (before is not null && before.Value.Closes > closes)
        {
            before = before.Previous;
        }

        opened.Node = before is null ? _byClose.AddFirst(opened) : _byClose.AddAfter(before, opened);
    }

    /// <summary>Writes every open group, at the end of the input.</summary>
    public void Flush(IAlertSink sink)
    {
        while (_byClose.First is { } first)
        {
            Close(first.Value, sink);
        }
    }

    private void Close(Group group, IAlertSink sink)
    {
        _byClose.Remove(group.Node!);
        _open.Remove(group.Key);
        var terms = TermKey.Split(group.Key, _settings.Fields.Length);
        group.Alert.Suppression = new SuppressionFields(_settings.Fields, terms, group.Start, group.End, group.DocsCount);
        sink.OnStatefulMatch(_rule, group.Alert);
    }

    private sealed class Group(string key, StatefulAlert alert, long start, long closes)
    {
        public string Key { get; } = key;

        public StatefulAlert Alert { get; } = alert;

        public long Start { get; } = start;

        public long Closes { get; } = closes;

        public long End { get; set; } = start;

        public long DocsCount { get; set; }

        public LinkedListNode<Group>? Node { get; set; }
    }
}

/// <summary>The <c>kibana.alert.suppression.*</c> fields of a suppressed alert.</summary>
public sealed class SuppressionFields(string[] fields, string[]?[] values, long start, long end, long docsCount) : IAlertFields
{
    /// <summary>The number of documents merged into the alert, beside the one it shows. An event that raised several alerts counts once.</summary>
    public long DocsCount => docsCount;

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("kibana.alert.suppression.terms");
        for (int i = 0; i < fields.Length; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("field", fields[i]);
            if (values[i] is { } list)
            {
                writer.WriteStartArray("value");
                foreach (var value in list)
                {
                    writer.WriteStringValue(value);
                }

                writer.WriteEndArray();
            }
            else
            {
                writer.WriteNull("value");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteString("kibana.alert.suppression.start", Timestamps.Format(start));
        writer.WriteString("kibana.alert.suppression.end", Timestamps.Format(end));
        writer.WriteNumber("kibana.alert.suppression.docs_count", docsCount);
    }
}
