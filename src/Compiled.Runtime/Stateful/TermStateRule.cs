using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Stateful;

/// <summary>
/// The base of rules that keep state per combination of field values, as threshold buckets and new_terms
/// terms: the combinations of an event, an optional alert suppressor and the count of evicted entries.
/// </summary>
public abstract class TermStateRule : DetectionRule
{
    private protected TermStateRule(RuleDescriptor descriptor, int[] slots, SuppressionSettings? suppression, RuleSchedule schedule)
        : base(descriptor)
    {
        Keys = new TermKey(slots);
        if (suppression is not null)
        {
            Suppressor = new AlertSuppressor(this, suppression, schedule);
        }
    }

    public override long StateEvictions => Evictions + (Suppressor?.Evictions ?? 0);

    public override bool MayNeedEveryEvent => Suppressor is not null;

    /// <summary>The time the first open suppression group closes.</summary>
    public override long NextDueTime => Suppressor?.NextClose ?? long.MaxValue;

    /// <summary>The key builder for each combination of the event's values in the rule's fields.</summary>
    private protected TermKey Keys { get; }

    /// <summary>The rule's alert suppression, or null when it has none.</summary>
    private protected AlertSuppressor? Suppressor { get; }

    /// <summary>The number of state entries evicted to respect <see cref="DetectionRule.MaxStateEntries"/>.</summary>
    private protected long Evictions { get; set; }

    /// <summary>The rule's query.</summary>
    protected abstract bool MatchQuery(EventRecord ev);

    /// <summary>Reads the event time by the rule's timestamp field.</summary>
    protected abstract bool TryGetTime(EventRecord ev, out long timestamp);
}
