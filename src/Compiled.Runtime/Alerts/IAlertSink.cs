using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Alerts;

/// <summary>Receives the matches of compiled rules.</summary>
public interface IAlertSink
{
    /// <summary>A single-event rule matched <paramref name="ev"/>, whose time is <paramref name="timestamp"/>.</summary>
    void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp);

    /// <summary>A sequence rule completed with <paramref name="events"/>, in stage order.</summary>
    void OnSequenceMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events);

    /// <summary>
    /// A sample rule found <paramref name="events"/>, one per filter in filter order, sharing
    /// <paramref name="joinKey"/>, whose ordinal order sorts samples as Elasticsearch returns them.
    /// By default it is reported like a sequence.
    /// </summary>
    void OnSampleMatch(DetectionRule rule, ReadOnlySpan<CapturedEvent> events, string joinKey) => OnSequenceMatch(rule, events);

    /// <summary>
    /// A threshold, new_terms or threat_match rule raised <paramref name="alert"/>, or alert suppression
    /// closed a group. By default it is reported like a one-event sequence of its source document.
    /// </summary>
    void OnStatefulMatch(DetectionRule rule, Compiled.Runtime.Stateful.StatefulAlert alert) => OnSequenceMatch(rule, [alert.Source]);
}

/// <summary>A copy of an event kept beyond its line, for sequences that complete later.</summary>
public sealed class CapturedEvent
{
    public CapturedEvent(byte[] json, long timestamp, long originalTime, string source, long lineNumber, long elementIndex = -1)
    {
        ElementIndex = elementIndex;
        Json = json;
        Timestamp = timestamp;
        OriginalTime = originalTime;
        Source = source;
        LineNumber = lineNumber;
    }

    public byte[] Json { get; }

    /// <summary>The event time by the rule's timestamp field, in nanoseconds since the Unix epoch.</summary>
    public long Timestamp { get; }

    /// <summary>The event's <c>@timestamp</c> (the rule's time when it has none), which alerts report as the original time.</summary>
    public long OriginalTime { get; }

    public string Source { get; }

    public long LineNumber { get; }

    /// <summary>The event's index in a JSON array or in a response's hits, or -1 when it is a line of its own.</summary>
    public long ElementIndex { get; }

    /// <summary>The <c>_id</c> of the search hit or bulk action that carried the event, or null.</summary>
    public string? HitId { get; init; }

    /// <summary>The <c>_index</c> of the search hit or bulk action that carried the event, or null.</summary>
    public string? HitIndex { get; init; }

    public static CapturedEvent From(EventRecord ev, long timestamp) =>
        new(ev.Json.ToArray(), timestamp, OriginalTimeOf(ev, timestamp), ev.Source, ev.LineNumber, ev.ElementIndex)
        {
            HitId = ev.GetHitId(),
            HitIndex = ev.GetHitIndex(),
        };

    /// <summary>Returns the event's <c>@timestamp</c>, or <paramref name="timestamp"/> when it has none.</summary>
    public static long OriginalTimeOf(EventRecord ev, long timestamp) =>
        ev.TryGetTimestamp(ev.Schema.TimestampSlots[0], out long original) ? original : timestamp;
}
