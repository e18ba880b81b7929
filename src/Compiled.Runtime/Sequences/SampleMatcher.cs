using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Sequences;

/// <summary>
/// The state of one <c>sample</c> rule: per join key, events that match each filter. Time and order do not
/// matter. Once an event has been offered to all its filters, a key whose filters can each be given a
/// different event reports that sample, in filter order. Each key gives up to
/// <see cref="DetectionRule.MaxSamplesPerKey"/> samples, Elasticsearch's <c>max_samples_per_key</c>; two samples
/// of one key differ in at least one event, and may share the others.
/// </summary>
/// <remarks>
/// Each filter keeps at most filters + max_samples_per_key - 1 candidates, as many as Elasticsearch fetches
/// per filter and key, which is enough to find distinct events for all filters whenever any choice of the
/// events seen so far allows it. Elasticsearch does not define which event fills a filter when several could.
/// At most <see cref="DetectionRule.MaxStateEntries"/> keys are kept, complete or not, checked after each event.
/// Beyond it the key least recently offered an event is evicted first, so an evicted key that completed its
/// samples can report more if its events come back.
/// </remarks>
public sealed class SampleMatcher
{
    private readonly int _filterCount;
    private readonly DetectionRule? _owner;
    private readonly Dictionary<string, KeyState> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeyState>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly CapturedEvent[] _sample;
    private readonly long[] _chosen;
    private readonly JoinKeyBuilder _keys = new();
    private readonly List<(string Key, KeyState State)> _touched = [];
    // Keys from the least to the most recently offered an event, linked through the states themselves.
    private readonly RecencyList<KeyState> _recency = new();
    private int _maxEntries = DetectionRule.DefaultMaxStateEntries;
    private long _ordinal;
    private long _capturedOrdinal;
    private CapturedEvent? _captured;

    /// <param name="filterCount">The number of filters of the sample query.</param>
    /// <param name="owner">The rule whose <see cref="DetectionRule.MaxSamplesPerKey"/> applies; null for one sample per key.</param>
    public SampleMatcher(int filterCount, DetectionRule? owner = null)
    {
        _owner = owner;
        if (filterCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(filterCount), filterCount, "A sample has at least one filter.");
        }

        _filterCount = filterCount;
        _lookup = _states.GetAlternateLookup<ReadOnlySpan<char>>();
        _sample = new CapturedEvent[filterCount];
        _chosen = new long[filterCount];
    }

    /// <summary>The number of join keys seen, with or without a complete sample.</summary>
    public int KeyCount => _states.Count;

    /// <summary>The number of keys evicted because of <see cref="DetectionRule.MaxStateEntries"/>.</summary>
    public long Evictions { get; private set; }

    /// <summary>Starts the evaluation of a new event; call once per event before <see cref="Offer"/>.</summary>
    public void Tick() => _ordinal++;

    /// <summary>
    /// Records that <paramref name="ev"/> matched filter <paramref name="filter"/> (zero-based) under its join keys.
    /// Call <see cref="Complete"/> after the event's last filter.
    /// </summary>
    public void Offer(int filter, EventRecord ev, long timestamp, JoinKeys keys)
    {
        Span<int> cursor = stackalloc int[keys.Slots.Length];
        if (!JoinKeyBuilder.Start(ev, keys, cursor))
        {
            return;
        }

        int produced = 0;
        do
        {
            var key = _keys.Build(ev, keys, cursor);
            OfferKey(filter, key, ev, timestamp);
        }
        while (JoinKeyBuilder.Next(ev, keys, cursor, ref produced));
    }

    /// <summary>
    /// Reports the samples the current event completed. Running after all of the event's filters lets the
    /// event fill the later filter when an earlier event can fill the first one, as Elasticsearch does.
    /// </summary>
    public void Complete(DetectionRule rule, IAlertSink sink)
    {
        foreach (var (key, state) in _touched)
        {
            if (state.Candidates is not null)
            {
                Report(rule, sink, key, state, 0);
            }
        }

        _touched.Clear();
        _maxEntries = Math.Max(1, rule.MaxStateEntries);
        while (_states.Count > _maxEntries)
        {
            Evict();
        }
    }

    private int MaxSamplesPerKey => _owner?.MaxSamplesPerKey ?? 1;

    private void OfferKey(int filter, ReadOnlySpan<char> key, EventRecord ev, long timestamp)
    {
        if (_lookup.TryGetValue(key, out string? storedKey, out var state))
        {
            _recency.MoveToNewest(state);
        }
        else
        {
            // The limit of the previous event applies until this one completes.
            while (_states.Count >= _maxEntries)
            {
                Evict();
            }

            storedKey = key.ToString();
            _states[storedKey] = state = new KeyState(_filterCount) { Key = storedKey };
            _recency.Add(state);
        }

        if (state.Candidates is null)
        {
            return;
        }

        var list = state.Candidates[filter];
        if (list.Count >= _filterCount + (long)MaxSamplesPerKey - 1 || (list.Count > 0 && list[^1].Ordinal == _ordinal))
        {
            return;
        }

        // NOTE: candidates are new copies, not pooled as sequence events are. A key keeps its candidates until the
        // input ends or the state cap evicts it, so in steady state only a matcher at its state cap allocates here.
        if (_capturedOrdinal != _ordinal)
        {
            _captured = CapturedEvent.From(ev, timestamp);
            _capturedOrdinal = _ordinal;
        }

        list.Add(new Candidate(_ordinal, _captured!));
        foreach (var entry in _touched)
        {
            if (ReferenceEquals(entry.State, state))
            {
                return;
            }
        }

        _touched.Add((storedKey, state));
    }

    /// <summary>Evicts the key least recently offered an event.</summary>
    private void Evict()
    {
        var oldest = _recency.Oldest!;
        _states.Remove(oldest.Key);
        _recency.Remove(oldest);
        Evictions++;
    }

    /// <summary>
    /// Chooses a distinct candidate for each filter from <paramref name="filter"/> on, by backtracking, and reports
    /// each choice not reported before until the key has all its samples. Returns true once it has.
    /// </summary>
    private bool Report(DetectionRule rule, IAlertSink sink, string key, KeyState state, int filter)
    {
        if (filter == _filterCount)
        {
            if (state.Reported is { } reportedSamples)
            {
                foreach (var reported in reportedSamples)
                {
                    if (reported.AsSpan().SequenceEqual(_chosen))
                    {
                        return false;
                    }
                }
            }

            sink.OnSampleMatch(rule, _sample, key);
            if (++state.Count >= MaxSamplesPerKey)
            {
                state.Candidates = null;
                state.Reported = null;
                return true;
            }

            (state.Reported ??= []).Add((long[])_chosen.Clone());
            return false;
        }

        foreach (var candidate in state.Candidates![filter])
        {
            bool used = false;
            for (int i = 0; i < filter; i++)
            {
                used |= _chosen[i] == candidate.Ordinal;
            }

            if (used)
            {
                continue;
            }

            _chosen[filter] = candidate.Ordinal;
            _sample[filter] = candidate.Event;
            if (Report(rule, sink, key, state, filter + 1))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The candidates of one join key, or null once it has all its samples, and the samples it reported.</summary>
    private sealed class KeyState(int filterCount) : RecencyNode<KeyState>
    {
        public List<Candidate>[]? Candidates = CreateLists(filterCount);

        public List<long[]>? Reported;

        public int Count;

        public string Key = string.Empty;

        private static List<Candidate>[] CreateLists(int count)
        {
            var lists = new List<Candidate>[count];
            for (int i = 0; i < count; i++)
            {
                lists[i] = [];
            }

            return lists;
        }
    }

    private readonly record struct Candidate(long Ordinal, CapturedEvent Event);
}
