namespace Compiled.Runtime.Hosting;

/// <summary>
/// The events one group buffers for reordering, taken out oldest first by <see cref="OrderKey"/>. Most inputs
/// arrive in time order, so an event not older than the last one queued goes to the end of a first-in,
/// first-out ring at no cost. Only older events go to a binary heap. The oldest event is at the head of the
/// ring or the top of the heap. Keys are unique, because each names one position in one input, so the
/// order taken out is the same as from one heap.
/// </summary>
internal sealed class OrderQueue
{
    private readonly PriorityQueue<int, OrderKey> _older = new();
    private (int Entry, OrderKey Key)[] _ring = new (int, OrderKey)[64];
    private int _head;
    private int _count;

    public int Count => _count + _older.Count;

    public void Enqueue(int entry, OrderKey key)
    {
        if (_count > 0 && key.CompareTo(_ring[(_head + _count - 1) & (_ring.Length - 1)].Key) < 0)
        {
            _older.Enqueue(entry, key);
            return;
        }

        if (_count == _ring.Length)
        {
            Grow();
        }

        _ring[(_head + _count) & (_ring.Length - 1)] = (entry, key);
        _count++;
    }

    public bool TryPeek(out int entry, out OrderKey key) => TryTake(remove: false, out entry, out key);

    public bool TryDequeue(out int entry, out OrderKey key) => TryTake(remove: true, out entry, out key);

    /// <summary>Returns the oldest event, taking it out of the queue when <paramref name="remove"/> is true.</summary>
    private bool TryTake(bool remove, out int entry, out OrderKey key)
    {
        bool fromRing = FromRing(out bool any);
        if (!any)
        {
            entry = -1;
            key = default;
            return false;
        }

        if (!fromRing)
        {
            return remove ? _older.TryDequeue(out entry, out key) : _older.TryPeek(out entry, out key);
        }

        (entry, key) = _ring[_head];
        if (remove)
        {
            _head = (_head + 1) & (_ring.Length - 1);
            _count--;
        }

        return true;
    }

    /// <summary>Returns true when the oldest event is at the head of the ring. <paramref name="any"/> is false when nothing is queued.</summary>
    private bool FromRing(out bool any)
    {
        if (_older.Count == 0)
        {
            any = _count > 0;
            return any;
        }

        any = true;
        return _count > 0 && _older.TryPeek(out _, out var olderKey) && _ring[_head].Key.CompareTo(olderKey) < 0;
    }

    /// <summary>Doubles the ring, so that its length stays a power of two and indexes wrap with a mask.</summary>
    private void Grow()
    {
        var larger = new (int, OrderKey)[_ring.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = _ring[(_head + i) & (_ring.Length - 1)];
        }

        _ring = larger;
        _head = 0;
    }
}
