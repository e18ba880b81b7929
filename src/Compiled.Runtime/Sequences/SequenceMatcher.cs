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
public sealed class SequenceMatcher
{
    private const int PruneInterval = 4096;
    private const char Separator = '\u0000';
    private const char MissingValue = '\u0001';

    private readonly int _stageCount;
    private readonly long _maxspan;
    private readonly Dictionary<string, Pending?[]> _states = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Pending?[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly CapturedEvent[] _completed;
    private char[] _key = new char[256];
    private int _advancesSincePrune;

    /// <param name="stageCount">The number of stages, with runs expanded.</param>
    /// <param name="maxspanNanoseconds">The maximum time from the first to the last event, or <see cref="long.MaxValue"/>.</param>
    public SequenceMatcher(int stageCount, long maxspanNanoseconds)
    {
        if (stageCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(stageCount), stageCount, "A sequence has at least two stages.");
        }

        _stageCount = stageCount;
        _maxspan = maxspanNanoseconds;
        _lookup = _states.GetAlternateLookup<ReadOnlySpan<char>>();
        _completed = new CapturedEvent[stageCount];
    }

    /// <summary>The number of join keys that have pending sequences.</summary>
    public int PendingKeyCount => _states.Count;

    /// <summary>
    /// Records that <paramref name="ev"/> matched stage <paramref name="stage"/> (zero-based). Call the stages
    /// from the last to the first for each event, so an event never extends a sequence it started itself.
    /// </summary>
    public void Advance(int stage, EventRecord ev, long timestamp, JoinKeys keys, DetectionRule rule, IAlertSink sink)
    {
        CapturedEvent? captured = null;
        Span<int> cursor = stackalloc int[keys.Slots.Length];
        if (!StartKeys(ev, keys, cursor))
        {
            return;
        }

        do
        {
            int length = BuildKey(ev, keys, cursor);
            AdvanceKey(stage, _key.AsSpan(0, length), ev, timestamp, ref captured, rule, sink);
        }
        while (NextKey(ev, keys, cursor));

        if (++_advancesSincePrune >= PruneInterval)
        {
            _advancesSincePrune = 0;
            Prune(timestamp);
        }
    }

    /// <summary>An <c>until</c> event ends every pending sequence of its join key.</summary>
    public void Until(EventRecord ev, JoinKeys keys)
    {
        Span<int> cursor = stackalloc int[keys.Slots.Length];
        if (!StartKeys(ev, keys, cursor))
        {
            return;
        }

        do
        {
            int length = BuildKey(ev, keys, cursor);
            if (_lookup.TryGetValue(_key.AsSpan(0, length), out _))
            {
                _lookup.Remove(_key.AsSpan(0, length));
            }
        }
        while (NextKey(ev, keys, cursor));
    }

    /// <summary>Removes pending sequences that can no longer complete within maxspan at time <paramref name="now"/>.</summary>
    public void Prune(long now)
    {
        if (_maxspan == long.MaxValue)
        {
            return;
        }

        foreach (var (key, pending) in _states)
        {
            bool alive = false;
            for (int i = 0; i < pending.Length; i++)
            {
                if (pending[i] is { } sequence && now - sequence.FirstTimestamp > _maxspan)
                {
                    pending[i] = null;
                }

                alive |= pending[i] is not null;
            }

            if (!alive)
            {
                _states.Remove(key);
            }
        }
    }

    private void AdvanceKey(int stage, ReadOnlySpan<char> key, EventRecord ev, long timestamp, ref CapturedEvent? captured, DetectionRule rule, IAlertSink sink)
    {
        if (stage == 0)
        {
            captured ??= CapturedEvent.From(ev, timestamp);
            var started = new Pending(timestamp, _stageCount);
            started.Events[0] = captured;
            if (!_lookup.TryGetValue(key, out var slots))
            {
                slots = new Pending?[_stageCount - 1];
                _lookup[key] = slots;
            }

            slots[0] = started;
            return;
        }

        if (!_lookup.TryGetValue(key, out var states) || states[stage - 1] is not { } pending)
        {
            return;
        }

        states[stage - 1] = null;
        if (timestamp - pending.FirstTimestamp > _maxspan)
        {
            RemoveIfEmpty(key, states);
            return;
        }

        captured ??= CapturedEvent.From(ev, timestamp);
        pending.Events[stage] = captured;
        if (stage == _stageCount - 1)
        {
            RemoveIfEmpty(key, states);
            pending.Events.CopyTo(_completed, 0);
            sink.OnSequenceMatch(rule, _completed);
            return;
        }

        states[stage] = pending;
    }

    private void RemoveIfEmpty(ReadOnlySpan<char> key, Pending?[] states)
    {
        foreach (var state in states)
        {
            if (state is not null)
            {
                return;
            }
        }

        _lookup.Remove(key);
    }

    /// <summary>
    /// Points each key field at its first value. Returns false when a required key field is missing,
    /// which keeps the event out of the stage.
    /// </summary>
    private static bool StartKeys(EventRecord ev, JoinKeys keys, Span<int> cursor)
    {
        for (int i = 0; i < cursor.Length; i++)
        {
            cursor[i] = ev.FirstIndex(keys.Slots[i]);
            if (cursor[i] < 0 && !keys.Optional[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Moves to the next combination of key values: a field with several values gives one key per value.</summary>
    private static bool NextKey(EventRecord ev, JoinKeys keys, Span<int> cursor)
    {
        for (int i = cursor.Length - 1; i >= 0; i--)
        {
            if (cursor[i] < 0)
            {
                continue;
            }

            int next = ev.ValueAt(cursor[i]).Next;
            if (next >= 0)
            {
                cursor[i] = next;
                return true;
            }

            cursor[i] = ev.FirstIndex(keys.Slots[i]);
        }

        return false;
    }

    private int BuildKey(EventRecord ev, JoinKeys keys, ReadOnlySpan<int> cursor)
    {
        int length = 0;
        for (int i = 0; i < cursor.Length; i++)
        {
            if (cursor[i] < 0)
            {
                Append(ref length, [MissingValue, Separator]);
                continue;
            }

            AppendKeyValue(ref length, ev, ev.ValueAt(cursor[i]));
            Append(ref length, [Separator]);
        }

        return length;
    }

    /// <summary>
    /// Appends a value in the form Elasticsearch compares join keys in: <c>1</c>, <c>"1"</c> and <c>1.0</c>
    /// all join, because a keyword field indexes the number as text and a numeric field coerces the string.
    /// </summary>
    private void AppendKeyValue(ref int length, EventRecord ev, in FieldValue value)
    {
        if (value.Kind == FieldValueKind.Float && value.Number == Math.Floor(value.Number) && Math.Abs(value.Number) < 1e15)
        {
            Span<char> digits = stackalloc char[24];
            ((long)value.Number).TryFormat(digits, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            Append(ref length, digits[..written]);
            return;
        }

        Append(ref length, ev.Text(value));
    }

    private void Append(ref int length, ReadOnlySpan<char> text)
    {
        if (length + text.Length > _key.Length)
        {
            Array.Resize(ref _key, Math.Max(_key.Length * 2, length + text.Length));
        }

        text.CopyTo(_key.AsSpan(length));
        length += text.Length;
    }

    private sealed class Pending(long firstTimestamp, int stageCount)
    {
        public long FirstTimestamp { get; } = firstTimestamp;

        public CapturedEvent[] Events { get; } = new CapturedEvent[stageCount];
    }
}
