using System.Text.Json;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Stateful;

/// <summary>A new_terms rule's fields and history window.</summary>
/// <param name="Fields">One to three fields (<c>new_terms.value</c>).</param>
/// <param name="Slots">The schema slots of <paramref name="Fields"/>.</param>
/// <param name="HistoryWindow">The length of <c>history_window_start</c> (<c>now-14d</c> is 14 days), in nanoseconds.</param>
/// <param name="Schedule">When Kibana would run the rule, in event time.</param>
/// <param name="Suppression">The rule's <c>alert_suppression</c>, or null.</param>
/// <param name="HistoryWindowStart">The <c>history_window_start</c> text, such as <c>now-14d</c>, or null to leave it out of alerts.</param>
public sealed record NewTermsSettings(
    string[] Fields,
    int[] Slots,
    long HistoryWindow,
    RuleSchedule Schedule,
    SuppressionSettings? Suppression = null,
    string? HistoryWindowStart = null)
{
    /// <summary>
    /// Writes the new_terms members of <c>kibana.alert.rule.parameters</c> as Kibana stores them:
    /// <c>new_terms_fields</c> and <c>history_window_start</c>.
    /// </summary>
    public void WriteParameters(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("new_terms_fields");
        foreach (var field in Fields)
        {
            writer.WriteStringValue(field);
        }

        writer.WriteEndArray();
        if (HistoryWindowStart is not null)
        {
            writer.WriteString("history_window_start", HistoryWindowStart);
        }
    }
}

/// <summary>
/// The base of generated new_terms rules. An event that matches the query raises an alert for each
/// combination of its fields' values (every combination when fields hold arrays) that was not seen within
/// the history window before it, in event time; an event missing a field has no terms. Seen terms are kept
/// with the time they were last seen and dropped once older than the history window, oldest first, and
/// <see cref="DetectionRule.MaxStateEntries"/> bounds their number.
/// </summary>
/// <remarks>
/// Kibana compares each run's look-back with the history window before it; replaying the events in time
/// order, a term is new when its previous sighting is older than the window, so each term alerts once
/// when it first appears and again only after a full window without it. The history starts empty at the
/// start of the input, as it does in Kibana for an index without older events.
/// </remarks>
public abstract class NewTermsRule : TermStateRule
{
    private readonly NewTermsSettings _settings;
    private readonly Dictionary<string, LinkedListNode<Seen>> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LinkedListNode<Seen>>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly LinkedList<Seen> _byLastSeen = new();

    protected NewTermsRule(RuleDescriptor descriptor, NewTermsSettings settings)
        : base(descriptor, settings.Slots, settings.Suppression, settings.Schedule)
    {
        _settings = settings;
        _lookup = _seen.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public NewTermsSettings Settings => _settings;

    /// <summary>The number of terms remembered.</summary>
    public int TermCount => _seen.Count;

    public override void Evaluate(EventRecord ev, IAlertSink sink)
    {
        if (!TryGetTime(ev, out long timestamp))
        {
            return;
        }

        Suppressor?.Advance(timestamp, sink);
        long horizon = timestamp - _settings.HistoryWindow;
        while (_byLastSeen.First is { } oldest && oldest.Value.LastSeen < horizon)
        {
            _byLastSeen.RemoveFirst();
            _seen.Remove(oldest.Value.Key);
        }

        if (!MatchQuery(ev))
        {
            return;
        }

        long combinations = Keys.CombinationCount(ev);
        bool raised = false;
        for (long i = 0; i < combinations; i++)
        {
            var key = Keys.Combination(ev, i);
            if (_lookup.TryGetValue(key, out var node))
            {
                node.Value.LastSeen = timestamp;
                _byLastSeen.Remove(node);
                _byLastSeen.AddLast(node);
                continue;
            }

            if (_seen.Count >= MaxStateEntries && _byLastSeen.First is { } first)
            {
                _byLastSeen.RemoveFirst();
                _seen.Remove(first.Value.Key);
                Evictions++;
            }

            var seen = new Seen(key.ToString(), timestamp);
            _seen.Add(seen.Key, _byLastSeen.AddLast(seen));
            Raise(ev, timestamp, seen.Key, sink, countsDocument: !raised);
            raised = true;
        }
    }

    public override void Flush(IAlertSink sink) => Suppressor?.Flush(sink);

    private void Raise(EventRecord ev, long timestamp, string key, IAlertSink sink, bool countsDocument)
    {
        if (Suppressor is not null && Suppressor.TryMerge(ev, timestamp, sink, countsDocument))
        {
            return;
        }

        var values = TermKey.Split(key, _settings.Fields.Length);
        var terms = new string[values.Length];
        for (int i = 0; i < terms.Length; i++)
        {
            terms[i] = values[i]![0];
        }

        var alert = new StatefulAlert(CapturedEvent.From(ev, timestamp), timestamp, null)
        {
            IdDiscriminator = string.Join('\u001f', terms),
            Fields = new NewTermsFields(terms),
        };

        if (Suppressor is null)
        {
            sink.OnStatefulMatch(this, alert);
        }
        else
        {
            Suppressor.Open(alert, sink);
        }
    }

    private sealed class Seen(string key, long lastSeen)
    {
        public string Key { get; } = key;

        public long LastSeen { get; set; } = lastSeen;
    }
}

/// <summary>The <c>kibana.alert.new_terms</c> field: the new values, in the order of the rule's fields.</summary>
public sealed class NewTermsFields(string[] terms) : IAlertFields
{
    public IReadOnlyList<string> Terms => terms;

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartArray("kibana.alert.new_terms");
        foreach (var term in terms)
        {
            writer.WriteStringValue(term);
        }

        writer.WriteEndArray();
    }
}
