using Compiled.Runtime.Alerts;
using Compiled.Runtime.Events;
using Compiled.Runtime.Rules;

namespace Compiled.Runtime.Sequences;

/// <summary>
/// The state of one sequence rule, kept per join key. Each key has at most one pending sequence per
/// stage, because a newer match of a stage replaces the older pending sequence there, as Elasticsearch does.
/// A pending sequence is dropped when the next stage arrives more than maxspan after its first event
/// (exactly maxspan is still accepted), and pending sequences older than maxspan are pruned as time advances.
/// </summary>
/// <remarks>
/// Missing-event stages (<c>![...]</c>) split the positive stages into gaps: before the first, between two,
/// and after the last. A sequence is rejected when an event matching any missing stage of a gap between
/// two positive stages arrives strictly between them (the suite's runs=2 on a missing stage rejects on one
/// event). Leading and trailing missing stages
/// reject a complete sequence only when all of them can be filled, in order and with the same key, within
/// maxspan of the whole extended sequence. So a sequence with trailing missing stages is held until
/// maxspan has passed, or the input ends, before it is reported.
/// <para>
/// Join keys with state plus held sequences never exceed the rule's <see cref="DetectionRule.MaxStateEntries"/>.
/// Beyond it the key state least recently created or updated is evicted first, which loses its pending
/// sequences. Held sequences are evicted, earliest deadline first and unreported, only when no key state is left.
/// </para>
/// <para>
/// The copies of events, the pending and held sequences and the key states are reused once they are dropped,
/// so a matcher whose state stays within its peak size allocates nothing per event. The events given
/// to <see cref="IAlertSink.OnSequenceMatch"/> are reused after the call.
/// </para>
/// </remarks>
public sealed class SequenceMatcher
{
    private const int PruneInterval = 4096;

    private readonly int _positiveCount;
    private readonly int[] _gapOfStage;
    private readonly int[] _positionInGap;
    private readonly int[] _gapSize;
    private readonly long _maxspan;
    private readonly Dictionary<KeyText, KeyState> _states = new(KeyTextComparer.Instance);
    private readonly Dictionary<KeyText, KeyState>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    // Held sequences wait in deadline order (then completion order); the index by key finds the ones a
    // trailing missing event concerns. A rejected sequence stays in the queue, marked, until its deadline.
    private readonly PriorityQueue<HeldSequence, (long Deadline, long Order)> _held = new();
    private readonly Dictionary<KeyText, HeldList> _heldByKey = new(KeyTextComparer.Instance);
    private readonly Dictionary<KeyText, HeldList>.AlternateLookup<ReadOnlySpan<char>> _heldLookup;
    private int _heldCount;
    private readonly CapturedEventPool _copies = new();
    private readonly Stack<Pending> _freePending = new();
    private readonly Stack<KeyState> _freeStates = new();
    private readonly Stack<HeldSequence> _freeHeld = new();
    private readonly Stack<HeldList> _freeHeldLists = new();
    private readonly CapturedEvent[] _completed;
    private readonly JoinKeyBuilder _keys = new();
    private int _advancesSincePrune;
    // Key states from the least to the most recently created or updated, linked through the states themselves.
    private readonly RecencyList<KeyState> _recency = new();
    private int _maxEntries = DetectionRule.DefaultMaxStateEntries;
    // Ordinals number events from 1, so 0 can mean "none" in the state below.
    private long _ordinal = 1;

    /// <param name="stageCount">The number of stages, with runs expanded, none of them missing-event stages.</param>
    /// <param name="maxspanNanoseconds">The maximum time from the first to the last event, or <see cref="long.MaxValue"/>.</param>
    public SequenceMatcher(int stageCount, long maxspanNanoseconds)
        : this(new bool[stageCount], maxspanNanoseconds)
    {
    }

    /// <param name="missingStages">For each stage, with runs expanded, whether it is a missing-event stage.</param>
    /// <param name="maxspanNanoseconds">The maximum time from the first to the last event, or <see cref="long.MaxValue"/>.</param>
    public SequenceMatcher(bool[] missingStages, long maxspanNanoseconds)
    {
        _positiveCount = missingStages.Count(missing => !missing);
        bool hasMissing = _positiveCount < missingStages.Length;
        if (_positiveCount < (hasMissing ? 1 : 2))
        {
            throw new ArgumentException("A sequence has at least two stages, or one stage besides missing-event stages.", nameof(missingStages));
        }

        _gapOfStage = new int[missingStages.Length];
        _positionInGap = new int[missingStages.Length];
        _gapSize = new int[_positiveCount + 1];
        int gap = 0;
        for (int i = 0; i < missingStages.Length; i++)
        {
            if (missingStages[i])
            {
                _gapOfStage[i] = gap;
                _positionInGap[i] = _gapSize[gap]++;
            }
            else
            {
                _gapOfStage[i] = -1;
                gap++;
            }
        }

        _maxspan = maxspanNanoseconds;
        _lookup = _states.GetAlternateLookup<ReadOnlySpan<char>>();
        _heldLookup = _heldByKey.GetAlternateLookup<ReadOnlySpan<char>>();
        _completed = new CapturedEvent[_positiveCount];
    }

    /// <summary>The number of join keys that have pending sequences or remembered leading missing events.</summary>
    public int PendingKeyCount => _states.Count;

    /// <summary>True while the matcher has pending sequences, remembered leading missing events or held sequences.</summary>
    public bool HasState => _states.Count > 0 || _held.Count > 0;

    /// <summary>The number of complete sequences waiting to learn whether their trailing missing events arrive.</summary>
    public int HeldCount => _heldCount;

    /// <summary>The number of key states and held sequences evicted because of <see cref="DetectionRule.MaxStateEntries"/>.</summary>
    public long Evictions { get; private set; }

    private int LeadingCount => _gapSize[0];

    private int TrailingCount => _gapSize[_positiveCount];

    /// <summary>
    /// Starts the evaluation of a new event at <paramref name="timestamp"/>: reports held sequences whose
    /// window has closed. Call once per event before <see cref="Advance"/>, <see cref="Missing"/> and <see cref="Until"/>.
    /// </summary>
    public void Tick(long timestamp, DetectionRule rule, IAlertSink sink)
    {
        _ordinal++;
        _maxEntries = Math.Max(1, rule.MaxStateEntries);
        while (_held.TryPeek(out var held, out var priority) && timestamp > priority.Deadline)
        {
            _held.Dequeue();
            Release(held, rule, sink);
        }
    }

    /// <summary>Reports every held sequence, at the end of the input, when no trailing missing event can arrive any more.</summary>
    public void Flush(DetectionRule rule, IAlertSink sink)
    {
        while (_held.TryDequeue(out var held, out _))
        {
            Release(held, rule, sink);
        }
    }

    /// <summary>
    /// Takes a dequeued held sequence off its key's list and reports it unless a trailing missing event rejected it,
    /// then keeps it for reuse.
    /// </summary>
    private void Release(HeldSequence held, DetectionRule rule, IAlertSink sink)
    {
        if (!held.Rejected)
        {
            _heldCount--;
            TakeOffList(held);
            Report(held.Sequence!, rule, sink);
        }

        ReleaseHeld(held);
    }

    /// <summary>
    /// Records that <paramref name="ev"/> matched positive stage <paramref name="stage"/> (zero-based, counting
    /// positive stages only). Call the stages from the last to the first for each event, so an event never
    /// extends a sequence it started itself.
    /// </summary>
    public void Advance(int stage, EventRecord ev, long timestamp, JoinKeys keys, DetectionRule rule, IAlertSink sink)
    {
        CapturedEvent? captured = null;
        _maxEntries = Math.Max(1, rule.MaxStateEntries);
        Span<int> cursor = stackalloc int[keys.Slots.Length];
        if (!JoinKeyBuilder.Start(ev, keys, cursor))
        {
            return;
        }

        int produced = 0;
        do
        {
            AdvanceKey(stage, _keys.Build(ev, keys, cursor), ev, timestamp, ref captured, rule, sink);
        }
        while (JoinKeyBuilder.Next(ev, keys, cursor, ref produced));

        // The copy is held for the whole call, so that a key whose sequence completed and let go of it cannot free
        // it while the next key still uses it.
        if (captured is not null)
        {
            _copies.Release(captured);
        }

        if (++_advancesSincePrune >= PruneInterval)
        {
            _advancesSincePrune = 0;
            Prune(timestamp);
        }
    }

    /// <summary>
    /// Records that <paramref name="ev"/> matched missing-event stage <paramref name="stage"/> (zero-based,
    /// counting all stages). Call after the positive stages of the same event, from the last missing stage to the first.
    /// </summary>
    public void Missing(int stage, EventRecord ev, long timestamp, JoinKeys keys)
    {
        int gap = _gapOfStage[stage];
        int position = _positionInGap[stage];
        Span<int> cursor = stackalloc int[keys.Slots.Length];
        if (gap < 0 || !JoinKeyBuilder.Start(ev, keys, cursor))
        {
            return;
        }

        if (++_advancesSincePrune >= PruneInterval)
        {
            _advancesSincePrune = 0;
            Prune(timestamp);
        }

        // A missing event after the last positive stage can only reject a held sequence, and one between two
        // positive stages only a pending one. With none, building the event's keys would find nothing.
        if ((gap == _positiveCount && _heldCount == 0) || (gap > 0 && gap < _positiveCount && _states.Count == 0))
        {
            return;
        }

        int produced = 0;
        do
        {
            var key = _keys.Build(ev, keys, cursor);
            if (gap == 0)
            {
                RecordLeading(key, position, timestamp);
            }
            else if (gap < _positiveCount)
            {
                RecordBetween(key, gap);
            }
            else
            {
                RecordTrailing(key, position, timestamp);
            }
        }
        while (JoinKeyBuilder.Next(ev, keys, cursor, ref produced));
    }

    /// <summary>
    /// An <c>until</c> event ends every pending sequence of its join key. Call it after the stages of the
    /// same event, so that an event which completes a sequence and matches until still completes it, while
    /// one which only extends a sequence ends it, as the Elasticsearch suite expects.
    /// </summary>
    public void Until(EventRecord ev, JoinKeys keys)
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
            if (_lookup.TryGetValue(key, out var state))
            {
                ClearPending(state);
                RemoveIfEmpty(state);
            }
        }
        while (JoinKeyBuilder.Next(ev, keys, cursor, ref produced));
    }

    /// <summary>Removes state that can no longer contribute to a sequence within maxspan at time <paramref name="now"/>.</summary>
    public void Prune(long now)
    {
        if (_maxspan == long.MaxValue)
        {
            return;
        }

        foreach (var state in _states.Values)
        {
            for (int i = 0; i < state.Pending.Length; i++)
            {
                if (state.Pending[i] is { } sequence && now - sequence.FirstTimestamp > _maxspan)
                {
                    state.Pending[i] = null;
                    ReleasePending(sequence);
                }
            }

            for (int i = 0; i < state.LeadStart.Length; i++)
            {
                if (state.LeadOrdinal[i] != 0 && now - state.LeadStart[i] > _maxspan)
                {
                    state.LeadOrdinal[i] = 0;
                }
            }

            RemoveIfEmpty(state);
        }
    }

    private void AdvanceKey(int stage, ReadOnlySpan<char> key, EventRecord ev, long timestamp, ref CapturedEvent? captured, DetectionRule rule, IAlertSink sink)
    {
        if (stage == 0)
        {
            captured ??= Capture(ev, timestamp);
            var state = GetOrAddState(key);
            var started = RentPending(timestamp);
            started.LastOrdinal = _ordinal;
            started.Events[0] = captured;
            CapturedEventPool.Hold(captured);

            // The latest chain of leading missing events, completed by earlier events, is the one most likely to fit.
            if (LeadingCount > 0 && state.LeadOrdinal[LeadingCount - 1] != 0)
            {
                started.LeadStart = state.LeadStart[LeadingCount - 1];
                started.HasLeadStart = true;
            }

            if (_positiveCount == 1)
            {
                Complete(started, key, rule, sink);
                RemoveIfEmpty(state);
                return;
            }

            Replace(state, 0, started);
            return;
        }

        if (!_lookup.TryGetValue(key, out var states) || states.Pending[stage - 1] is not { } pending)
        {
            return;
        }

        states.Pending[stage - 1] = null;
        if (timestamp - pending.FirstTimestamp > _maxspan)
        {
            ReleasePending(pending);
            RemoveIfEmpty(states);
            return;
        }

        captured ??= Capture(ev, timestamp);
        pending.Events[stage] = captured;
        CapturedEventPool.Hold(captured);
        pending.LastOrdinal = _ordinal;
        if (stage == _positiveCount - 1)
        {
            RemoveIfEmpty(states);
            Complete(pending, key, rule, sink);
            return;
        }

        Replace(states, stage, pending);
        _recency.MoveToNewest(states);
    }

    /// <summary>Copies the event for the sequences that hold it, with one reference for the current call.</summary>
    private CapturedEvent Capture(EventRecord ev, long timestamp)
    {
        var copy = _copies.Rent(ev, timestamp);
        CapturedEventPool.Hold(copy);
        return copy;
    }

    /// <summary>Puts <paramref name="sequence"/> in slot <paramref name="slot"/> of the key, dropping the sequence it replaces.</summary>
    private void Replace(KeyState state, int slot, Pending sequence)
    {
        var replaced = state.Pending[slot];
        state.Pending[slot] = sequence;
        if (replaced is not null)
        {
            ReleasePending(replaced);
        }
    }

    private void ClearPending(KeyState state)
    {
        for (int i = 0; i < state.Pending.Length; i++)
        {
            if (state.Pending[i] is { } sequence)
            {
                state.Pending[i] = null;
                ReleasePending(sequence);
            }
        }
    }

    private Pending RentPending(long firstTimestamp)
    {
        var sequence = _freePending.TryPop(out var reused) ? reused : new Pending(_positiveCount);
        sequence.FirstTimestamp = firstTimestamp;
        sequence.LastOrdinal = 0;
        sequence.LeadStart = 0;
        sequence.HasLeadStart = false;
        return sequence;
    }

    /// <summary>Drops a sequence that no key state or held sequence refers to any more, and the references to its events.</summary>
    private void ReleasePending(Pending sequence)
    {
        var events = sequence.Events;
        for (int i = 0; i < events.Length; i++)
        {
            if (events[i] is { } copy)
            {
                events[i] = null!;
                _copies.Release(copy);
            }
        }

        _freePending.Push(sequence);
    }

    /// <summary>Decides what a sequence whose positive stages are complete needs before it is reported.</summary>
    private void Complete(Pending sequence, ReadOnlySpan<char> key, DetectionRule rule, IAlertSink sink)
    {
        long last = sequence.Events[_positiveCount - 1].Timestamp;
        bool leadingFits = LeadingCount > 0 && sequence.HasLeadStart && last - sequence.LeadStart <= _maxspan;
        if (TrailingCount == 0)
        {
            if (!leadingFits)
            {
                Report(sequence, rule, sink);
            }

            ReleasePending(sequence);
            return;
        }

        // A rejection needs every missing stage filled, so without a fitting leading chain the sequence is reported.
        if (LeadingCount > 0 && !leadingFits)
        {
            Report(sequence, rule, sink);
            ReleasePending(sequence);
            return;
        }

        long windowStart = LeadingCount > 0 ? sequence.LeadStart : sequence.FirstTimestamp;
        long deadline = _maxspan == long.MaxValue ? long.MaxValue : windowStart + _maxspan;
        MakeRoom();
        if (!_heldLookup.TryGetValue(key, out var list))
        {
            list = _freeHeldLists.TryPop(out var reused) ? reused : new HeldList();
            list.Key = KeyText.Store(ref list.Buffer, key);
            _heldByKey.Add(list.Key, list);
        }

        var held = _freeHeld.TryPop(out var reusedHeld) ? reusedHeld : new HeldSequence();
        held.Start(sequence, list, deadline, _ordinal);
        _held.Enqueue(held, (deadline, _ordinal));
        list.Items.Add(held);
        _heldCount++;
    }

    private void RecordLeading(ReadOnlySpan<char> key, int position, long timestamp)
    {
        var state = GetOrAddState(key);
        if (position == 0)
        {
            state.LeadStart[0] = timestamp;
            state.LeadOrdinal[0] = _ordinal;
            return;
        }

        // A chain grows only from a shorter chain that earlier events completed.
        long previous = state.LeadOrdinal[position - 1];
        if (previous != 0 && previous < _ordinal)
        {
            state.LeadStart[position] = state.LeadOrdinal[position] != 0
                ? Math.Max(state.LeadStart[position], state.LeadStart[position - 1])
                : state.LeadStart[position - 1];
            state.LeadOrdinal[position] = _ordinal;
        }
    }

    private void RecordBetween(ReadOnlySpan<char> key, int gap)
    {
        if (!_lookup.TryGetValue(key, out var state) || state.Pending[gap - 1] is not { } pending)
        {
            return;
        }

        if (pending.LastOrdinal < _ordinal)
        {
            state.Pending[gap - 1] = null;
            ReleasePending(pending);
            RemoveIfEmpty(state);
        }
    }

    private void RecordTrailing(ReadOnlySpan<char> key, int position, long timestamp)
    {
        if (!_heldLookup.TryGetValue(key, out var heldList))
        {
            return;
        }

        var list = heldList.Items;
        for (int i = 0; i < list.Count; i++)
        {
            var held = list[i];
            if (held.Progress != position || held.CompletedOrdinal >= _ordinal || timestamp > held.Deadline)
            {
                continue;
            }

            held.Progress++;
            if (held.Progress == TrailingCount)
            {
                held.Rejected = true;
                list.RemoveAt(i);
                i--;
                _heldCount--;
            }
        }

        if (list.Count == 0)
        {
            RemoveHeldList(heldList);
        }
    }

    /// <summary>Takes a held sequence that was not rejected off its key's list.</summary>
    private void TakeOffList(HeldSequence held)
    {
        var list = held.List!;
        list.Items.Remove(held);
        if (list.Items.Count == 0)
        {
            RemoveHeldList(list);
        }
    }

    private void RemoveHeldList(HeldList list)
    {
        _heldByKey.Remove(list.Key);
        _freeHeldLists.Push(list);
    }

    /// <summary>Keeps a held sequence that left the queue for reuse, with its pending sequence.</summary>
    private void ReleaseHeld(HeldSequence held)
    {
        ReleasePending(held.Sequence!);
        held.Clear();
        _freeHeld.Push(held);
    }

    private void Report(Pending sequence, DetectionRule rule, IAlertSink sink)
    {
        sequence.Events.CopyTo(_completed, 0);
        sink.OnSequenceMatch(rule, _completed);
        Array.Clear(_completed);
    }

    private KeyState GetOrAddState(ReadOnlySpan<char> key)
    {
        if (_lookup.TryGetValue(key, out var state))
        {
            _recency.MoveToNewest(state);
            return state;
        }

        MakeRoom();
        state = _freeStates.TryPop(out var reused) ? reused : new KeyState(Math.Max(0, _positiveCount - 1), LeadingCount);
        state.Key = KeyText.Store(ref state.Buffer, key);
        _states.Add(state.Key, state);
        _recency.Add(state);
        return state;
    }

    private void RemoveIfEmpty(KeyState state)
    {
        if (state.IsEmpty)
        {
            Remove(state);
        }
    }

    /// <summary>Evicts entries until one more fits under the limit: key states oldest first, then held sequences.</summary>
    private void MakeRoom()
    {
        while (_states.Count + _heldCount >= _maxEntries)
        {
            if (_recency.Oldest is { } oldest)
            {
                Remove(oldest);
            }
            else if (_held.TryDequeue(out var held, out _))
            {
                bool rejected = held.Rejected;
                if (!rejected)
                {
                    _heldCount--;
                    TakeOffList(held);
                }

                ReleaseHeld(held);
                if (rejected)
                {
                    continue;
                }
            }
            else
            {
                return;
            }

            Evictions++;
        }
    }

    /// <summary>
    /// Removes <paramref name="state"/>, with its pending sequences, and keeps it for reuse, unless it was already
    /// removed, which may have left its key to a newer state.
    /// </summary>
    private void Remove(KeyState state)
    {
        if (_states.TryGetValue(state.Key, out var current) && ReferenceEquals(current, state))
        {
            _states.Remove(state.Key);
            _recency.Remove(state);
            ClearPending(state);
            Array.Clear(state.LeadOrdinal);
            _freeStates.Push(state);
        }
    }

    /// <summary>A partial sequence: its events so far, when it last grew, and its leading chain.</summary>
    private sealed class Pending(int stageCount)
    {
        public long FirstTimestamp;

        public readonly CapturedEvent[] Events = new CapturedEvent[stageCount];

        /// <summary>The ordinal of the event that last extended the sequence.</summary>
        public long LastOrdinal;

        /// <summary>The start of the latest chain of leading missing events before the first event.</summary>
        public long LeadStart;

        public bool HasLeadStart;
    }

    /// <summary>The state of one join key, linked into the matcher's list from oldest to newest.</summary>
    private sealed class KeyState(int pendingSlots, int leadingStages) : RecencyNode<KeyState>
    {
        public KeyText Key;

        /// <summary>The characters of <see cref="Key"/>, kept when the state is reused for another key.</summary>
        public char[] Buffer = [];

        /// <summary>The pending sequence whose last matched positive stage is the index.</summary>
        public readonly Pending?[] Pending = new Pending?[pendingSlots];

        /// <summary>For each leading missing stage: the latest start time of a chain that ends there.</summary>
        public readonly long[] LeadStart = leadingStages == 0 ? [] : new long[leadingStages];

        /// <summary>For each leading missing stage: the ordinal of the event that ended the chain, or 0 for none.</summary>
        public readonly long[] LeadOrdinal = leadingStages == 0 ? [] : new long[leadingStages];

        public bool IsEmpty => Array.TrueForAll(Pending, pending => pending is null) && Array.TrueForAll(LeadOrdinal, ordinal => ordinal == 0);
    }

    /// <summary>The held sequences of one join key, in completion order.</summary>
    private sealed class HeldList
    {
        public KeyText Key;

        /// <summary>The characters of <see cref="Key"/>, kept when the list is reused for another key.</summary>
        public char[] Buffer = [];

        public readonly List<HeldSequence> Items = [];
    }

    /// <summary>A complete sequence waiting until its trailing missing stages can no longer be filled.</summary>
    private sealed class HeldSequence
    {
        public Pending? Sequence;

        /// <summary>The list of the sequence's key, which contains it until it is reported, rejected or evicted.</summary>
        public HeldList? List;

        public long Deadline;

        public long CompletedOrdinal;

        /// <summary>How many trailing missing stages have been filled, in order.</summary>
        public int Progress;

        /// <summary>True once all trailing missing stages were filled; the queue then drops it unreported.</summary>
        public bool Rejected;

        public void Start(Pending sequence, HeldList list, long deadline, long completedOrdinal)
        {
            Sequence = sequence;
            List = list;
            Deadline = deadline;
            CompletedOrdinal = completedOrdinal;
            Progress = 0;
            Rejected = false;
        }

        public void Clear()
        {
            Sequence = null;
            List = null;
        }
    }
}
