using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Sequences;

/// <summary>
/// The state of one <c>sample</c> rule: per join key, events that match each filter. Time and order do not
/// matter. Once an event has been offered to all its filters, a key whose filters can each be given a
/// different event reports that sample, in filter order. Each key gives one sample, as Elasticsearch's default <c>max_samples_per_key</c> of 1 does over
/// the events it searches.
/// </summary>
/// <remarks>
/// Each filter keeps at most as many candidates as there are filters, which is enough to find distinct
/// events for all filters whenever any choice of the events seen so far allows it. Elasticsearch does
/// not define which event fills a filter when several could.
/// NOTE: every key seen is kept until the scan ends, complete or not; nothing bounds their number yet.
/// </remarks>
public sealed class SampleMatcher
{
    private readonly int _filterCount;
    // A key whose sample was reported maps to an empty array.
    private readonly Dictionary<string, List<Candidate>[]> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Candidate>[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly CapturedEvent[] _sample;
    private readonly long[] _chosen;
    private readonly JoinKeyBuilder _keys = new();
    private readonly List<(string Key, List<Candidate>[] Candidates)> _touched = [];
    private long _ordinal;
    private long _capturedOrdinal;
    private CapturedEvent? _captured;

    public SampleMatcher(int filterCount)
    {
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
        foreach (var (key, candidates) in _touched)
        {
            if (candidates.Length > 0 && Assign(candidates, 0))
            {
                _states[key] = [];
                sink.OnSampleMatch(rule, _sample, key);
            }
        }

        _touched.Clear();
    }

    private void OfferKey(int filter, ReadOnlySpan<char> key, EventRecord ev, long timestamp)
    {
        if (!_lookup.TryGetValue(key, out string? storedKey, out var candidates))
        {
            candidates = new List<Candidate>[_filterCount];
            for (int i = 0; i < candidates.Length; i++)
            {
                candidates[i] = [];
            }

            storedKey = key.ToString();
            _states[storedKey] = candidates;
        }

        if (candidates.Length == 0)
        {
            return;
        }

        var list = candidates[filter];
        if (list.Count >= _filterCount || (list.Count > 0 && list[^1].Ordinal == _ordinal))
        {
            return;
        }

        if (_capturedOrdinal != _ordinal)
        {
            _captured = CapturedEvent.From(ev, timestamp);
            _capturedOrdinal = _ordinal;
        }

        list.Add(new Candidate(_ordinal, _captured!));
        foreach (var entry in _touched)
        {
            if (ReferenceEquals(entry.Candidates, candidates))
            {
                return;
            }
        }

        _touched.Add((storedKey, candidates));
    }

    /// <summary>Chooses a distinct candidate for each filter from <paramref name="filter"/> on, by backtracking.</summary>
    private bool Assign(List<Candidate>[] candidates, int filter)
    {
        if (filter == _filterCount)
        {
            return true;
        }

        foreach (var candidate in candidates[filter])
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
            if (Assign(candidates, filter + 1))
            {
                return true;
            }
        }

        return false;
    }

    private readonly record struct Candidate(long Ordinal, CapturedEvent Event);
}
