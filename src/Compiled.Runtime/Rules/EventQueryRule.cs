using System.Runtime.CompilerServices;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;

namespace Compiled.Runtime.Rules;

/// <summary>
/// The base of a generated rule whose query tests one event at a time and keeps no state: each event that
/// matches raises an alert at the time in the rule's timestamp field.
/// </summary>
public abstract class EventQueryRule : DetectionRule
{
    private readonly int _timestampSlot;
    private readonly int _fallbackSlot;

    /// <summary>
    /// Creates the rule. <paramref name="fallbackSlot"/> is the slot of <c>@timestamp</c> when the rule reads it for
    /// events without the timestamp override field, else -1.
    /// </summary>
    protected EventQueryRule(RuleDescriptor descriptor, int timestampSlot, int fallbackSlot)
        : base(descriptor)
    {
        _timestampSlot = timestampSlot;
        _fallbackSlot = fallbackSlot;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public sealed override void Evaluate(EventRecord ev, IAlertSink sink)
    {
        if (Match(ev) && ev.TryGetTimestamp(_timestampSlot, _fallbackSlot, out long timestamp))
        {
            sink.OnEventMatch(this, ev, timestamp);
        }
    }

    /// <summary>Returns true when <paramref name="ev"/> matches the query.</summary>
    protected abstract bool Match(EventRecord ev);
}
