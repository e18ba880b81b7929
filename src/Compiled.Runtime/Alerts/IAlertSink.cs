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
}

/// <summary>A copy of an event kept beyond its line, for sequences that complete later.</summary>
public sealed class CapturedEvent
{
    public CapturedEvent(byte[] json, long timestamp, string source, long lineNumber)
    {
        Json = json;
        Timestamp = timestamp;
        Source = source;
        LineNumber = lineNumber;
    }

    public byte[] Json { get; }

    /// <summary>Nanoseconds since the Unix epoch.</summary>
    public long Timestamp { get; }

    public string Source { get; }

    public long LineNumber { get; }

    public static CapturedEvent From(EventRecord ev, long timestamp) =>
        new(ev.Json.ToArray(), timestamp, ev.Source, ev.LineNumber);
}
