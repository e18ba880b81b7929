using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Alerts;

/// <summary>Receives the matches of compiled rules.</summary>
public interface IAlertSink
{
    /// <summary>
    /// A single-event rule matched <paramref name="ev"/>, whose time is <paramref name="timestamp"/>. The host reuses
    /// the record after the call, so a sink that keeps the event keeps <see cref="CapturedEvent.From"/>.
    /// </summary>
    void OnEventMatch(DetectionRule rule, EventRecord ev, long timestamp);

    /// <summary>
    /// A sequence rule completed with <paramref name="events"/>, in stage order. The matcher reuses the events after
    /// the call, so a sink that keeps one keeps its <see cref="CapturedEvent.Copy"/>.
    /// </summary>
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

/// <summary>
/// A copy of an event kept beyond its line, for sequences that complete later. Sequence matchers reuse their
/// copies once no pending sequence refers to them, so a sink must not keep a sequence's events past its call.
/// <see cref="Copy"/> returns a copy that stays.
/// </summary>
public sealed class CapturedEvent
{
    // The event's JSON, then the raw _id token of its hit, then the raw _index token; reused by a CapturedEventPool.
    private byte[] _data;
    private int _jsonLength;
    private int _idLength;
    private int _indexLength;
    private string? _hitId;
    private string? _hitIndex;

    public CapturedEvent(byte[] json, long timestamp, long originalTime, string source, long lineNumber, long elementIndex = -1)
    {
        _data = json;
        _jsonLength = json.Length;
        ElementIndex = elementIndex;
        Timestamp = timestamp;
        OriginalTime = originalTime;
        Source = source;
        LineNumber = lineNumber;
    }

    public ReadOnlyMemory<byte> Json => new(_data, 0, _jsonLength);

    /// <summary>The event time by the rule's timestamp field, in nanoseconds since the Unix epoch.</summary>
    public long Timestamp { get; private set; }

    /// <summary>The event's <c>@timestamp</c> (the rule's time when it has none), which alerts report as the original time.</summary>
    public long OriginalTime { get; private set; }

    public string Source { get; private set; }

    public long LineNumber { get; private set; }

    /// <summary>The event's index in a JSON array or in a response's hits, or -1 when it is a line of its own.</summary>
    public long ElementIndex { get; private set; }

    /// <summary>The <c>_id</c> of the search hit or bulk action that carried the event, or null.</summary>
    public string? HitId
    {
        get => _hitId ??= EventRecord.DecodeJsonString(_data.AsSpan(_jsonLength, _idLength));
        init => _hitId = value;
    }

    /// <summary>The <c>_index</c> of the search hit or bulk action that carried the event, or null.</summary>
    public string? HitIndex
    {
        get => _hitIndex ??= EventRecord.DecodeJsonString(_data.AsSpan(_jsonLength + _idLength, _indexLength));
        init => _hitIndex = value;
    }

    /// <summary>The size of the buffer behind this copy, for the pool that reuses it.</summary>
    internal int Capacity => _data.Length;

    /// <summary>How many pending sequences hold this copy, kept by the matcher that owns its pool.</summary>
    internal int References { get; set; }

    public static CapturedEvent From(EventRecord ev, long timestamp) => Create(ev, timestamp, LengthOf(ev));

    /// <summary>Returns a copy of <paramref name="ev"/> in a buffer of <paramref name="capacity"/> bytes, at least <see cref="LengthOf"/>.</summary>
    internal static CapturedEvent Create(EventRecord ev, long timestamp, int capacity)
    {
        var copy = new CapturedEvent([], 0, 0, string.Empty, 0);
        copy.Fill(ev, timestamp, new byte[capacity]);
        return copy;
    }

    /// <summary>Returns the bytes a copy of <paramref name="ev"/> needs: its JSON and the tokens of its hit.</summary>
    internal static int LengthOf(EventRecord ev) => ev.Json.Length + ev.HitId.Length + ev.HitIndex.Length;

    /// <summary>Returns a copy of this event that nothing reuses.</summary>
    public CapturedEvent Copy() =>
        new(Json.ToArray(), Timestamp, OriginalTime, Source, LineNumber, ElementIndex) { HitId = HitId, HitIndex = HitIndex };

    /// <summary>Returns the event's <c>@timestamp</c>, or <paramref name="timestamp"/> when it has none.</summary>
    public static long OriginalTimeOf(EventRecord ev, long timestamp) =>
        ev.TryGetTimestamp(ev.Schema.TimestampSlots[0], out long original) ? original : timestamp;

    /// <summary>
    /// Makes this object a copy of <paramref name="ev"/>, in <paramref name="data"/> when it is given and otherwise in
    /// its current buffer, which must have room for the event's JSON and hit tokens.
    /// </summary>
    internal void Fill(EventRecord ev, long timestamp, byte[]? data = null)
    {
        _data = data ?? _data;
        var json = ev.Json.Span;
        var id = ev.HitId.Span;
        json.CopyTo(_data);
        id.CopyTo(_data.AsSpan(json.Length));
        ev.HitIndex.Span.CopyTo(_data.AsSpan(json.Length + id.Length));
        _jsonLength = json.Length;
        _idLength = id.Length;
        _indexLength = ev.HitIndex.Length;
        _hitId = null;
        _hitIndex = null;
        Timestamp = timestamp;
        OriginalTime = OriginalTimeOf(ev, timestamp);
        Source = ev.Source;
        LineNumber = ev.LineNumber;
        ElementIndex = ev.ElementIndex;
    }
}
