using System.Collections.Frozen;
using System.Numerics;
using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Hosting;

/// <summary>
/// Chooses the rules an event can match, so that a thousand rules do not cost a thousand checks per event.
/// Two indexes built once over all rules decide it:
/// <list type="bullet">
/// <item>by <c>event.category</c>: a rule that names its categories runs only for events of one of them;</item>
/// <item>by field values: for each <see cref="DispatchBranch"/> of a rule one term is chosen, such as
/// <c>process.name</c> in a set of names, and every term on the same field shares one hashed set of exact
/// values and one per prefix or suffix length, so each value of the event costs a few lookups whatever the
/// number of rules. A rule runs when one of its branches' terms holds.</item>
/// </list>
/// Rules with no branch, or with a branch that has no usable term, run for every event of their categories.
/// A sequence that ends in missing-event stages also runs for every event while it has state, and a rule with
/// alert suppression for each event whose time closes one of its groups (<see cref="DetectionRule.NextDueTime"/>).
/// Candidate rules run in their order in the rule set, as without dispatch.
/// </summary>
public sealed class RuleDispatch
{
    /// <summary>Fields whose values many events share, so a term on another field is preferred.</summary>
    private static readonly FrozenSet<string> CommonFields = new[]
    {
        "event.category", "event.type", "event.action", "event.outcome", "event.kind", "event.dataset", "event.module", "event.provider",
        "host.os.type", "host.os.family", "host.os.name", "host.os.platform", "os.type", "agent.type", "data_stream.dataset",
        "winlog.channel", "network.direction", "network.transport", "network.protocol",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly DetectionRule[] _rules;
    private readonly int _words;
    private readonly int _categorySlot;
    private readonly FrozenDictionary<string, ulong[]>.AlternateLookup<ReadOnlySpan<char>> _byCategory;
    private readonly ulong[] _anyCategory;
    private readonly ulong[] _unguarded;
    private readonly FieldIndex[]?[] _indexesBySlot;
    private readonly ulong[] _allowed;
    private readonly ulong[] _hits;

    /// <summary>The rules whose <see cref="DetectionRule.MayNeedEveryEvent"/> is true.</summary>
    private readonly int[] _mayNeedEveryEvent;

    /// <summary>
    /// For each rule of <c>_mayNeedEveryEvent</c>, its <see cref="DetectionRule.NextDueTime"/> as read after its
    /// last run, kept here so that an event reads one array instead of each rule's state.
    /// </summary>
    private readonly long[] _dueTimes;

    /// <summary>For each rule, its index in <c>_mayNeedEveryEvent</c>, or -1.</summary>
    private readonly int[] _dueIndex;
    private long _rulesRun;

    /// <summary>
    /// Builds the dispatch over <paramref name="rules"/>. With <paramref name="byValue"/> false only event
    /// categories narrow the rules, which gives a reference to compare dispatch by value against.
    /// </summary>
    public RuleDispatch(RuleSet rules, bool byValue = true)
    {
        _rules = [.. rules.Rules];
        _words = (_rules.Length + 63) / 64;
        _anyCategory = new ulong[_words];
        _unguarded = new ulong[_words];
        _allowed = new ulong[_words];
        _hits = new ulong[_words];
        _categorySlot = rules.Schema.TryGetSlot("event.category", out int slot) ? slot : -1;

        var byCategory = new Dictionary<string, ulong[]>(StringComparer.Ordinal);
        var indexes = new Dictionary<(int Slot, bool IgnoreCase), FieldIndexBuilder>();
        var mayNeedEveryEvent = new List<int>();
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].MayNeedEveryEvent)
            {
                mayNeedEveryEvent.Add(i);
            }

            if (_rules[i].EventCategories is { } categories)
            {
                foreach (var category in categories)
                {
                    if (!byCategory.TryGetValue(category, out var mask))
                    {
                        byCategory[category] = mask = new ulong[_words];
                    }

                    Set(mask, i);
                }
            }
            else
            {
                Set(_anyCategory, i);
            }

            var terms = byValue ? ChooseTerms(_rules[i].DispatchBranches, rules.Schema) : null;
            if (terms is null)
            {
                Set(_unguarded, i);
                continue;
            }

            foreach (var (term, termSlot) in terms)
            {
                var key = (termSlot, term.IgnoreCase);
                if (!indexes.TryGetValue(key, out var builder))
                {
                    indexes[key] = builder = new FieldIndexBuilder(term.IgnoreCase);
                }

                builder.Add(term, i);
            }
        }

        _mayNeedEveryEvent = [.. mayNeedEveryEvent];
        _dueTimes = new long[_mayNeedEveryEvent.Length];
        _dueIndex = new int[_rules.Length];
        Array.Fill(_dueIndex, -1);
        for (int k = 0; k < _mayNeedEveryEvent.Length; k++)
        {
            _dueIndex[_mayNeedEveryEvent[k]] = k;
        }

        RefreshDueTimes();
        _byCategory = byCategory.ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        // An event fills few of the schema's slots, so Select visits the indexes of the filled slots only.
        // Freezing the schema keeps its slot count, and so the size of this table, fixed.
        rules.Schema.Freeze();
        _indexesBySlot = new FieldIndex[]?[rules.Schema.SlotCount];
        foreach (var ((indexSlot, _), builder) in indexes)
        {
            _indexesBySlot[indexSlot] = [.. _indexesBySlot[indexSlot] ?? [], builder.Build(indexSlot)];
        }
    }

    /// <summary>The number of rules that run for every event of their categories, because no term narrows them.</summary>
    public int UnguardedRules
    {
        get
        {
            int count = 0;
            foreach (ulong word in _unguarded)
            {
                count += BitOperations.PopCount(word);
            }

            return count;
        }
    }

    /// <summary>The number of rules <see cref="Evaluate"/> has run, summed over all events.</summary>
    public long RulesRun => _rulesRun;

    /// <summary>
    /// Evaluates every rule that can match <paramref name="ev"/>, and the rules whose state is due at
    /// <paramref name="time"/>, the event's time by the rules' timestamp field. Without a time every rule
    /// with such state runs.
    /// </summary>
    public void Evaluate(EventRecord ev, IAlertSink sink, long time = long.MaxValue)
    {
        Select(ev, time);
        for (int w = 0; w < _words; w++)
        {
            ulong run = _allowed[w] & _hits[w];
            _rulesRun += BitOperations.PopCount(run);
            while (run != 0)
            {
                int bit = BitOperations.TrailingZeroCount(run);
                run &= run - 1;
                int rule = (w << 6) + bit;
                _rules[rule].Evaluate(ev, sink);
                int due = _dueIndex[rule];
                if (due >= 0)
                {
                    _dueTimes[due] = _rules[rule].NextDueTime;
                }
            }
        }
    }

    /// <summary>
    /// Reads <see cref="DetectionRule.NextDueTime"/> again from every rule that may need every event. A host
    /// calls it when another dispatch over some of the same rules has run them, since <see cref="Evaluate"/>
    /// reads it only from the rules it runs itself.
    /// </summary>
    public void RefreshDueTimes()
    {
        for (int k = 0; k < _mayNeedEveryEvent.Length; k++)
        {
            _dueTimes[k] = _rules[_mayNeedEveryEvent[k]].NextDueTime;
        }
    }

    /// <summary>Returns the rules <see cref="Evaluate"/> would run for <paramref name="ev"/>, in order, without running them.</summary>
    public IReadOnlyList<DetectionRule> CandidatesFor(EventRecord ev)
    {
        Select(ev, long.MaxValue);
        var candidates = new List<DetectionRule>();
        for (int i = 0; i < _rules.Length; i++)
        {
            if ((_allowed[i >> 6] & _hits[i >> 6] & (1UL << (i & 63))) != 0)
            {
                candidates.Add(_rules[i]);
            }
        }

        return candidates;
    }

    /// <summary>Fills <c>_allowed</c> with the rules of the event's categories and <c>_hits</c> with the rules whose terms it passes.</summary>
    private void Select(EventRecord ev, long time)
    {
        var allowed = _allowed.AsSpan();
        _anyCategory.AsSpan().CopyTo(allowed);
        if (_categorySlot >= 0)
        {
            foreach (ref readonly var value in ev.Values(_categorySlot))
            {
                if (value.Kind == FieldValueKind.String && _byCategory.TryGetValue(ev.Text(value), out var mask))
                {
                    for (int w = 0; w < allowed.Length; w++)
                    {
                        allowed[w] |= mask[w];
                    }
                }
            }
        }

        var hits = _hits.AsSpan();
        _unguarded.AsSpan().CopyTo(hits);
        foreach (int slot in ev.FilledSlots)
        {
            if (_indexesBySlot[slot] is { } indexes)
            {
                foreach (var index in indexes)
                {
                    index.Collect(ev, hits);
                }
            }
        }

        for (int k = 0; k < _dueTimes.Length; k++)
        {
            // long.MaxValue means the rule has no such state, whatever the time.
            if (_dueTimes[k] <= time && _dueTimes[k] != long.MaxValue)
            {
                Set(_allowed, _mayNeedEveryEvent[k]);
                Set(_hits, _mayNeedEveryEvent[k]);
            }
        }
    }

    private static void Set(ulong[] mask, int index) => mask[index >> 6] |= 1UL << (index & 63);

    /// <summary>
    /// Picks one term per branch, the one likely to pass for the fewest events, or returns null when
    /// some branch has none the dispatch can use.
    /// </summary>
    private static List<(DispatchTerm Term, int Slot)>? ChooseTerms(IReadOnlyList<DispatchBranch>? branches, FieldSchema schema)
    {
        if (branches is null || branches.Count == 0)
        {
            return null;
        }

        var chosen = new List<(DispatchTerm, int)>(branches.Count);
        foreach (var branch in branches)
        {
            DispatchTerm? best = null;
            int bestSlot = -1;
            foreach (var term in branch.Terms)
            {
                if (!schema.TryGetSlot(term.Field, out int termSlot) || !IsUsable(term))
                {
                    continue;
                }

                if (best is null || Rank(term).CompareTo(Rank(best)) < 0)
                {
                    best = term;
                    bestSlot = termSlot;
                }
            }

            if (best is null)
            {
                return null;
            }

            chosen.Add((best, bestSlot));
        }

        return chosen;
    }

    /// <summary>A term needs at least one value, and an empty prefix or suffix would pass every event.</summary>
    private static bool IsUsable(DispatchTerm term) =>
        term.Values.Count + term.Prefixes.Count + term.Suffixes.Count > 0 &&
        !term.Prefixes.Any(prefix => prefix.Length == 0) &&
        !term.Suffixes.Any(suffix => suffix.Length == 0);

    /// <summary>Lower is more selective: exact values before affixes, rare fields before common ones, short lists first.</summary>
    private static (int, int) Rank(DispatchTerm term) =>
        ((CommonFields.Contains(term.Field) ? 2 : 0) + (term.Prefixes.Count + term.Suffixes.Count == 0 ? 0 : 1),
         term.Values.Count + term.Prefixes.Count + term.Suffixes.Count);

    /// <summary>The terms on one field with one case rule: exact values, prefixes and suffixes, each mapped to the rules that use it.</summary>
    private sealed class FieldIndex(
        int slot,
        ExactTable? exact,
        AffixTable[] prefixes,
        AffixTable[] suffixes)
    {
        public void Collect(EventRecord ev, Span<ulong> hits)
        {
            foreach (ref readonly var value in ev.Values(slot))
            {
                var text = ev.Text(value);
                int[]? rules;
                if (exact is not null && exact.MayContain(text) && (rules = exact.Rules.Find(text)) is not null)
                {
                    Mark(hits, rules);
                }

                foreach (ref readonly var table in prefixes.AsSpan())
                {
                    if (table.Length > text.Length)
                    {
                        break;
                    }

                    var prefix = text[..table.Length];
                    if (table.MayContain(prefix) && (rules = table.Rules.Find(prefix)) is not null)
                    {
                        Mark(hits, rules);
                    }
                }

                foreach (ref readonly var table in suffixes.AsSpan())
                {
                    if (table.Length > text.Length)
                    {
                        break;
                    }

                    var suffix = text[^table.Length..];
                    if (table.MayContain(suffix) && (rules = table.Rules.Find(suffix)) is not null)
                    {
                        Mark(hits, rules);
                    }
                }
            }
        }

        private static void Mark(Span<ulong> hits, int[] rules)
        {
            foreach (int index in rules)
            {
                hits[index >> 6] |= 1UL << (index & 63);
            }
        }
    }

    private sealed class FieldIndexBuilder(bool ignoreCase)
    {
        private readonly StringComparer _comparer = ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        private readonly Dictionary<string, List<int>> _exact = new(ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        private readonly Dictionary<int, Dictionary<string, List<int>>> _prefixes = [];
        private readonly Dictionary<int, Dictionary<string, List<int>>> _suffixes = [];

        public void Add(DispatchTerm term, int rule)
        {
            foreach (var value in term.Values)
            {
                AddTo(_exact, value, rule);
            }

            // Affixes get one table per length, so each value is looked up once per length by its slice.
            foreach (var prefix in term.Prefixes)
            {
                AddTo(Table(_prefixes, prefix.Length), prefix, rule);
            }

            foreach (var suffix in term.Suffixes)
            {
                AddTo(Table(_suffixes, suffix.Length), suffix, rule);
            }
        }

        public FieldIndex Build(int slot) =>
            new(slot, _exact.Count > 0 ? new ExactTable(Lookup(_exact), _exact.Keys, ignoreCase) : null, Tables(_prefixes), Tables(_suffixes));

        private Dictionary<string, List<int>> Table(Dictionary<int, Dictionary<string, List<int>>> byLength, int length)
        {
            if (!byLength.TryGetValue(length, out var table))
            {
                byLength[length] = table = new Dictionary<string, List<int>>(_comparer);
            }

            return table;
        }

        private static void AddTo(Dictionary<string, List<int>> table, string value, int rule)
        {
            if (!table.TryGetValue(value, out var rules))
            {
                table[value] = rules = [];
            }

            if (rules.Count == 0 || rules[^1] != rule)
            {
                rules.Add(rule);
            }
        }

        private AffixTable[] Tables(Dictionary<int, Dictionary<string, List<int>>> byLength) =>
            [.. byLength.OrderBy(pair => pair.Key).Select(pair => new AffixTable(
                pair.Key, Lookup(pair.Value), CharFilter.Of(pair.Value.Keys, 0, ignoreCase), CharFilter.Of(pair.Value.Keys, pair.Key - 1, ignoreCase)))];

        private TermTable Lookup(Dictionary<string, List<int>> table) =>
            new(table.ToDictionary(pair => pair.Key, pair => pair.Value.ToArray(), _comparer), ignoreCase);
    }

    /// <summary>
    /// The prefixes or suffixes of one length on one field, with filters on their first and last characters,
    /// so that most values of the event are passed over without hashing a slice of them.
    /// </summary>
    /// <remarks>A struct, so that the tables of one field, which each value of the event visits in turn, lie next to each other in memory.</remarks>
    private readonly struct AffixTable(int length, TermTable rules, CharFilter first, CharFilter last)
    {
        public int Length { get; } = length;

        public TermTable Rules { get; } = rules;

        /// <summary>Returns false when no affix of the table can equal <paramref name="slice"/>, which has <see cref="Length"/> characters.</summary>
        public bool MayContain(ReadOnlySpan<char> slice) => first.MayMatch(slice[0]) && last.MayMatch(slice[^1]);
    }

    /// <summary>The exact values on one field, with filters on their lengths and first and last characters, like <see cref="AffixTable"/>.</summary>
    private sealed class ExactTable(TermTable rules, IReadOnlyCollection<string> values, bool ignoreCase)
    {
        private const int LengthBits = 256;

        private readonly ulong[] _lengths = LengthSet(values);
        private readonly CharFilter _first = CharFilter.Of(values.Where(value => value.Length > 0), 0, ignoreCase);
        private readonly CharFilter _last = CharFilter.Of(values.Where(value => value.Length > 0), ^1, ignoreCase);

        public TermTable Rules { get; } = rules;

        /// <summary>Returns false when no value of the table can equal <paramref name="text"/>.</summary>
        public bool MayContain(ReadOnlySpan<char> text)
        {
            // Lengths from LengthBits up share the last bit.
            int length = Math.Min(text.Length, LengthBits - 1);
            if ((_lengths[length >> 6] & (1UL << (length & 63))) == 0)
            {
                return false;
            }

            return text.IsEmpty || (_first.MayMatch(text[0]) && _last.MayMatch(text[^1]));
        }

        private static ulong[] LengthSet(IEnumerable<string> values)
        {
            var lengths = new ulong[LengthBits / 64];
            foreach (string value in values)
            {
                int length = Math.Min(value.Length, LengthBits - 1);
                lengths[length >> 6] |= 1UL << (length & 63);
            }

            return lengths;
        }
    }

    /// <summary>
    /// The ASCII characters found at one position of a set of strings, as a 128-bit set. A character outside
    /// ASCII always passes, and a set with one outside ASCII at that position passes every character.
    /// </summary>
    private readonly struct CharFilter(ulong low, ulong high)
    {
        public bool MayMatch(char c) => c >= 128 || ((c < 64 ? low >> c : high >> (c - 64)) & 1) != 0;

        /// <summary>Builds the filter for position <paramref name="index"/> of <paramref name="values"/>, with both cases of letters when <paramref name="ignoreCase"/> is true.</summary>
        public static CharFilter Of(IEnumerable<string> values, Index index, bool ignoreCase)
        {
            ulong low = 0, high = 0;
            foreach (string value in values)
            {
                char c = value[index];
                if (c >= 128)
                {
                    return new CharFilter(ulong.MaxValue, ulong.MaxValue);
                }

                Add(ref low, ref high, c);
                if (ignoreCase && char.IsAsciiLetter(c))
                {
                    Add(ref low, ref high, (char)(c ^ 0x20));
                }
            }

            return new CharFilter(low, high);
        }

        private static void Add(ref ulong low, ref ulong high, char c)
        {
            if (c < 64)
            {
                low |= 1UL << c;
            }
            else
            {
                high |= 1UL << (c - 64);
            }
        }
    }
}
