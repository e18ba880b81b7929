using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Chooses the rules an event can match by its <c>event.category</c>: a rule that names its categories
/// runs only for events of one of them, so a thousand rules do not cost a thousand checks per event.
/// Rules that accept any category run for every event. A per-rule stamp of the last event it ran for
/// keeps a rule with two of the event's categories from running twice.
/// </summary>
public sealed class RuleDispatch
{
    private readonly DetectionRule[] _rules;
    private readonly int[] _anyCategory;
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _byCategory;
    private readonly int _categorySlot;
    private readonly int[] _evaluatedAt;
    private int _event;

    public RuleDispatch(RuleSet rules)
    {
        _rules = [.. rules.Rules];
        var any = new List<int>();
        var byCategory = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].EventCategories is not { } categories)
            {
                any.Add(i);
                continue;
            }

            foreach (var category in categories)
            {
                if (!byCategory.TryGetValue(category, out var list))
                {
                    byCategory[category] = list = [];
                }

                list.Add(i);
            }
        }

        _anyCategory = [.. any];
        var lookup = byCategory.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), StringComparer.Ordinal);
        _byCategory = lookup.GetAlternateLookup<ReadOnlySpan<char>>();
        _categorySlot = rules.Schema.TryGetSlot("event.category", out int slot) ? slot : -1;
        _evaluatedAt = new int[_rules.Length];
    }

    /// <summary>Evaluates every rule that can match <paramref name="ev"/>.</summary>
    public void Evaluate(EventRecord ev, IAlertSink sink)
    {
        int stamp = ++_event;
        foreach (int index in _anyCategory)
        {
            _rules[index].Evaluate(ev, sink);
        }

        if (_categorySlot < 0)
        {
            return;
        }

        foreach (ref readonly var value in ev.Values(_categorySlot))
        {
            if (value.Kind != FieldValueKind.String || !_byCategory.TryGetValue(ev.Text(value), out var indices))
            {
                continue;
            }

            foreach (int index in indices)
            {
                if (_evaluatedAt[index] != stamp)
                {
                    _evaluatedAt[index] = stamp;
                    _rules[index].Evaluate(ev, sink);
                }
            }
        }
    }
}
